// A check of many tensors for NaN and ±Infinity at the cost of one multiply, one reduction and a
// few copies, whatever their number.
import { engine } from '../device/engine';
import { checkBindable } from '../kernels/kernel';
import { concatFlat } from '../tensor/create';
import { type Tensor, tidy } from '../tensor/tensor';
import { mul } from './binary';
import { withoutRecording } from './primitive';
import { sum } from './reduce';

/**
 * A vector of flags, NaN exactly when some value of `tensors` is not finite. The tensors are copied
 * end to end into one buffer (copies are not dispatches) and Σ(v·0) is taken over it, which is NaN
 * exactly when some v is not finite (0·±∞ and 0·NaN are NaN, 0·finite is 0). Tensors too big for
 * one storage binding together are split into groups, one flag each, gathered by copies.
 */
export function nonFiniteFlags(tensors: readonly Tensor[], op: string): Tensor {
  checkBindable(op, ...tensors.map((t) => t.size));
  const maxFloats = Math.floor((engine().info.limits.maxStorageBufferBindingSize ?? 2 ** 27) / 4);
  const groups: Tensor[][] = [];
  let floats = Infinity;
  for (const t of tensors) {
    if (floats + t.size > maxFloats) {
      groups.push([]);
      floats = 0;
    }
    groups[groups.length - 1].push(t);
    floats += t.size;
  }
  // A tidy per group frees its packed copy before the next group is packed.
  return tidy(() => concatFlat(groups.map((group) => tidy(() => withoutRecording(() => sum(mul(concatFlat(group, op), 0))))), op));
}
