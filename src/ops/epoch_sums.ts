// Running sums of logged values, kept on the GPU (shaders/epoch_sums.wgsl): setting them to zero,
// and adding one batch's loss, metrics and penalties, weighted by its sample count, in one dispatch.
import { epochSumsKernel } from '../kernels/metrics';
import { writeElements } from '../tensor/copy';
import { concatFlat } from '../tensor/create';
import type { Tensor } from '../tensor/tensor';

/** Sets every entry of `sums` to 0, in stream order. */
export function zeroSums(sums: Tensor): void {
  writeElements(sums, new Float32Array(sums.size), 'fit');
}

/**
 * Adds one batch into the keys [loss, regularizationLoss, metric 1 .. m] that start at `base`:
 *   loss += weight · (compiled + P),   regularizationLoss += weight · P,   metric i += weight · metric i
 * with P = Σ penalties; every value is a scalar. They are packed by copies, then one dispatch adds
 * them all: the total loss is never formed as a tensor of its own.
 */
export function addToSums(sums: Tensor, base: number, compiled: Tensor, metrics: readonly Tensor[], penalties: readonly Tensor[], weight: number): void {
  const packed = concatFlat([compiled, ...metrics, ...penalties], 'fit');
  epochSumsKernel.launch({
    op: 'fit',
    uniforms: { base, metrics: metrics.length, penalties: penalties.length, weight },
    bindings: { values: packed, sums },
    groups: [1],
  });
  packed.dispose();
}
