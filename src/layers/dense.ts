import { InvalidArgumentError, ShapeError } from '../errors';
import { dense as denseOp, type DenseActivation } from '../ops/dense';
import { fmt } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import type { Variable } from '../tensor/variable';
import { type ActivationFn, type ActivationIdentifier, builtInActivation, getActivation, savedActivationName } from './activations';
import { get as getInitializer, type Initializer, type InitializerIdentifier, serialize as serializeInitializer } from './initializers';
import { type CallOptions, checkLayerArgs, Layer, type LayerArgs, type LayerConfig, type LayerShape, savedRegularizer } from './layer';
import { get as getRegularizer, type Regularizer, type RegularizerFn, type RegularizerLike } from './regularizers';

export interface DenseArgs extends LayerArgs {
  units: number;
  activation?: ActivationIdentifier | ActivationFn;
  useBias?: boolean;
  kernelInitializer?: Initializer | InitializerIdentifier;
  biasInitializer?: Initializer | InitializerIdentifier;
  kernelRegularizer?: RegularizerLike | null;
  biasRegularizer?: RegularizerLike | null;
}

/**
 * y = activation(x · kernel + bias) over the last axis of x; kernel [inputDim, units], bias [units].
 * Keras defaults: kernel glorotUniform, bias zeros, no activation.
 */
export class Dense extends Layer {
  static override readonly className: string = 'Dense';
  readonly units: number;
  readonly activation: string;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | RegularizerFn | null;
  readonly biasRegularizer: Regularizer | RegularizerFn | null;
  kernel: Variable | null = null;
  bias: Variable | null = null;
  private readonly activationFn: ActivationFn | null;
  /** What `call` applies: a built-in activation by its name (Keras's defaults), or the function given. */
  private readonly applied: DenseActivation | ActivationFn;

  constructor(args: DenseArgs) {
    checkLayerArgs('dense', args, ['units', 'activation', 'useBias', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer']);
    super(args);
    if (!args || !Number.isInteger(args.units) || args.units <= 0) {
      throw new InvalidArgumentError(`dense: units must be a positive integer, got ${String(args?.units)}.`);
    }
    if (args.useBias !== undefined && typeof args.useBias !== 'boolean') throw new InvalidArgumentError('dense: useBias must be a boolean.');
    this.units = args.units;
    const activation = getActivation(args.activation, 'dense');
    this.activation = activation.name;
    this.activationFn = activation.fn;
    this.applied = builtInActivation(activation.name, activation.fn) ?? activation.fn!;
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = getInitializer(args.kernelInitializer ?? 'glorotUniform', 'dense');
    this.biasInitializer = getInitializer(args.biasInitializer ?? 'zeros', 'dense');
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer);
    this.biasRegularizer = getRegularizer(args.biasRegularizer);
  }

  override build(inputShape: LayerShape): void {
    const inputDim = inputShape[inputShape.length - 1];
    if (typeof inputDim !== 'number' || inputDim <= 0) {
      throw new ShapeError(`${this.name}: the last dimension of the input must be known and positive, got shape [${inputShape.join(',')}].`);
    }
    this.kernel = this.addWeight('kernel', [inputDim, this.units], { initializer: this.kernelInitializer, regularizer: this.kernelRegularizer });
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], { initializer: this.biasInitializer, regularizer: this.biasRegularizer });
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    return [...inputShape.slice(0, -1), this.units];
  }

  /** TensorFlow.js's Dense config (constraints are always null: webgrad has none). */
  override getConfig(): LayerConfig {
    return {
      units: this.units,
      activation: savedActivationName(this.activation, this.activationFn),
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      kernelRegularizer: savedRegularizer(this.kernelRegularizer),
      biasRegularizer: savedRegularizer(this.biasRegularizer),
      activityRegularizer: savedRegularizer(this.activityRegularizer),
      kernelConstraint: null,
      biasConstraint: null,
      ...super.getConfig(),
    };
  }

  override call(x: Tensor, _opts: CallOptions): Tensor {
    const kernel = this.kernel!;
    const inputDim = kernel.shape[0];
    if (x.rank === 0 || x.shape[x.rank - 1] !== inputDim) {
      throw new ShapeError(`${this.name}: expects inputs whose last dimension is ${inputDim}, got shape ${fmt(x.shape)}.`);
    }
    return denseOp(x, kernel, this.bias, this.applied);
  }
}

export function dense(args: DenseArgs): Dense {
  return new Dense(args);
}
