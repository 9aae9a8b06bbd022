// The options of fit, evaluate and predict: their types, defaults and checks, which all run before
// any GPU work that could change a weight.
import { checkOptionKeys, InvalidArgumentError } from '../errors';
import type { Tensor } from '../tensor/tensor';
import type { Data } from './data';
import type { Logs } from './logs';
import type { TrainableModel } from './step';

/** The model `fit` hands to a callback's `setModel`: the Model being trained, which has all of these. */
export interface CallbackModel extends TrainableModel {
  stopTraining?: boolean;
  /** Copies of all its weights' values, in order. */
  getWeights?(): Tensor[];
  setWeights?(values: Tensor[]): void;
}

/** Each may return a promise; fit awaits it. */
export interface Callbacks {
  /** Called by fit before training with the model trained (Keras's `set_model`). */
  setModel?(model: CallbackModel): void;
  onTrainBegin?(logs: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs: Logs): void | Promise<void>;
  /** Its logs are the running means over the epoch so far (as Keras 3 reports them). */
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  onTrainEnd?(logs: Logs): void | Promise<void>;
}

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  /** Reshuffle the training samples before each epoch (default true). */
  shuffle?: boolean;
  /** Makes the shuffles reproducible. */
  seed?: number;
  /** [x, y], each an array (one entry per input or output) for a model with several. */
  validationData?: [Data | Data[], Data | Data[]];
  /** The last fraction of the samples, taken before shuffling, held out for validation. */
  validationSplit?: number;
  callbacks?: Callbacks | Callbacks[];
  /**
   * 0: silent. 1 (the default, as in TensorFlow.js): in a terminal, a progress bar per epoch
   * (batches done, time left, running loss) rewritten in place; elsewhere (a browser console,
   * output piped to a file) one line per epoch. 2: one line per epoch.
   */
  verbose?: Verbosity;
  /** The epoch to start counting from (to resume an earlier fit). */
  initialEpoch?: number;
}

export type Verbosity = 0 | 1 | 2;

/** evaluate's options, as TensorFlow.js names them. */
export interface EvaluateOptions {
  batchSize?: number;
  /** Accepted for TensorFlow.js code; evaluate prints nothing whatever its value. */
  verbose?: Verbosity;
}

/** predict's options, as TensorFlow.js names them. */
export interface PredictOptions {
  batchSize?: number;
  /** Accepted for TensorFlow.js code; predict prints nothing whatever its value. */
  verbose?: Verbosity;
}

// The keys each accepts, written as records over the option types so that an option added to a
// type and not here fails `tsc`.
const fitKeys = Object.keys({
  epochs: true, batchSize: true, shuffle: true, seed: true, validationData: true, validationSplit: true, callbacks: true, verbose: true, initialEpoch: true,
} satisfies Record<keyof FitOptions, true>);
const evaluateKeys = Object.keys({ batchSize: true, verbose: true } satisfies Record<keyof EvaluateOptions | keyof PredictOptions, true>);

/** FitOptions checked, with Keras's defaults filled in. */
export interface FitSettings {
  epochs: number;
  initialEpoch: number;
  batchSize: number;
  shuffle: boolean;
  seed: number | undefined;
  validationData: [Data | Data[], Data | Data[]] | undefined;
  validationSplit: number;
  callbacks: Callbacks[];
  verbose: Verbosity;
}

function positiveInteger(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new InvalidArgumentError(`${op}: ${name} must be a positive integer, got ${String(v)}.`);
  return v;
}

export function nonNegativeInteger(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new InvalidArgumentError(`${op}: ${name} must be a non-negative integer, got ${String(v)}.`);
  return v;
}

export function batchSizeOf(op: string, v: unknown): number {
  return v === undefined ? 32 : positiveInteger(op, 'batchSize', v);
}

function verbosityOf(op: string, v: unknown, fallback: Verbosity): Verbosity {
  if (v === undefined) return fallback;
  if (v !== 0 && v !== 1 && v !== 2) throw new InvalidArgumentError(`${op}: verbose must be 0, 1 or 2, got ${String(v)}.`);
  return v;
}

/** The batch size of evaluate's or predict's options (default 32), after checking their keys. */
export function evaluateSettings(op: string, opts: EvaluateOptions | PredictOptions | undefined): { batchSize: number } {
  if (opts === undefined || opts === null) return { batchSize: batchSizeOf(op, undefined) };
  if (typeof opts !== 'object') throw new InvalidArgumentError(`${op}: options must be an object.`);
  checkOptionKeys(op, opts, evaluateKeys);
  verbosityOf(op, opts.verbose, 0);
  return { batchSize: batchSizeOf(op, opts.batchSize) };
}

function checkCallbacks(cbs: Callbacks | Callbacks[] | undefined): Callbacks[] {
  const list = cbs === undefined ? [] : Array.isArray(cbs) ? cbs : [cbs];
  const hooks = ['setModel', 'onTrainBegin', 'onEpochBegin', 'onBatchBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'] as const;
  for (const cb of list) {
    if (cb === null || typeof cb !== 'object') throw new InvalidArgumentError('fit: callbacks must be objects with onEpochEnd, onBatchEnd, ... methods.');
    // A plain object holds nothing but hooks, so a misspelled one is caught; an instance of a
    // callback class may keep state of its own in fields.
    if (Object.getPrototypeOf(cb) === Object.prototype) checkOptionKeys('fit: callbacks', cb, hooks);
    for (const h of hooks) {
      if (cb[h] !== undefined && typeof cb[h] !== 'function') throw new InvalidArgumentError(`fit: callback ${h} must be a function.`);
    }
  }
  return list;
}

export function fitSettings(opts: FitOptions): FitSettings {
  const op = 'fit';
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('fit: options must be an object.');
  checkOptionKeys(op, opts, fitKeys);
  const epochs = opts.epochs === undefined ? 1 : nonNegativeInteger(op, 'epochs', opts.epochs);
  const initialEpoch = opts.initialEpoch === undefined ? 0 : nonNegativeInteger(op, 'initialEpoch', opts.initialEpoch);
  const batchSize = batchSizeOf(op, opts.batchSize);
  const shuffle = opts.shuffle ?? true;
  if (typeof shuffle !== 'boolean') throw new InvalidArgumentError('fit: shuffle must be a boolean.');
  if (opts.seed !== undefined && (typeof opts.seed !== 'number' || !Number.isFinite(opts.seed))) {
    throw new InvalidArgumentError(`fit: seed must be a finite number, got ${String(opts.seed)}.`);
  }
  const validationSplit = opts.validationSplit ?? 0;
  if (typeof validationSplit !== 'number' || !(validationSplit >= 0 && validationSplit < 1)) {
    throw new InvalidArgumentError(`fit: validationSplit must lie in [0, 1), got ${String(validationSplit)}.`);
  }
  const verbose = verbosityOf(op, opts.verbose, 1);
  const callbacks = checkCallbacks(opts.callbacks);
  if (opts.validationData !== undefined && (!Array.isArray(opts.validationData) || opts.validationData.length !== 2)) {
    throw new InvalidArgumentError('fit: validationData must be [x, y].');
  }
  return { epochs, initialEpoch, batchSize, shuffle, seed: opts.seed, validationData: opts.validationData, validationSplit, callbacks, verbose };
}
