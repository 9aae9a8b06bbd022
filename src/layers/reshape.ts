// Layers that change only the shape: Flatten and Reshape (views of the same buffer, no GPU work).
import { InvalidArgumentError, ShapeError, show } from '../errors';
import { reshape as reshapeOp } from '../ops/shape_ops';
import { fmt, sizeOf } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { type CallOptions, checkDataFormat, Layer, type LayerArgs, type LayerConfig, type LayerShape } from './layer';

export interface FlattenArgs extends LayerArgs {
  /** Only 'channelsLast', the default. */
  dataFormat?: 'channelsLast';
}

export interface ReshapeArgs extends LayerArgs {
  /** The shape of one example (no batch dimension); one entry may be −1, inferred from the size. */
  targetShape: number[];
}

/** [batch, ...] → [batch, product of the rest] (a rank-1 input becomes [batch, 1], as in Keras). */
export class Flatten extends Layer {
  static override readonly className: string = 'Flatten';
  readonly dataFormat = 'channelsLast';

  constructor(args: FlattenArgs = {}) {
    super(args);
    checkDataFormat('flatten', args?.dataFormat);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const rest = inputShape.slice(1);
    return [inputShape[0], rest.some((d) => d === null) ? null : sizeOf(rest as number[])];
  }

  override getConfig(): LayerConfig {
    return { dataFormat: this.dataFormat, ...super.getConfig() };
  }

  override call(x: Tensor, _opts: CallOptions): Tensor {
    if (x.rank === 0) throw new ShapeError(`${this.name}: expects inputs with a batch dimension, got a scalar.`);
    return reshapeOp(x, [x.shape[0], sizeOf(x.shape.slice(1))]);
  }
}

/** [batch, ...] → [batch, ...targetShape]. */
export class Reshape extends Layer {
  static override readonly className: string = 'Reshape';
  readonly targetShape: number[];

  constructor(args: ReshapeArgs) {
    super(args);
    const target = args?.targetShape;
    if (!Array.isArray(target) || !target.every((d) => Number.isInteger(d) && (d > 0 || d === -1)) || target.filter((d) => d === -1).length > 1) {
      throw new InvalidArgumentError(`reshape: targetShape must be a list of positive integers with at most one −1, got ${show(target)}.`);
    }
    this.targetShape = [...target];
  }

  /** The target shape with its −1 resolved against `size` elements per example. */
  private resolved(size: number, from: string): number[] {
    const known = sizeOf(this.targetShape.filter((d) => d !== -1));
    const free = this.targetShape.indexOf(-1);
    if (free < 0 ? known !== size : size % known !== 0) {
      throw new ShapeError(`${this.name}: cannot reshape examples of shape ${from} (${size} elements) to ${fmt(this.targetShape)}.`);
    }
    return this.targetShape.map((d) => (d === -1 ? size / known : d));
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const rest = inputShape.slice(1);
    if (rest.some((d) => d === null)) return [inputShape[0], ...this.targetShape.map((d) => (d === -1 ? null : d))];
    return [inputShape[0], ...this.resolved(sizeOf(rest as number[]), `[${rest.join(',')}]`)];
  }

  override getConfig(): LayerConfig {
    return { targetShape: this.targetShape, ...super.getConfig() };
  }

  override call(x: Tensor, _opts: CallOptions): Tensor {
    if (x.rank === 0) throw new ShapeError(`${this.name}: expects inputs with a batch dimension, got a scalar.`);
    return reshapeOp(x, [x.shape[0], ...this.resolved(sizeOf(x.shape.slice(1)), fmt(x.shape.slice(1)))]);
  }
}

export const flatten = (args?: FlattenArgs): Flatten => new Flatten(args);
export const reshape = (args: ReshapeArgs): Reshape => new Reshape(args);
