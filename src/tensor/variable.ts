import { engine, isLiveGeneration } from '../device/engine';
import { Storage } from '../device/storage';
import { InvalidArgumentError, ShapeError } from '../errors';
import { fmt, sameShape } from './shape';
import { copyElements } from './copy';
import { Tensor } from './tensor';

let unnamed = 0;

/**
 * Mutable state (weights, optimizer slots). Not tracked by `tidy`. `assign` gives the variable a
 * new buffer rather than writing in place, so a tape that saved the old value still sees it.
 */
export class Variable extends Tensor {
  readonly name: string;
  trainable: boolean;

  constructor(initial: Tensor, opts: { trainable?: boolean; name?: string } = {}) {
    if (!(initial instanceof Tensor)) throw new InvalidArgumentError('variable: the initial value must be a Tensor.');
    initial.assertUsable('variable');
    const storage = new Storage(initial.size);
    copyElements(initial, 0, storage, 0, initial.size, 'variable');
    super(initial.shape, storage, false, initial.dtype);
    this.kept = true;
    this.name = opts?.name ?? `variable_${unnamed++}`;
    this.trainable = opts?.trainable ?? true;
  }

  /** Replaces the value with a copy of `t` (same shape). */
  assign(t: Tensor): void {
    if (!(t instanceof Tensor)) throw new InvalidArgumentError(`assign: expected a Tensor for variable '${this.name}'.`);
    this.assertUsable('assign');
    t.assertUsable('assign');
    if (!sameShape(t.shape, this.shape)) {
      throw new ShapeError(`assign: variable '${this.name}' has shape ${fmt(this.shape)}, the value has shape ${fmt(t.shape)}.`);
    }
    if (t.dtype !== this.dtype) {
      throw new InvalidArgumentError(`assign: variable '${this.name}' holds ${this.dtype} values, the value is ${t.dtype}.`);
    }
    const next = new Storage(this.size);
    copyElements(t, 0, next, 0, this.size, 'assign');
    this.adopt(next);
  }

  /** Takes ownership of `next` as the new value (used by fused optimizer kernels). */
  adopt(next: Storage): void {
    const old = this.currentStorage;
    const recording = isLiveGeneration(old.generation) ? engine().stream.recording : null;
    if (recording && !recording.adopted.has(this)) recording.adopted.set(this, old);
    this.currentStorage = next;
    old.release();
  }
}

export function variable(initial: Tensor, opts: { trainable?: boolean; name?: string } = {}): Variable {
  return new Variable(initial, opts);
}
