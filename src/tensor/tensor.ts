import { engine, isLiveGeneration } from '../device/engine';
import { readStorage } from '../device/readback';
import { Storage } from '../device/storage';

export type { Storage };
import { DeviceLostError, DisposedTensorError, InvalidArgumentError } from '../errors';
import type { Bindable, DType } from '../kernels/kernel';
import { fmt, type Shape, sizeOf } from './shape';

/** Tidy scopes, as the engine keeps them. */
type Scope = Set<Tensor>;
const scopes = (): Scope[] => engine().scopes as Scope[];

export type NestedArray = number | NestedArray[];

export class Tensor implements Bindable {
  readonly id: number;
  readonly shape: readonly number[];
  readonly size: number;
  private disposed = false;
  /** Exempt from `tidy` (set by `keep`, and for variables). */
  kept = false;

  constructor(
    shape: Shape,
    protected currentStorage: Storage,
    track = true,
    /** float32, or int32 for indices and labels. */
    readonly dtype: DType = 'float32',
  ) {
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
    const e = engine();
    this.id = e.nextTensorId++;
    e.liveTensors++;
    if (track) {
      const open = e.scopes;
      (open[open.length - 1] as Scope | undefined)?.add(this);
    }
  }

  get storage(): Storage {
    return this.currentStorage;
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** The storage, after checking the tensor is alive and on the live device. */
  storageFor(op: string): Storage {
    this.assertUsable(op);
    return this.storage;
  }

  assertUsable(op: string): void {
    if (this.disposed) throw new DisposedTensorError(`${op}: tensor ${fmt(this.shape)} (id ${this.id}) was disposed.`);
    if (!isLiveGeneration(this.storage.generation)) {
      engine();
      throw new DeviceLostError(`${op}: tensor ${fmt(this.shape)} belongs to a GPU device that was lost or replaced; recreate it after init().`);
    }
  }

  /** The values, read back once the work that writes them has run (Int32Array for int32). */
  async data(): Promise<Float32Array> {
    const bytes = await readStorage(this.storageFor('data'), this.size * 4);
    return (this.dtype === 'int32' ? new Int32Array(bytes) : new Float32Array(bytes)) as Float32Array;
  }

  dataSync(): never {
    throw new InvalidArgumentError('dataSync: WebGPU cannot read synchronously; use await tensor.data().');
  }

  async array(): Promise<NestedArray> {
    const flat = await this.data();
    return nest(flat, this.shape, 0, 0);
  }

  /** A new tensor viewing the same buffer with another shape of the same size (no GPU work). */
  view(shape: Shape): Tensor {
    this.assertUsable('view');
    return new Tensor(shape, this.storage.retain(), true, this.dtype);
  }

  /** A view that no `tidy` tracks: for holders with their own lifetime (the tape). */
  alias(): Tensor {
    this.assertUsable('alias');
    return new Tensor(this.shape, this.storage.retain(), false, this.dtype);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const live = isLiveGeneration(this.storage.generation);
    this.storage.release();
    if (live) {
      const e = engine();
      e.liveTensors--;
      (e.scopes[e.scopes.length - 1] as Scope | undefined)?.delete(this);
    }
  }

  toString(): string {
    return `Tensor(shape=${fmt(this.shape)})`;
  }
}

function nest(flat: Float32Array, shape: Shape, dim: number, offset: number): NestedArray {
  if (shape.length === 0) return flat[0];
  const n = shape[dim];
  const stride = sizeOf(shape.slice(dim + 1));
  const out: NestedArray[] = [];
  for (let i = 0; i < n; i++) {
    out.push(dim === shape.length - 1 ? flat[offset + i] : nest(flat, shape, dim + 1, offset + i * stride));
  }
  return out;
}

export function liveTensorCount(): number {
  return engine().liveTensors;
}

/** Allocates an uninitialised tensor; ops fill it on the GPU. */
export function emptyTensor(shape: Shape, dtype: DType = 'float32'): Tensor {
  return new Tensor(shape, new Storage(sizeOf(shape)), true, dtype);
}

/**
 * Runs `fn` and disposes every tensor created inside except those reachable from what it returns
 * (see `reachableTensors`) and those passed to `keep`. Returned tensors move to the outer scope.
 */
export function tidy<T>(fn: () => T): T {
  const result = scoped(fn, (intermediates) => {
    for (const t of intermediates) t.dispose();
  });
  if (isThenable(result)) {
    // Its tensors are gone already; a later rejection has nobody left to report to.
    result.then(undefined, () => undefined);
    throw new InvalidArgumentError('tidy: the function must be synchronous; it returned a Promise.');
  }
  return result;
}

/**
 * Runs `fn` in a scope of its own. The tensors it creates that are still alive when it returns,
 * neither kept nor reachable from its result, go to `adopt` (whose owner then frees them); what
 * is left alive moves to the enclosing scope. If `fn` throws, everything it created that is not
 * kept is disposed, as by `tidy`.
 */
export function scoped<T>(fn: () => T, adopt: (intermediates: Tensor[]) => void): T {
  const scope: Scope = new Set();
  // The stack of the engine in use now; leaving takes this scope out of that same stack.
  const stack = scopes();
  const leave = () => {
    const i = stack.lastIndexOf(scope);
    if (i >= 0) stack.splice(i, 1);
  };
  stack.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    leave();
    for (const t of scope) if (!t.kept) t.dispose();
    throw e;
  }
  leave();
  const survivors = reachableTensors(result);
  const intermediates: Tensor[] = [];
  for (const t of scope) if (!t.kept && !survivors.has(t)) intermediates.push(t);
  adopt(intermediates);
  const outer = stack[stack.length - 1];
  if (outer) for (const t of scope) if (!t.isDisposed && !t.kept) outer.add(t);
  return result;
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';

/**
 * Every tensor reachable from `value` through arrays, Maps (keys and values), Sets and the
 * enumerable properties of any other object (class instances too, as TensorFlow.js walks them),
 * at any depth; each object is visited once, so cycles end.
 */
function reachableTensors(value: unknown): Set<Tensor> {
  const found = new Set<Tensor>();
  const seen = new Set<object>();
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    if (v instanceof Tensor) found.add(v);
    else if (v instanceof Map) for (const [key, item] of v) pending.push(key, item);
    else if (Array.isArray(v) || v instanceof Set) for (const item of v) pending.push(item);
    else if (!ArrayBuffer.isView(v)) for (const key in v) pending.push((v as Record<string, unknown>)[key]);
  }
  return found;
}

/** Exempts `t` from every enclosing `tidy`. */
export function keep<T extends Tensor>(t: T): T {
  t.kept = true;
  return t;
}
