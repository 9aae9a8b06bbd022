import { InvalidArgumentError, ShapeError, show } from '../errors';
import { batchMoments, batchNorm } from '../ops/batch_norm';
import { add, mul, sub } from '../ops/binary';
import { layerNorm } from '../ops/layer_norm';
import { moments } from '../ops/moments';
import { withoutRecording } from '../ops/primitive';
import { mean as meanOf } from '../ops/reduce';
import { reshape } from '../ops/shape_ops';
import { rsqrt, square } from '../ops/unary';
import { fmt } from '../tensor/shape';
import { type Tensor, tidy } from '../tensor/tensor';
import type { Variable } from '../tensor/variable';
import { get as getInitializer, type Initializer, type InitializerIdentifier, serialize as serializeInitializer } from './initializers';
import { type CallOptions, checkLayerArgs, Layer, type LayerArgs, type LayerConfig, type LayerShape, savedRegularizer } from './layer';
import { get as getRegularizer, type Regularizer, type RegularizerFn, type RegularizerLike } from './regularizers';

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
    return {
      axis: this.axis.length === 1 ? this.axis[0] : this.axis,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: serializeInitializer(this.betaInitializer),
      gammaInitializer: serializeInitializer(this.gammaInitializer),
      betaRegularizer: savedRegularizer(this.betaRegularizer),
      gammaRegularizer: savedRegularizer(this.gammaRegularizer),
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

export interface BatchNormalizationArgs extends LayerArgs {
  /** The features axis (channels in NHWC), counted with the batch axis; default −1. */
  axis?: number;
  /** How much of the moving statistics each training batch keeps; default 0.99. */
  momentum?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  betaInitializer?: Initializer | InitializerIdentifier;
  gammaInitializer?: Initializer | InitializerIdentifier;
  movingMeanInitializer?: Initializer | InitializerIdentifier;
  movingVarianceInitializer?: Initializer | InitializerIdentifier;
  betaRegularizer?: RegularizerLike | null;
  gammaRegularizer?: RegularizerLike | null;
}

/**
 * Keras 3's BatchNormalization: y = (x − mean) / √(variance + ε) · gamma + beta per feature of
 * `axis`, with the mean and (biased) variance of the batch over every other axis when training,
 * and the moving mean and variance otherwise. Each training apply also moves the statistics:
 * moving = moving·momentum + batch·(1 − momentum). A layer that is not trainable runs in
 * inference mode and keeps its statistics (Keras 3). Weights: gamma, beta (trainable), then
 * moving_mean, moving_variance (not trainable), each of the feature axis's size.
 */
export class BatchNormalization extends Layer {
  static override readonly className: string = 'BatchNormalization';
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly betaInitializer: Initializer;
  readonly gammaInitializer: Initializer;
  readonly movingMeanInitializer: Initializer;
  readonly movingVarianceInitializer: Initializer;
  readonly betaRegularizer: Regularizer | RegularizerFn | null;
  readonly gammaRegularizer: Regularizer | RegularizerFn | null;
  gamma: Variable | null = null;
  beta: Variable | null = null;
  movingMean: Variable | null = null;
  movingVariance: Variable | null = null;
  /** The rank the layer was built for and its feature axis as a non-negative number. */
  private builtRank = 0;
  private featureAxis = 0;

  constructor(args: BatchNormalizationArgs = {}) {
    const op = 'batchNormalization';
    checkLayerArgs(op, args, [
      'axis', 'momentum', 'epsilon', 'center', 'scale', 'betaInitializer', 'gammaInitializer', 'movingMeanInitializer', 'movingVarianceInitializer',
      'betaRegularizer', 'gammaRegularizer',
    ]);
    super(args ?? {});
    this.axis = args?.axis ?? -1;
    if (!Number.isInteger(this.axis)) throw new InvalidArgumentError(`${op}: axis must be an integer, got ${show(args?.axis)}.`);
    this.momentum = args?.momentum ?? 0.99;
    if (typeof this.momentum !== 'number' || !(this.momentum >= 0 && this.momentum <= 1)) {
      throw new InvalidArgumentError(`${op}: momentum must be a number in [0, 1], got ${show(args?.momentum)}.`);
    }
    this.epsilon = args?.epsilon ?? 1e-3;
    if (typeof this.epsilon !== 'number' || !(this.epsilon > 0) || !Number.isFinite(this.epsilon)) {
      throw new InvalidArgumentError(`${op}: epsilon must be a positive number, got ${show(args?.epsilon)}.`);
    }
    for (const key of ['center', 'scale'] as const) {
      if (args?.[key] !== undefined && typeof args[key] !== 'boolean') throw new InvalidArgumentError(`${op}: ${key} must be a boolean.`);
    }
    this.center = args?.center ?? true;
    this.scale = args?.scale ?? true;
    this.betaInitializer = getInitializer(args?.betaInitializer ?? 'zeros', op);
    this.gammaInitializer = getInitializer(args?.gammaInitializer ?? 'ones', op);
    this.movingMeanInitializer = getInitializer(args?.movingMeanInitializer ?? 'zeros', op);
    this.movingVarianceInitializer = getInitializer(args?.movingVarianceInitializer ?? 'ones', op);
    this.betaRegularizer = getRegularizer(args?.betaRegularizer);
    this.gammaRegularizer = getRegularizer(args?.gammaRegularizer);
  }

  /** The feature axis of inputs of `shape`, as a non-negative number, and its (known) size. */
  private resolveAxis(shape: LayerShape): { axis: number; features: number } {
    const axis = this.axis < 0 ? this.axis + shape.length : this.axis;
    const described = fmt(shape.map((d) => d ?? -1));
    if (shape.length < 2 || axis < 1 || axis >= shape.length) {
      throw new ShapeError(`${this.name}: axis ${this.axis} is out of range for inputs of shape ${described} (inputs need a batch axis and the batch axis 0 cannot be the feature axis).`);
    }
    const features = shape[axis];
    if (features === null) throw new ShapeError(`${this.name}: dimension ${axis} of the input (the feature axis) must be known, got shape ${described}.`);
    return { axis, features };
  }

  override build(inputShape: LayerShape | LayerShape[]): void {
    const shape = inputShape as LayerShape;
    if (Array.isArray(shape[0])) throw new InvalidArgumentError(`${this.name}: expects one tensor, got an array.`);
    const { axis, features } = this.resolveAxis(shape);
    this.builtRank = shape.length;
    this.featureAxis = axis;
    if (this.scale) this.gamma = this.addWeight('gamma', [features], { initializer: this.gammaInitializer, regularizer: this.gammaRegularizer });
    if (this.center) this.beta = this.addWeight('beta', [features], { initializer: this.betaInitializer, regularizer: this.betaRegularizer });
    this.movingMean = this.addWeight('moving_mean', [features], { initializer: this.movingMeanInitializer, trainable: false });
    this.movingVariance = this.addWeight('moving_variance', [features], { initializer: this.movingVarianceInitializer, trainable: false });
  }

  override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
    return inputShape as LayerShape;
  }

  /** TensorFlow.js's BatchNormalization config (constraints are always null: webgrad has none). */
  override getConfig(): LayerConfig {
    return {
      axis: this.axis,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: serializeInitializer(this.betaInitializer),
      gammaInitializer: serializeInitializer(this.gammaInitializer),
      movingMeanInitializer: serializeInitializer(this.movingMeanInitializer),
      movingVarianceInitializer: serializeInitializer(this.movingVarianceInitializer),
      betaRegularizer: savedRegularizer(this.betaRegularizer),
      gammaRegularizer: savedRegularizer(this.gammaRegularizer),
      betaConstraint: null,
      gammaConstraint: null,
      ...super.getConfig(),
    };
  }

  override call(inputs: Tensor | Tensor[], { training }: CallOptions): Tensor {
    if (Array.isArray(inputs)) throw new InvalidArgumentError(`${this.name}: expects one tensor, got an array.`);
    const x = inputs;
    const features = this.movingMean!.size;
    if (x.rank !== this.builtRank || x.shape[this.featureAxis] !== features) {
      throw new ShapeError(`${this.name}: was built for inputs of rank ${this.builtRank} with ${features} features on axis ${this.featureAxis}, got shape ${fmt(x.shape)}.`);
    }
    // The channels-last case with both gamma and beta in fused kernels: three dispatches to
    // train (statistics, moving statistics, output), one for inference.
    if (this.featureAxis === x.rank - 1 && this.gamma && this.beta && x.size > 0) {
      return tidy(() => {
        if (!training || !this.trainable) return batchNorm(x, this.movingMean!, this.movingVariance!, this.gamma!, this.beta!, this.epsilon, false);
        const { mean, variance } = batchMoments(x, this.movingMean!, this.movingVariance!, this.momentum);
        return batchNorm(x, mean, variance, this.gamma!, this.beta!, this.epsilon, true);
      });
    }
    // The statistics and parameters broadcast over every axis but the feature axis.
    const paramView = x.shape.map((d, i) => (i === this.featureAxis ? d : 1));
    const reduced = x.shape.map((_, i) => i).filter((i) => i !== this.featureAxis);
    const normalize = (centred: Tensor, variance: Tensor): Tensor => {
      // γ / √(variance + ε) is computed per feature, so the full-size work is one mul and one add.
      let factor = rsqrt(add(variance, this.epsilon));
      if (this.gamma) factor = mul(factor, reshape(this.gamma, paramView));
      const y = mul(centred, factor);
      return this.beta ? add(y, reshape(this.beta, paramView)) : y;
    };
    return tidy(() => {
      if (!training || !this.trainable) {
        return normalize(sub(x, reshape(this.movingMean!, paramView)), reshape(this.movingVariance!, paramView));
      }
      // moments(x) with the deviation kept for the output: mean, then the biased variance mean((x − mean)²).
      const mean = meanOf(x, reduced, true);
      const centred = sub(x, mean);
      const variance = meanOf(square(centred), reduced, true);
      this.moveStatistics(mean, variance);
      return normalize(centred, variance);
    });
  }

  /**
   * moving ← moving·momentum + batch·(1 − momentum), off every tape: an ordinary assignment encoded
   * with the step that computed the batch statistics (nothing is read back).
   */
  private moveStatistics(mean: Tensor, variance: Tensor): void {
    withoutRecording(() => tidy(() => {
      for (const [moving, batch] of [[this.movingMean!, mean], [this.movingVariance!, variance]] as const) {
        moving.assign(add(mul(moving, this.momentum), mul(reshape(batch, moving.shape), 1 - this.momentum)));
      }
    }));
  }
}

export function batchNormalization(args: BatchNormalizationArgs = {}): BatchNormalization {
  return new BatchNormalization(args);
}
