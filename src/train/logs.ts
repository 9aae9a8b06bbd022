// The logged values (loss, regularization loss, metrics) as running sums on the GPU, and the
// means they come to. Nothing is read back per batch: each batch adds its batch-size-weighted
// values into a small GPU vector (src/ops/epoch_sums.ts), which is read once at the end of the
// epoch, training and validation sums together. Only an `onBatchEnd` callback, which asks for
// batch logs, makes fit read the sums after every batch.
import { addToSums, zeroSums } from '../ops/epoch_sums';
import { emptyTensor, keep, type Tensor } from '../tensor/tensor';
import type { Compiled } from './compile';

export type Logs = Record<string, number>;

/** Running sums of `keys`, in `sections` (training, validation) one after the other. */
export class LogSums {
  readonly sums: Tensor;

  constructor(readonly keys: string[], sections: number) {
    this.sums = keep(emptyTensor([keys.length * sections]));
    this.reset();
  }

  reset(): void {
    zeroSums(this.sums);
  }

  /**
   * Adds one batch's values, weighted by its sample count, into `section`: the loss is the
   * compiled loss plus the penalties, the regularization loss the penalties alone, then the metrics.
   */
  add(section: number, compiled: Tensor, metrics: Tensor[], penalties: Tensor[], weight: number): void {
    addToSums(this.sums, section * this.keys.length, compiled, metrics, penalties, weight);
  }

  /** The means of one section, given how many samples went into it. */
  means(values: Float32Array, section: number, samples: number, prefix = ''): Logs {
    const logs: Logs = {};
    this.keys.forEach((k, i) => (logs[prefix + k] = values[section * this.keys.length + i] / samples));
    return logs;
  }

  dispose(): void {
    this.sums.dispose();
  }
}

export function logKeys(c: Compiled): string[] {
  return ['loss', 'regularizationLoss', ...c.metrics.map((m) => m.name)];
}

export function formatLogs(logs: Logs): string {
  return Object.entries(logs)
    .map(([k, v]) => `${k}: ${Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(4)}`)
    .join(' - ');
}
