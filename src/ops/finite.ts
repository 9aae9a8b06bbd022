// A check of many tensors for NaN and ±Infinity at the cost of one multiply, one reduction and a
// few copies, whatever their number; labels that are no class index join it as NaN.
import { engine } from '../device/engine';
import { checkBindable } from '../kernels/kernel';
import { concatFlat } from '../tensor/create';
import { type Tensor, tidy } from '../tensor/tensor';
import { add, equal, mul, sub } from './binary';
import { withoutRecording } from './primitive';
import { sum } from './reduce';
import { clipByValue } from './unary';
import { where } from './where';

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

/** 2^23: from here up float32 has no fraction bits, so y + 2^23 is an integer for 0 ≤ y < 2^23. */
const ROUNDING = 2 ** 23;

/**
 * `labels` with every value that is no class index, an integer in [0, classes), replaced by NaN
 * (out of range, fractional, NaN, ±∞ alike), so that nonFiniteFlags catches bad labels in the
 * same pass and readback as non-finite data. A label y is a class when
 *   y = clip((y + 2^23) − 2^23, 0, classes − 1):
 * for 0 ≤ y < 2^23 the sum lands where float32 holds integers only, so the round trip gives y
 * exactly when y is an integer, whichever way the adapter rounds; a y out of [0, classes) differs
 * from its clipped value; NaN equals nothing. (Class counts up to 2^23 are supported.)
 */
export function nonClassesAsNaN(labels: Tensor, classes: number): Tensor {
  return tidy(() =>
    withoutRecording(() => {
      const isClass = equal(clipByValue(sub(add(labels, ROUNDING), ROUNDING), 0, classes - 1), labels);
      return where(isClass, labels, NaN);
    }),
  );
}
