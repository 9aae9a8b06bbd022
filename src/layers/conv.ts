// Convolution layers (channels last): Conv1D, Conv2D and DepthwiseConv2D, with TensorFlow.js's
// option names and Keras 3's behaviour.
import { InvalidArgumentError, ShapeError, show } from '../errors';
import { type ConvolutionKind, type ConvolutionSpec, convolution } from '../ops/convolution';
import type { DenseActivation } from '../ops/dense';
import { windowGeometry } from '../ops/window';
import { fmt } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import type { Variable } from '../tensor/variable';
import { type ActivationFn, type ActivationIdentifier, builtInActivation, getActivation, savedActivationName } from './activations';
import { get as getInitializer, type Initializer, type InitializerIdentifier, serialize as serializeInitializer } from './initializers';
import { type CallOptions, checkDataFormat, Layer, type LayerArgs, type LayerConfig, type LayerShape, paddingOf, savedRegularizer } from './layer';
import { get as getRegularizer, type Regularizer, type RegularizerFn, type RegularizerLike } from './regularizers';

export interface BaseConvArgs extends LayerArgs {
  /** The window: a number, or one per spatial axis. */
  kernelSize: number | number[];
  /** Steps between windows (default 1). */
  strides?: number | number[];
  /** 'valid' (the default) or 'same' (output ⌈input / stride⌉, zero-padded as TensorFlow pads). */
  padding?: 'valid' | 'same';
  /** Only 'channelsLast' (NHWC), the default. */
  dataFormat?: 'channelsLast';
  /** Spacing between kernel taps (default 1); strides and dilation rates cannot both exceed 1. */
  dilationRate?: number | number[];
  activation?: ActivationIdentifier | ActivationFn;
  useBias?: boolean;
  biasInitializer?: Initializer | InitializerIdentifier;
  biasRegularizer?: RegularizerLike | null;
}

export interface ConvLayerArgs extends BaseConvArgs {
  /** Output channels. */
  filters: number;
  kernelInitializer?: Initializer | InitializerIdentifier;
  kernelRegularizer?: RegularizerLike | null;
}

export interface DepthwiseConv2DArgs extends BaseConvArgs {
  /** Output channels per input channel (default 1). */
  depthMultiplier?: number;
  depthwiseInitializer?: Initializer | InitializerIdentifier;
  depthwiseRegularizer?: RegularizerLike | null;
}

/** One positive integer per spatial axis, from a number or a list. */
function perAxis(op: string, name: string, value: unknown, rank: number, fallback: number): number[] {
  const v = value ?? fallback;
  const list = typeof v === 'number' ? new Array<number>(rank).fill(v) : v;
  if (!Array.isArray(list) || list.length !== rank || !list.every((d) => Number.isInteger(d) && d > 0)) {
    throw new InvalidArgumentError(`${op}: ${name} must be a positive integer or a list of ${rank}, got ${show(value)}.`);
  }
  return [...list];
}

/**
 * What every convolution layer shares: the window (kernel size, strides, padding, dilation rate
 * per spatial axis), the activation, the bias; `build` makes the kernel and `call` runs one fused op.
 */
abstract class BaseConv extends Layer {
  readonly rank: number;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: 'valid' | 'same';
  readonly dataFormat = 'channelsLast';
  readonly dilationRate: number[];
  readonly activation: string;
  readonly useBias: boolean;
  readonly biasInitializer: Initializer;
  readonly biasRegularizer: Regularizer | RegularizerFn | null;
  kernel: Variable | null = null;
  bias: Variable | null = null;
  private readonly activationFn: ActivationFn | null;
  private readonly applied: DenseActivation | ActivationFn;
  protected abstract readonly kind: ConvolutionKind;

