import { InvalidArgumentError, ShapeError } from '../errors';
import { gather } from '../ops/gather';
import { fmt } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import type { Variable } from '../tensor/variable';
import { get as getInitializer, type Initializer, type InitializerIdentifier, serialize as serializeInitializer } from './initializers';
import { type CallOptions, checkLayerArgs, Layer, type LayerArgs, type LayerConfig, type LayerShape, savedRegularizer } from './layer';
import { get as getRegularizer, type Regularizer, type RegularizerFn, type RegularizerLike } from './regularizers';

export interface EmbeddingArgs extends LayerArgs {
  inputDim: number;
  outputDim: number;
  embeddingsInitializer?: Initializer | InitializerIdentifier;
  embeddingsRegularizer?: RegularizerLike | null;
  /** The length of the id sequences, when fixed (checked on every call). */
  inputLength?: number;
}

/**
 * Rows of `embeddings` [inputDim, outputDim] at integer ids (Keras's Embedding): ids of shape
 * [batch, ...] give [batch, ..., outputDim]. Ids are float32 values holding integers, or int32.
 * The gradient adds each output row's cotangent into the row it came from, repeated ids
 * accumulating (the gather op's VJP). An id outside [0, inputDim) is rejected by fit, evaluate
 * and trainOnBatch before any weight changes, in the check they make of their data (one readback
 * for all inputs); inside a model, as on TensorFlow's GPU kernels, it reads a row of zeros.
 */
export class Embedding extends Layer {
  static override readonly className: string = 'Embedding';
  readonly inputDim: number;
  readonly outputDim: number;
  readonly inputLength: number | undefined;
  readonly embeddingsInitializer: Initializer;
  readonly embeddingsRegularizer: Regularizer | RegularizerFn | null;
  embeddings: Variable | null = null;

  constructor(args: EmbeddingArgs) {
    checkLayerArgs('embedding', args, ['inputDim', 'outputDim', 'embeddingsInitializer', 'embeddingsRegularizer', 'inputLength']);
    super(args);
    for (const key of ['inputDim', 'outputDim'] as const) {
      if (!Number.isInteger(args?.[key]) || args[key] <= 0) throw new InvalidArgumentError(`embedding: ${key} must be a positive integer, got ${String(args?.[key])}.`);
    }
    if (args.inputLength !== undefined && (!Number.isInteger(args.inputLength) || args.inputLength <= 0)) {
      throw new InvalidArgumentError(`embedding: inputLength must be a positive integer, got ${String(args.inputLength)}.`);
    }
    this.inputDim = args.inputDim;
    this.outputDim = args.outputDim;
    this.inputLength = args.inputLength;
    // Keras's default: uniform on [−0.05, 0.05].
    this.embeddingsInitializer = getInitializer(args.embeddingsInitializer ?? 'randomUniform', 'embedding');
    this.embeddingsRegularizer = getRegularizer(args.embeddingsRegularizer);
  }

  override build(_inputShape: LayerShape | LayerShape[]): void {
    this.embeddings = this.addWeight('embeddings', [this.inputDim, this.outputDim], { initializer: this.embeddingsInitializer, regularizer: this.embeddingsRegularizer });
  }

  override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
    this.checkIds(inputShape as LayerShape);
    return [...(inputShape as LayerShape), this.outputDim];
  }

  override getConfig(): LayerConfig {
    const config: LayerConfig = {
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      embeddingsInitializer: serializeInitializer(this.embeddingsInitializer),
      embeddingsRegularizer: savedRegularizer(this.embeddingsRegularizer),
      activityRegularizer: savedRegularizer(this.activityRegularizer),
      embeddingsConstraint: null,
      maskZero: false,
      ...super.getConfig(),
    };
    if (this.inputLength !== undefined) config.inputLength = this.inputLength;
    return config;
  }

  private checkIds(shape: LayerShape): void {
    if (!Array.isArray(shape) || Array.isArray(shape[0])) throw new InvalidArgumentError(`${this.name}: expects one tensor of ids.`);
    if (this.inputLength !== undefined && (shape.length < 2 || (shape[1] !== null && shape[1] !== this.inputLength))) {
      throw new ShapeError(`${this.name}: expects ids of shape [batch, ${this.inputLength}] (inputLength), got ${fmt(shape.map((d) => d ?? -1))}.`);
    }
  }

  override call(ids: Tensor | Tensor[], _opts: CallOptions): Tensor {
    if (Array.isArray(ids)) throw new InvalidArgumentError(`${this.name}: expects one tensor of ids, got an array.`);
    this.checkIds(ids.shape);
    return gather(this.embeddings!, ids);
  }
}

export function embedding(args: EmbeddingArgs): Embedding {
  return new Embedding(args);
}
