// Keras 3 callbacks for fit (`callbacks.earlyStopping`). fit hands each callback object that
// defines `setModel` the model being trained before the first epoch, as Keras sets `self.model`.
import { checkOptionKeys, InvalidArgumentError } from '../errors';
import type { Tensor } from '../tensor/tensor';
import type { Logs } from './logs';
import { type CallbackModel, type Callbacks, nonNegativeInteger } from './options';

export type { CallbackModel, Callbacks } from './options';

export interface EarlyStoppingOptions {
  /** The log key watched (default 'val_loss'). */
  monitor?: string;
  /** A change of less than this (in absolute value) is no improvement (default 0). */
  minDelta?: number;
  /** Epochs without improvement after which training stops (default 0). */
  patience?: number;
  /** 1: print when training stops and when weights are restored (default 0). */
  verbose?: 0 | 1;
  /** 'min', 'max', or 'auto' (default): from the key, losses and errors fall, accuracies rise. */
  mode?: 'auto' | 'min' | 'max';
  /** Training stops unless the monitored value beats this within `patience` epochs. */
  baseline?: number | null;
  /** At the end of training, set the weights of the best epoch (default false). */
  restoreBestWeights?: boolean;
  /** Epochs to train before watching for improvement (default 0). */
  startFromEpoch?: number;
}

const earlyStoppingKeys = Object.keys({
  monitor: true, minDelta: true, patience: true, verbose: true, mode: true, baseline: true, restoreBestWeights: true, startFromEpoch: true,
} satisfies Record<keyof EarlyStoppingOptions, true>);

/** Log keys whose values rise as a model improves (Keras's metrics with `_direction = 'up'`). */
const rising = /acc(uracy)?$/i;
/** Those that fall: losses and errors. */
const falling = /(loss|error|^mse|^mae)$/i;

function finiteNumber(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidArgumentError(`earlyStopping: ${name} must be a finite number, got ${String(v)}.`);
  return v;
}

/**
 * Keras 3's EarlyStopping: stops training once the monitored value has not improved by more than
 * `minDelta` for `patience` epochs (`model.stopTraining = true`, which ends `fit` after the
 * epoch). With `restoreBestWeights`, the weights of the best epoch are kept (as GPU copies) and
 * set back when training ends, whether it stopped early or ran all its epochs.
 */
export class EarlyStopping implements Callbacks {
  readonly monitor: string;
  readonly patience: number;
  /** Its absolute value: the sign follows the mode. */
  readonly minDelta: number;
  readonly mode: 'auto' | 'min' | 'max';
  readonly baseline: number | null;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  readonly verbose: 0 | 1;
  /** The model fit trains, set by `setModel`. */
  model: CallbackModel | undefined;
  /** Epochs since the last improvement. */
  wait = 0;
  /** The epoch training was stopped at (0: it was not). */
  stoppedEpoch = 0;
  /** The best monitored value so far: NaN until the first epoch ends, then ±Infinity until a value is watched. */
  best = NaN;
  bestEpoch = 0;
  private bestWeights: Tensor[] | null = null;
  /** Whether a value beats a reference by more than minDelta; chosen at the first epoch's end. */
  private improves: ((value: number, reference: number) => boolean) | null = null;

