import type { ModelArtifacts } from '../io/artifacts';
import { loadWeights, saveModel } from '../io/save';
import type { Tensor } from '../tensor/tensor';
import { type CompileArgs, type Compiled, compileModel } from '../train/compile';
import type { Data } from '../train/data';
import type { Logs } from '../train/logs';
import { evaluateModel, fitModel, type History, predictModel, trainOnBatchModel } from '../train/loop';
import type { EvaluateOptions, FitOptions, PredictOptions } from '../train/options';
import { Layer, type LayerArgs } from './layer';
import { type PrintFn, printSummary } from './summary';

/**
 * A layer that can be trained: `compile` then `fit`, `evaluate`, `predict` (src/train does
 * the work). Subclass it with your own `call`, or use `Sequential`. A model nests in another model
 * like any layer.
 */
export class Model extends Layer {
  static override readonly className: string = 'Model';
  /** Set to true (from a callback) to end `fit` after the current batch. */
  stopTraining = false;
  private compiled: Compiled | undefined;

  constructor(args: LayerArgs = {}) {
    super(args);
  }

  compile(args: CompileArgs): void {
    this.compiled = compileModel(args);
  }

  /**
   * Trains on (x, y); the loss minimized and reported is the compiled loss (Σ lossWeight · loss
   * over the outputs) plus Σ `losses`. A model with several inputs or outputs takes arrays for x
   * and y, one entry per input and output in order.
   * Rejects, before any weight changes, non-finite data (NonFiniteError), labels that are no class
   * index when the loss reads y as sparse labels (InvalidArgumentError), and a second fit or
   * trainOnBatch while this model is training (TrainingInProgressError). Prints progress unless
   * `verbose: 0`.
   */
  fit(x: Data | Data[], y: Data | Data[], opts?: FitOptions): Promise<History> {
    return fitModel(this, this.compiled, x, y, opts);
  }

  /** The loss and metrics over (x, y), checked as `fit` checks them; may run while the model trains. */
  evaluate(x: Data | Data[], y: Data | Data[], opts?: EvaluateOptions): Promise<Logs> {
    return evaluateModel(this, this.compiled, x, y, opts);
  }

  /**
   * The outputs (training false) for every sample, batch by batch. A model with several inputs
   * takes an array (one entry per input, in order); one with several outputs returns an array.
   */
  predict(x: Data, opts?: PredictOptions): Tensor;
  predict(x: Data[], opts?: PredictOptions): Tensor | Tensor[];
  predict(x: Data | Data[], opts?: PredictOptions): Tensor | Tensor[] {
    return predictModel(this, x, opts);
  }

  /** One training step on (x, y), checked as `fit` checks them; resolves to that batch's logs. */
  trainOnBatch(x: Data | Data[], y: Data | Data[]): Promise<Logs> {
    return trainOnBatchModel(this, this.compiled, x, y);
  }

  /**
   * Prints a table of the layers (name and class, output shape, parameter count) and the totals
   * of trainable and non-trainable parameters, in Keras's layout: `summary()` to the console,
   * `summary(printFn)` one line per call to `printFn`, or TensorFlow.js's
   * `summary(lineLength?, positions?, printFn?)`.
   */
  summary(printFn?: PrintFn): void;
  summary(lineLength?: number, positions?: number[], printFn?: PrintFn): void;
  summary(lineLengthOrPrint?: number | PrintFn, positions?: number[], printFn?: PrintFn): void {
    if (typeof lineLengthOrPrint === 'function') printSummary(this, undefined, undefined, lineLengthOrPrint);
    else printSummary(this, lineLengthOrPrint, positions, printFn);
  }

  /**
   * Saves the model in the TensorFlow.js layers-model format (src/io): with no URL, resolves to the
   * artifacts; 'file://dir' (Node) writes dir/model.json and dir/weights.bin; 'indexeddb://name'
   * and 'downloads://name' store it in a browser. `loadModel` reads it back, as does TensorFlow.js.
   */
  save(url?: string): Promise<ModelArtifacts> {
    return saveModel(this, url);
  }

  /** Sets the weights of this (built) model from saved artifacts or a URL; see src/io/save.ts. */
  loadWeights(source: ModelArtifacts | string): Promise<void> {
    return loadWeights(this, source);
  }
}
