// Pooling layers (channels last): MaxPooling2D, AveragePooling2D and their global forms, with
// TensorFlow.js's option names and Keras 3's behaviour.
import { InvalidArgumentError, ShapeError, show } from '../errors';
import { avgPool, maxPool } from '../ops/pool';
import { max, mean } from '../ops/reduce';
import { windowGeometry } from '../ops/window';
import type { Tensor } from '../tensor/tensor';
import { type CallOptions, checkDataFormat, Layer, type LayerArgs, type LayerConfig, type LayerShape, paddingOf } from './layer';

export interface Pooling2DArgs extends LayerArgs {
  /** The window, [height, width] or one number for both (default [2, 2]). */
  poolSize?: number | [number, number];
  /** Steps between windows (default: poolSize). */
  strides?: number | [number, number];
  /** 'valid' (the default) or 'same'. */
  padding?: 'valid' | 'same';
  /** Only 'channelsLast' (NHWC), the default. */
  dataFormat?: 'channelsLast';
}

export interface GlobalPooling2DArgs extends LayerArgs {
  dataFormat?: 'channelsLast';
}

function pairOf(op: string, name: string, value: unknown, fallback: [number, number]): [number, number] {
  const v = value ?? fallback;
  const pair = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((d) => Number.isInteger(d) && d > 0)) {
    throw new InvalidArgumentError(`${op}: ${name} must be a positive integer or a pair of them, got ${show(value)}.`);
  }
  return [pair[0], pair[1]];
}

/** Checks that a layer's input is [batch, height, width, channels]. */
function checkRank4(layer: Layer, shape: LayerShape): void {
  if (shape.length !== 4) throw new ShapeError(`${layer.name}: expects inputs of rank 4 [batch, height, width, channels], got shape [${shape.join(',')}].`);
}

abstract class Pooling2D extends Layer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';
  readonly dataFormat = 'channelsLast';

  constructor(op: string, args: Pooling2DArgs = {}) {
    super(args);
    args ??= {};
    this.poolSize = pairOf(op, 'poolSize', args.poolSize, [2, 2]);
    this.strides = pairOf(op, 'strides', args.strides, this.poolSize);
    this.padding = paddingOf(op, args.padding);
    checkDataFormat(op, args.dataFormat);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    checkRank4(this, inputShape);
    const [batch, h, w, c] = inputShape;
    if (h === null || w === null) return [batch, null, null, c];
    const g = windowGeometry(this.name, `input shape [${inputShape.join(',')}]`, [h, w], this.poolSize, this.strides, [1, 1], this.padding);
    return [batch, g.outH, g.outW, c];
  }

  /** TensorFlow.js's Pooling2D config. */
  override getConfig(): LayerConfig {
    return { poolSize: this.poolSize, padding: this.padding, strides: this.strides, dataFormat: this.dataFormat, ...super.getConfig() };
  }
}

/** The largest value of each window; the gradient flows to the first largest. */
export class MaxPooling2D extends Pooling2D {
  static override readonly className: string = 'MaxPooling2D';
  constructor(args: Pooling2DArgs = {}) {
    super('maxPooling2d', args);
  }
  override call(x: Tensor, _opts: CallOptions): Tensor {
    checkRank4(this, x.shape);
    return maxPool(x, { poolSize: this.poolSize, strides: this.strides, padding: this.padding });
  }
}

/** The mean of each window over its positions inside the input. */
export class AveragePooling2D extends Pooling2D {
  static override readonly className: string = 'AveragePooling2D';
  constructor(args: Pooling2DArgs = {}) {
    super('averagePooling2d', args);
  }
  override call(x: Tensor, _opts: CallOptions): Tensor {
    checkRank4(this, x.shape);
    return avgPool(x, { poolSize: this.poolSize, strides: this.strides, padding: this.padding });
  }
}

abstract class GlobalPooling2D extends Layer {
  readonly dataFormat = 'channelsLast';

  constructor(op: string, args: GlobalPooling2DArgs = {}) {
    super(args);
    checkDataFormat(op, args?.dataFormat);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    checkRank4(this, inputShape);
    return [inputShape[0], inputShape[3]];
  }

  override getConfig(): LayerConfig {
    return { dataFormat: this.dataFormat, ...super.getConfig() };
  }
}

/** [batch, height, width, channels] → [batch, channels]: the mean over height and width. */
export class GlobalAveragePooling2D extends GlobalPooling2D {
  static override readonly className: string = 'GlobalAveragePooling2D';
  constructor(args: GlobalPooling2DArgs = {}) {
    super('globalAveragePooling2d', args);
  }
  override call(x: Tensor, _opts: CallOptions): Tensor {
    checkRank4(this, x.shape);
    return mean(x, [1, 2]);
  }
}

/** [batch, height, width, channels] → [batch, channels]: the largest value over height and width. */
export class GlobalMaxPooling2D extends GlobalPooling2D {
  static override readonly className: string = 'GlobalMaxPooling2D';
  constructor(args: GlobalPooling2DArgs = {}) {
    super('globalMaxPooling2d', args);
  }
  override call(x: Tensor, _opts: CallOptions): Tensor {
    checkRank4(this, x.shape);
    return max(x, [1, 2]);
  }
}

export const maxPooling2d = (args?: Pooling2DArgs): MaxPooling2D => new MaxPooling2D(args);
export const averagePooling2d = (args?: Pooling2DArgs): AveragePooling2D => new AveragePooling2D(args);
export const globalAveragePooling2d = (args?: GlobalPooling2DArgs): GlobalAveragePooling2D => new GlobalAveragePooling2D(args);
export const globalMaxPooling2d = (args?: GlobalPooling2DArgs): GlobalMaxPooling2D => new GlobalMaxPooling2D(args);