  constructor(options: EarlyStoppingOptions = {}) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('earlyStopping: expects an options object such as { monitor: "val_loss", patience: 2 }.');
    checkOptionKeys('earlyStopping', options, earlyStoppingKeys);
    const { monitor = 'val_loss', minDelta = 0, patience = 0, verbose = 0, mode = 'auto', baseline = null, restoreBestWeights = false, startFromEpoch = 0 } = options;
    if (typeof monitor !== 'string' || monitor === '') throw new InvalidArgumentError(`earlyStopping: monitor must be a log key such as 'val_loss', got ${String(monitor)}.`);
    if (mode !== 'auto' && mode !== 'min' && mode !== 'max') throw new InvalidArgumentError(`earlyStopping: mode must be 'auto', 'min' or 'max', got ${String(mode)}.`);
    if (typeof restoreBestWeights !== 'boolean') throw new InvalidArgumentError('earlyStopping: restoreBestWeights must be a boolean.');
    if (verbose !== 0 && verbose !== 1) throw new InvalidArgumentError(`earlyStopping: verbose must be 0 or 1, got ${String(verbose)}.`);
    this.monitor = monitor;
    this.minDelta = Math.abs(finiteNumber('minDelta', minDelta));
    this.patience = nonNegativeInteger('earlyStopping', 'patience', patience);
    this.startFromEpoch = nonNegativeInteger('earlyStopping', 'startFromEpoch', startFromEpoch);
    this.baseline = baseline === null ? null : finiteNumber('baseline', baseline);
    this.mode = mode;
    this.restoreBestWeights = restoreBestWeights;
    this.verbose = verbose;
  }

  setModel(model: CallbackModel): void {
    if (this.restoreBestWeights && (typeof model?.getWeights !== 'function' || typeof model.setWeights !== 'function')) {
      throw new InvalidArgumentError('earlyStopping: restoreBestWeights needs a model with getWeights and setWeights (a Model).');
    }
    this.model = model;
  }

  onTrainBegin(): void {
    // Allows the callback to be reused by another fit (Keras keeps `best` across fits).
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.dropBestWeights();
    this.bestEpoch = 0;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    this.improves ??= this.direction();
    const current = logs?.[this.monitor];
    if (current === undefined) {
      console.warn(`Early stopping conditioned on metric '${this.monitor}' which is not available. Available metrics are: ${Object.keys(logs ?? {}).join(',')}`);
      return;
    }
    if (epoch < this.startFromEpoch) return;
    const model = this.modelFor('onEpochEnd');
    this.wait += 1;
    const improved = this.improves(current, this.best);
    // Until an epoch improves, the weights of the first one watched are the best.
    if (this.restoreBestWeights && (improved || this.bestWeights === null)) {
      this.dropBestWeights();
      this.bestWeights = model.getWeights();
      this.bestEpoch = epoch;
    }
    if (improved) {
      this.best = current;
      this.bestEpoch = epoch;
      // The count restarts only for a value that beats both the best so far and the baseline.
      if (this.baseline === null || this.improves(current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      model.stopTraining = true;
    }
  }

  onTrainEnd(): void {
    if (this.stoppedEpoch > 0 && this.verbose > 0) console.log(`Epoch ${this.stoppedEpoch + 1}: early stopping`);
    if (this.restoreBestWeights && this.bestWeights !== null) {
      if (this.verbose > 0) console.log(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.`);
      this.modelFor('onTrainEnd').setWeights(this.bestWeights);
      this.dropBestWeights();
    }
  }

  /** Keras's monitor_op with the sign of min_delta folded in; sets the starting `best`. */
  private direction(): (value: number, reference: number) => boolean {
    const key = this.monitor.replace(/^val_/, '');
    let down: boolean;
    if (this.mode !== 'auto') down = this.mode === 'min';
    else if (key === 'loss' || falling.test(key)) down = true;
    else if (rising.test(key)) down = false;
    else {
      throw new InvalidArgumentError(
        `earlyStopping: cannot tell whether '${this.monitor}' should rise or fall; pass mode: 'max' to stop on the highest value, or mode: 'min' on the lowest.`,
      );
    }
    this.best = down ? Infinity : -Infinity;
    const delta = this.minDelta;
    return down ? (v, ref) => v + delta < ref : (v, ref) => v - delta > ref;
  }

  private modelFor(hook: string): CallbackModel & Required<Pick<CallbackModel, 'getWeights' | 'setWeights'>> {
    if (!this.model) throw new InvalidArgumentError(`earlyStopping.${hook}: no model; pass the callback to fit, which calls setModel.`);
    return this.model as CallbackModel & Required<Pick<CallbackModel, 'getWeights' | 'setWeights'>>;
  }

  private dropBestWeights(): void {
    for (const t of this.bestWeights ?? []) t.dispose();
    this.bestWeights = null;
  }
}

/**
 * Stops `fit` when the monitored value stops improving (Keras 3's EarlyStopping):
 * `model.fit(x, y, { validationSplit: 0.2, callbacks: [callbacks.earlyStopping({ patience: 3, restoreBestWeights: true })] })`.
 */
export function earlyStopping(options?: EarlyStoppingOptions): EarlyStopping {
  return new EarlyStopping(options);
}
