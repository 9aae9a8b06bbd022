import { InvalidArgumentError, ShapeError } from '../errors';
import { checkBindable, fitsBinding } from '../kernels/kernel';
import { fmt, sameShape } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { add, sub } from './binary';
import { softmaxLastAxis } from './masked_softmax';
import { asTensor, type Operand } from './operand';
import { emit, type VjpRule, withoutRecording } from './primitive';
import { max, sum } from './reduce';
import { reshape, stack } from './shape_ops';
import { exp, log } from './unary';

/** The same values, with no gradient flowing back through them. */
export function stopGradient(x: Operand): Tensor {
  const xt = asTensor(x, 'stopGradient');
  return withoutRecording(() => xt.view(xt.shape));
}

/**
 * log softmax(x) = x − m − log Σ exp(x − m), with m = max(x) held constant: it cancels in the
 * value and its gradient, and keeps exp from overflowing. Over the last axis one kernel each way.
 */
export function logSoftmax(x: Operand, axis = -1): Tensor {
  const xt = asTensor(x, 'logSoftmax');
  checkBindable('logSoftmax', xt.size);
  if (lastAxis(xt, axis)) return softmaxLastAxis(xt, true);
  const m = withoutRecording(() => max(xt, axis, true));
  const shifted = sub(xt, m);
  const e = exp(shifted);
  const s = sum(e, axis, true);
  const l = log(s);
  const out = sub(shifted, l);
  for (const t of [m, shifted, e, s, l]) t.dispose();
  return out;
}

/**
 * exp(x − max x) / Σ exp(x − max x) along `axis`: over the last axis one kernel each way (the
 * masked softmax with no mask), along another axis as exp(logSoftmax(x)).
 */
export function softmax(x: Operand, axis = -1): Tensor {
  const xt = asTensor(x, 'softmax');
  checkBindable('softmax', xt.size);
  if (lastAxis(xt, axis)) return softmaxLastAxis(xt);
  const ls = logSoftmax(xt, axis);
  const out = exp(ls);
  ls.dispose();
  return out;
}

/** Whether the fused (log) softmax kernel serves: float32 x along its last axis. */
function lastAxis(x: Tensor, axis: number): boolean {
  return x.rank > 0 && x.dtype === 'float32' && (axis === -1 || axis === x.rank - 1);
}

/** Σ of several same-shape tensors. */
export function addN(tensors: Tensor[]): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new InvalidArgumentError('addN: expects a non-empty array of tensors.');
  const ts = tensors.map((t, i) => asTensor(t, 'addN', `tensors[${i}]`));
  for (const t of ts) {
    if (!sameShape(t.shape, ts[0].shape)) {
      throw new ShapeError(`addN: all tensors must have one shape, got ${ts.map((u) => fmt(u.shape)).join(', ')}.`);
    }
  }
  if (ts.length === 1) return reshape(ts[0], ts[0].shape);
  if (ts.length === 2 && ts[0].size > 1) return add(ts[0], ts[1]);
  // Σ as one reduction over a stack (built by copies): one dispatch whatever the count. Scalars
  // (penalties, losses) always go this way, so their sum costs the same for any count. A stack
  // too large for one storage binding is summed pairwise instead.
  const out = withoutRecording(() => {
    if (!fitsBinding(ts.length * ts[0].size)) {
      let total = add(ts[0], ts[1]);
      for (const t of ts.slice(2)) {
        const next = add(total, t);
        total.dispose();
        total = next;
      }
      return total;
    }
    const stacked = stack(ts);
    const total = sum(stacked, 0);
    stacked.dispose();
    return total;
  });
  return emit('addN', {}, ts, out);
}

/** d(Σ xᵢ)/dxᵢ = 1: every input takes the cotangent as it is (no dispatch). */
export const addNVjp: VjpRule<'addN'> = (ct, { needs }) => needs.map((n) => (n ? ct : null));