  constructor(op: string, rank: number, args: BaseConvArgs) {
    super(args);
    if (!args || typeof args !== 'object') throw new InvalidArgumentError(`${op}: expects an options object.`);
    this.rank = rank;
    this.kernelSize = perAxis(op, 'kernelSize', args.kernelSize, rank, 0);
    this.strides = perAxis(op, 'strides', args.strides, rank, 1);
    this.dilationRate = perAxis(op, 'dilationRate', args.dilationRate, rank, 1);
    if (Math.max(...this.strides) > 1 && Math.max(...this.dilationRate) > 1) {
      throw new InvalidArgumentError(`${op}: strides > 1 cannot be combined with dilationRate > 1 (as in Keras).`);
    }
    this.padding = paddingOf(op, args.padding);
    checkDataFormat(op, args.dataFormat);
    if (args.useBias !== undefined && typeof args.useBias !== 'boolean') throw new InvalidArgumentError(`${op}: useBias must be a boolean.`);
    const activation = getActivation(args.activation, op);
    this.activation = activation.name;
    this.activationFn = activation.fn;
    this.applied = builtInActivation(activation.name, activation.fn) ?? activation.fn!;
    this.useBias = args.useBias ?? true;
    this.biasInitializer = getInitializer(args.biasInitializer ?? 'zeros', op);
    this.biasRegularizer = getRegularizer(args.biasRegularizer);
  }

  /** The kernel's shape for `inputChannels`, and the number of output channels. */
  protected abstract kernelShape(inputChannels: number): { shape: number[]; outChannels: number };

  protected abstract makeKernel(shape: number[]): Variable;

  /** The input's channels, after checking the input's rank (batch, spatial axes, channels). */
  private channelsOf(inputShape: LayerShape): number {
    const channels = inputShape[inputShape.length - 1];
    if (inputShape.length !== this.rank + 2 || typeof channels !== 'number' || channels <= 0) {
      throw new ShapeError(
        `${this.name}: expects inputs of rank ${this.rank + 2} [batch, ${this.rank === 1 ? 'width' : 'height, width'}, channels] with known channels, got shape [${inputShape.join(',')}].`,
      );
    }
    return channels;
  }

  override build(inputShape: LayerShape): void {
    const { shape, outChannels } = this.kernelShape(this.channelsOf(inputShape));
    this.kernel = this.makeKernel(shape);
    if (this.useBias) this.bias = this.addWeight('bias', [outChannels], { initializer: this.biasInitializer, regularizer: this.biasRegularizer });
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const { outChannels } = this.kernelShape(this.channelsOf(inputShape));
    const spatial = inputShape.slice(1, -1);
    if (spatial.some((d) => d === null)) return [inputShape[0], ...spatial.map(() => null), outChannels];
    const sizes = this.rank === 1 ? [1, spatial[0] as number] : (spatial as number[]);
    const { strides, dilations } = this.spec();
    const pad = (d: number[]): [number, number] => (this.rank === 1 ? [1, d[0]] : [d[0], d[1]]);
    const g = windowGeometry(this.name, `input shape [${inputShape.join(',')}]`, [sizes[0], sizes[1]], pad(this.kernelSize), strides, dilations, this.padding);
    return [inputShape[0], ...(this.rank === 1 ? [g.outW] : [g.outH, g.outW]), outChannels];
  }

  private spec(): ConvolutionSpec {
    const two = (d: number[]): [number, number] => (this.rank === 1 ? [1, d[0]] : [d[0], d[1]]);
    return { strides: two(this.strides), dilations: two(this.dilationRate), padding: this.padding };
  }

  /** TensorFlow.js's config of the shared options (constraints are always null: webgrad has none). */
  override getConfig(): LayerConfig {
    return {
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dataFormat: this.dataFormat,
      dilationRate: this.dilationRate,
      activation: savedActivationName(this.activation, this.activationFn),
      useBias: this.useBias,
      biasInitializer: serializeInitializer(this.biasInitializer),
      biasRegularizer: savedRegularizer(this.biasRegularizer),
      activityRegularizer: savedRegularizer(this.activityRegularizer),
      biasConstraint: null,
      ...super.getConfig(),
    };
  }

  override call(x: Tensor, _opts: CallOptions): Tensor {
    const kernel = this.kernel!;
    const channels = kernel.shape[kernel.rank - 2];
    if (x.rank !== this.rank + 2 || x.shape[x.rank - 1] !== channels) {
      throw new ShapeError(`${this.name}: expects inputs of rank ${this.rank + 2} with ${channels} channels, got shape ${fmt(x.shape)}.`);
    }
    return convolution(this.kind, x, kernel, this.bias, this.applied, this.spec());
  }
}

