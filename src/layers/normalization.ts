import { InvalidArgumentError, ShapeError } from '../errors';
import { add, mul, sub } from '../ops/binary';
import { layerNorm } from '../ops/layer_norm';
import { moments } from '../ops/moments';
import { reshape } from '../ops/shape_ops';
import { rsqrt } from '../ops/unary';
import { fmt } from '../tensor/shape';
import { type Tensor, tidy } from '../tensor/tensor';
import type { Variable } from '../tensor/variable';
import { get as getInitializer, type Initializer, type InitializerIdentifier, serialize as serializeInitializer } from './initializers';
import { type CallOptions, checkLayerArgs, Layer, type LayerArgs, type LayerConfig, type LayerShape } from './layer';
import { get as getRegularizer, type Regularizer, type RegularizerFn, type RegularizerLike, serialize as serializeRegularizer } from './regularizers';

export interface LayerNormalizationArgs extends LayerArgs {
  /** The axis or axes normalized over, counted with the batch axis; default −1. */
  axis?: number | number[];
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  betaInitializer?: Initializer | InitializerIdentifier;
  gammaInitializer?: Initializer | InitializerIdentifier;
  betaRegularizer?: RegularizerLike | null;
  gammaRegularizer?: RegularizerLike | null;
}

/**
 * Keras 3's LayerNormalization: per example, y = (x − mean) / √(variance + ε) · gamma + beta,
 * mean and (biased) variance over `axis`; gamma and beta have the shape of those axes and are
 * the weights, in that order.
 */
export class LayerNormalization extends Layer {
  static override readonly className: string = 'LayerNormalization';
  readonly axis: number[];
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly betaInitializer: Initializer;
  readonly gammaInitializer: Initializer;
  readonly betaRegularizer: Regularizer | RegularizerFn | null;
  readonly gammaRegularizer: Regularizer | RegularizerFn | null;
  gamma: Variable | null = null;
  beta: Variable | null = null;
  /** The axes as non-negative numbers, once the rank is known. */
  private axes: number[] = [];

  constructor(args: LayerNormalizationArgs = {}) {
    checkLayerArgs('layerNormalization', args, ['axis', 'epsilon', 'center', 'scale', 'betaInitializer', 'gammaInitializer', 'betaRegularizer', 'gammaRegularizer']);
    super(args ?? {});
    const axis = args?.axis ?? -1;
    this.axis = Array.isArray(axis) ? [...axis] : [axis];
    if (this.axis.length === 0 || !this.axis.every(Number.isInteger)) throw new InvalidArgumentError(`layerNormalization: axis must be an integer or a non-empty array of integers, got ${String(axis)}.`);
    this.epsilon = args?.epsilon ?? 1e-3;
    if (typeof this.epsilon !== 'number' || !(this.epsilon > 0) || !Number.isFinite(this.epsilon)) {
      throw new InvalidArgumentError(`layerNormalization: epsilon must be a positive number, got ${String(args?.epsilon)}.`);
    }
    for (const key of ['center', 'scale'] as const) {
      if (args?.[key] !== undefined && typeof args[key] !== 'boolean') throw new InvalidArgumentError(`layerNormalization: ${key} must be a boolean.`);
    }
    this.center = args?.center ?? true;
    this.scale = args?.scale ?? true;
    this.betaInitializer = getInitializer(args?.betaInitializer ?? 'zeros', 'layerNormalization');
    this.gammaInitializer = getInitializer(args?.gammaInitializer ?? 'ones', 'layerNormalization');
    this.betaRegularizer = getRegularizer(args?.betaRegularizer);
    this.gammaRegularizer = getRegularizer(args?.gammaRegularizer);
  }

  private resolveAxes(shape: LayerShape): number[] {
    const rank = shape.length;
    const axes = this.axis.map((a) => (a < 0 ? a + rank : a));
    if (axes.some((a) => a < 1 || a >= rank) || new Set(axes).size !== axes.length) {
      throw new ShapeError(`${this.name}: axis ${JSON.stringify(this.axis)} is out of range for inputs of shape ${fmt(shape.map((d) => d ?? -1))} (the batch axis 0 cannot be normalized over).`);
    }
    for (const a of axes) {
      if (shape[a] === null) throw new ShapeError(`${this.name}: dimension ${a} of the input must be known, got shape ${fmt(shape.map((d) => d ?? -1))}.`);
    }
    return axes.sort((a, b) => a - b);
  }

  override build(inputShape: LayerShape | LayerShape[]): void {
    const shape = inputShape as LayerShape;
    if (Array.isArray(shape[0])) throw new InvalidArgumentError(`${this.name}: expects one tensor, got an array.`);
    this.axes = this.resolveAxes(shape);
    const paramShape = this.axes.map((a) => shape[a] as number);
    if (this.scale) this.gamma = this.addWeight('gamma', paramShape, { initializer: this.gammaInitializer, regularizer: this.gammaRegularizer });
    if (this.center) this.beta = this.addWeight('beta', paramShape, { initializer: this.betaInitializer, regularizer: this.betaRegularizer });
  }

  override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
    return inputShape as LayerShape;
  }

  override getConfig(): LayerConfig {
    const regularizer = (r: Regularizer | RegularizerFn | null) => (r ? serializeRegularizer(r) : null);
    return {
      axis: this.axis.length === 1 ? this.axis[0] : this.axis,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: serializeInitializer(this.betaInitializer),
      gammaInitializer: serializeInitializer(this.gammaInitializer),
      betaRegularizer: regularizer(this.betaRegularizer),
      gammaRegularizer: regularizer(this.gammaRegularizer),
      ...super.getConfig(),
    };
  }

  override call(inputs: Tensor | Tensor[], _opts: CallOptions): Tensor {
    if (Array.isArray(inputs)) throw new InvalidArgumentError(`${this.name}: expects one tensor, got an array.`);
    const x = inputs;
    const axes = this.resolveAxes(x.shape);
    const expected = this.axes.map((a) => (this.gamma ?? this.beta)?.shape[this.axes.indexOf(a)]);
    if (axes.length !== this.axes.length || axes.some((a, i) => a !== this.axes[i] || (expected[i] !== undefined && x.shape[a] !== expected[i]))) {
      throw new ShapeError(`${this.name}: was built for dimensions ${this.axes.map((a, i) => `${a}: ${expected[i] ?? '?'}`).join(', ')}, got an input of shape ${fmt(x.shape)}.`);
    }
    // The common case (the last axis, both gamma and beta) in one fused kernel.
    if (axes.length === 1 && axes[0] === x.rank - 1 && this.gamma && this.beta) return layerNorm(x, this.gamma, this.beta, this.epsilon);
    // gamma and beta broadcast over the axes not normalized.
    const paramView = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
    return tidy(() => {
      const { mean, variance } = moments(x, axes, true);
      let y = mul(sub(x, mean), rsqrt(add(variance, this.epsilon)));
      if (this.gamma) y = mul(y, reshape(this.gamma, paramView));
      if (this.beta) y = add(y, reshape(this.beta, paramView));
      return y;
    });
  }
}

export function layerNormalization(args: LayerNormalizationArgs = {}): LayerNormalization {
  return new LayerNormalization(args);
}
