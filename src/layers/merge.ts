// Merge layers: one output from an array of inputs (Keras 3's Add, Concatenate, Multiply, Average).
import { InvalidArgumentError, ShapeError } from '../errors';
import { add as addOp, div, mul } from '../ops/binary';
import { reshape } from '../ops/shape_ops';
import { concat } from '../ops/slice';
import { fmt } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { type CallOptions, checkLayerArgs, Layer, type LayerArgs, type LayerConfig, type LayerShape } from './layer';

function shapesOf(name: string, inputShape: LayerShape | LayerShape[]): LayerShape[] {
  const list = inputShape as LayerShape[];
  if (!Array.isArray(list[0]) || list.length === 0) throw new InvalidArgumentError(`${name}: a merge layer is applied to an array of tensors, got one.`);
  return list;
}

/** NumPy broadcasting of shapes whose unknown (null) dimensions match anything. */
function broadcastShape(name: string, shapes: LayerShape[]): LayerShape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Array<number | null> = [];
  for (let i = 0; i < rank; i++) {
    let dim: number | null = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i] ?? 1;
      if (d === 1) continue;
      if (dim === 1 || dim === null) dim = d;
      else if (d !== null && d !== dim) throw new ShapeError(`${name}: input shapes ${shapes.map((s) => fmt(s.map((v) => v ?? -1))).join(', ')} do not broadcast.`);
    }
    out.push(dim);
  }
  return out;
}

/** f(f(a, b), c) ..., freeing the partial results. */
function fold(inputs: Tensor[], f: (a: Tensor, b: Tensor) => Tensor): Tensor {
  return inputs.slice(1).reduce((acc, t, i) => {
    const next = f(acc, t);
    if (i > 0) acc.dispose();
    return next;
  }, inputs[0]);
}

/** Combines its inputs elementwise with NumPy broadcasting; subclasses say how. */
abstract class ElementwiseMerge extends Layer {
  protected abstract combine(inputs: Tensor[]): Tensor;

  override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
    return broadcastShape(this.name, shapesOf(this.name, inputShape));
  }

  override call(inputs: Tensor | Tensor[], _opts: CallOptions): Tensor {
    if (!Array.isArray(inputs) || inputs.length === 0) throw new InvalidArgumentError(`${this.name}: a merge layer is applied to an array of tensors.`);
    return inputs.length === 1 ? reshape(inputs[0], inputs[0].shape) : this.combine(inputs);
  }
}

/** The sum of its inputs. */
export class Add extends ElementwiseMerge {
  static override readonly className: string = 'Add';
  protected combine(inputs: Tensor[]): Tensor {
    return fold(inputs, addOp);
  }
}

/** The elementwise product of its inputs. */
export class Multiply extends ElementwiseMerge {
  static override readonly className: string = 'Multiply';
  protected combine(inputs: Tensor[]): Tensor {
    return fold(inputs, mul);
  }
}

/** The mean of its inputs: their sum divided by their count. */
export class Average extends ElementwiseMerge {
  static override readonly className: string = 'Average';
  protected combine(inputs: Tensor[]): Tensor {
    const total = fold(inputs, addOp);
    const out = div(total, inputs.length);
    total.dispose();
    return out;
  }
}

export interface ConcatenateArgs extends LayerArgs {
  /** The axis to join along, counted with the batch axis; default −1 (the last). */
  axis?: number;
}

/** Its inputs joined along `axis`; every other dimension must agree. */
export class Concatenate extends Layer {
  static override readonly className: string = 'Concatenate';
  readonly axis: number;

  constructor(args: ConcatenateArgs = {}) {
    checkLayerArgs('concatenate', args, ['axis']);
    super(args ?? {});
    const axis = args?.axis ?? -1;
    if (!Number.isInteger(axis)) throw new InvalidArgumentError(`concatenate: axis must be an integer, got ${String(axis)}.`);
    this.axis = axis;
  }

  override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
    const shapes = shapesOf(this.name, inputShape);
    const rank = shapes[0].length;
    const axis = this.axis < 0 ? this.axis + rank : this.axis;
    if (axis < 0 || axis >= rank || shapes.some((s) => s.length !== rank)) {
      throw new ShapeError(`${this.name}: inputs of shapes ${shapes.map((s) => fmt(s.map((v) => v ?? -1))).join(', ')} cannot be joined along axis ${this.axis}.`);
    }
    const out = [...shapes[0]];
    for (const s of shapes.slice(1)) {
      for (let i = 0; i < rank; i++) {
        if (i === axis) out[i] = out[i] === null || s[i] === null ? null : out[i]! + s[i]!;
        else if (out[i] !== null && s[i] !== null && out[i] !== s[i]) {
          throw new ShapeError(`${this.name}: inputs of shapes ${shapes.map((v) => fmt(v.map((d) => d ?? -1))).join(', ')} differ outside axis ${this.axis}.`);
        } else out[i] ??= s[i];
      }
    }
    return out;
  }

  override getConfig(): LayerConfig {
    return { axis: this.axis, ...super.getConfig() };
  }

  override call(inputs: Tensor | Tensor[], _opts: CallOptions): Tensor {
    if (!Array.isArray(inputs) || inputs.length === 0) throw new InvalidArgumentError(`${this.name}: a merge layer is applied to an array of tensors.`);
    this.computeOutputShape(inputs.map((t) => t.shape));
    const axis = this.axis < 0 ? this.axis + inputs[0].rank : this.axis;
    return inputs.length === 1 ? reshape(inputs[0], inputs[0].shape) : concat(inputs, axis);
  }
}

export const add = (args: LayerArgs = {}): Add => {
  checkLayerArgs('add', args, []);
  return new Add(args ?? {});
};
export const multiply = (args: LayerArgs = {}): Multiply => {
  checkLayerArgs('multiply', args, []);
  return new Multiply(args ?? {});
};
export const average = (args: LayerArgs = {}): Average => {
  checkLayerArgs('average', args, []);
  return new Average(args ?? {});
};
export const concatenate = (args: ConcatenateArgs = {}): Concatenate => new Concatenate(args);