/** Conv1D and Conv2D: `filters` output channels, kernel [...kernelSize, inputChannels, filters]. */
abstract class Conv extends BaseConv {
  readonly filters: number;
  readonly kernelInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | RegularizerFn | null;

  constructor(op: string, rank: number, args: ConvLayerArgs) {
    super(op, rank, args);
    if (!Number.isInteger(args.filters) || args.filters <= 0) throw new InvalidArgumentError(`${op}: filters must be a positive integer, got ${show(args.filters)}.`);
    this.filters = args.filters;
    this.kernelInitializer = getInitializer(args.kernelInitializer ?? 'glorotUniform', op);
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer);
  }

  protected kernelShape(inputChannels: number) {
    return { shape: [...this.kernelSize, inputChannels, this.filters], outChannels: this.filters };
  }

  protected makeKernel(shape: number[]): Variable {
    return this.addWeight('kernel', shape, { initializer: this.kernelInitializer, regularizer: this.kernelRegularizer });
  }

  override getConfig(): LayerConfig {
    return {
      filters: this.filters,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      kernelRegularizer: savedRegularizer(this.kernelRegularizer),
      kernelConstraint: null,
      ...super.getConfig(),
    };
  }
}

/**
 * 2-D convolution over [batch, height, width, channels]: y = activation(conv2d(x, kernel) + bias),
 * kernel [kh, kw, inputChannels, filters]. Keras defaults: kernel glorotUniform, bias zeros.
 */
export class Conv2D extends Conv {
  static override readonly className: string = 'Conv2D';
  protected readonly kind = 'conv2d';
  constructor(args: ConvLayerArgs) {
    super('conv2d', 2, args);
  }
}

/** 1-D convolution over [batch, steps, channels]: kernel [kernelSize, inputChannels, filters]. */
export class Conv1D extends Conv {
  static override readonly className: string = 'Conv1D';
  protected readonly kind = 'conv1d';
  constructor(args: ConvLayerArgs) {
    super('conv1d', 1, args);
  }
}

/**
 * Depthwise 2-D convolution: each input channel convolved with its own `depthMultiplier` filters;
 * kernel 'depthwise_kernel' [kh, kw, inputChannels, depthMultiplier], bias [inputChannels·depthMultiplier].
 */
export class DepthwiseConv2D extends BaseConv {
  static override readonly className: string = 'DepthwiseConv2D';
  protected readonly kind = 'depthwiseConv2d';
  readonly depthMultiplier: number;
  readonly depthwiseInitializer: Initializer;
  readonly depthwiseRegularizer: Regularizer | RegularizerFn | null;

  constructor(args: DepthwiseConv2DArgs) {
    super('depthwiseConv2d', 2, args);
    const multiplier = args.depthMultiplier ?? 1;
    if (!Number.isInteger(multiplier) || multiplier <= 0) {
      throw new InvalidArgumentError(`depthwiseConv2d: depthMultiplier must be a positive integer, got ${show(args.depthMultiplier)}.`);
    }
    this.depthMultiplier = multiplier;
    this.depthwiseInitializer = getInitializer(args.depthwiseInitializer ?? 'glorotUniform', 'depthwiseConv2d');
    this.depthwiseRegularizer = getRegularizer(args.depthwiseRegularizer);
  }

  protected kernelShape(inputChannels: number) {
    return { shape: [...this.kernelSize, inputChannels, this.depthMultiplier], outChannels: inputChannels * this.depthMultiplier };
  }

  protected makeKernel(shape: number[]): Variable {
    return this.addWeight('depthwise_kernel', shape, { initializer: this.depthwiseInitializer, regularizer: this.depthwiseRegularizer });
  }

  override getConfig(): LayerConfig {
    return {
      depthMultiplier: this.depthMultiplier,
      depthwiseInitializer: serializeInitializer(this.depthwiseInitializer),
      depthwiseRegularizer: savedRegularizer(this.depthwiseRegularizer),
      depthwiseConstraint: null,
      ...super.getConfig(),
    };
  }
}

export function conv2d(args: ConvLayerArgs): Conv2D {
  return new Conv2D(args);
}

export function conv1d(args: ConvLayerArgs): Conv1D {
  return new Conv1D(args);
}

export function depthwiseConv2d(args: DepthwiseConv2DArgs): DepthwiseConv2D {
  return new DepthwiseConv2D(args);
}
