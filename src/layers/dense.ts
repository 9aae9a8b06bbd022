import { InvalidArgumentError, ShapeError } from '../errors';
import { matmul } from '../ops/matmul';
import { type FusableActivation, isFusable } from '../ops/unary';
import { reshape } from '../ops/shape_ops';
import { fmt } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import type { Variable } from '../tensor/variable';
import { type ActivationFn, type ActivationIdentifier, getActivation, savedActivationName } from './activations';
import { get as getInitializer, type Initializer, type InitializerIdentifier, serialize as serializeInitializer } from './initializers';
import { type CallOptions, Layer, type LayerArgs, type LayerConfig, type LayerShape } from './layer';
import { get as getRegularizer, type Regularizer, type RegularizerFn, type RegularizerLike, serialize as serializeRegularizer } from './regularizers';

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
  /** The activation when the matmul can apply it in its epilogue (a built-in one of Keras's defaults). */
  private readonly fusedActivation: FusableActivation | undefined;

  constructor(args: DenseArgs) {
    super(args);
    if (!args || !Number.isInteger(args.units) || args.units <= 0) {
      throw new InvalidArgumentError(`dense: units must be a positive integer, got ${String(args?.units)}.`);
    }
    if (args.useBias !== undefined && typeof args.useBias !== 'boolean') throw new InvalidArgumentError('dense: useBias must be a boolean.');
    this.units = args.units;
    const activation = getActivation(args.activation, 'dense');
    this.activation = activation.name;
    this.activationFn = activation.fn;
    // Keras's leakyRelu slope (0.2) and elu scale (1) are also matmul's defaults for a fused activation.
    const builtIn = activation.fn !== null && savedActivationName(activation.name, activation.fn) === activation.name;
    this.fusedActivation = builtIn && isFusable(activation.name, 0.2) ? activation.name : undefined;
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
    const regularizer = (r: Regularizer | RegularizerFn | null) => (r ? serializeRegularizer(r) : null);
    return {
      units: this.units,
      activation: savedActivationName(this.activation, this.activationFn),
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      kernelRegularizer: regularizer(this.kernelRegularizer),
      biasRegularizer: regularizer(this.biasRegularizer),
      activityRegularizer: regularizer(this.activityRegularizer),
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
    const temps: Tensor[] = [];
    const flat = x.rank === 2 ? x : reshape(x, [-1, inputDim]);
    if (flat !== x) temps.push(flat);
    // Bias and (where its derivative is a function of the output) activation run in the matmul's
    // epilogue: one kernel for the whole layer, forward and in the gradient.
    let y = matmul(flat, kernel, { bias: this.bias ?? undefined, activation: this.fusedActivation });
    if (this.activationFn && !this.fusedActivation) {
      temps.push(y);
      y = this.activationFn(y);
    }
    if (x.rank !== 2) {
      temps.push(y);
      y = reshape(y, [...x.shape.slice(0, -1), this.units]);
    }
    for (const t of temps) t.dispose();
    return y;
  }
}

export function dense(args: DenseArgs): Dense {
  return new Dense(args);
}
