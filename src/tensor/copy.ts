// Tensor work in stream order that runs no kernel: buffer copies between tensors (copies are not
// dispatches), and the submit that starts what has been encoded.
import { encodeCopy, flush } from '../device/kernels';
import { emptyTensor, type Tensor } from './tensor';

/** A copy of `t` in a buffer of its own (the value now, whatever later writes `t`). */
export function copyOf(t: Tensor, op: string): Tensor {
  const copy = emptyTensor(t.shape);
  encodeCopy(t.buffer(op), 0, copy.buffer(op), 0, 4 * t.size);
  return copy;
}

/** Rows [start, start + count) of `t` along its first axis, copied, or `t` itself viewed whole. */
export function rowsOf(t: Tensor, start: number, count: number, op: string): Tensor {
  if (start === 0 && count === t.shape[0]) return t.view(t.shape);
  const rowFloats = t.size / t.shape[0];
  const out = emptyTensor([count, ...t.shape.slice(1)]);
  encodeCopy(t.buffer(op), start * rowFloats * 4, out.buffer(op), 0, count * rowFloats * 4);
  return out;
}

/** Copies `rows` into `dst` from row `start` on; both have the same size per row. */
export function writeRows(dst: Tensor, start: number, rows: Tensor, op: string): void {
  const rowBytes = (rows.size / rows.shape[0]) * 4;
  encodeCopy(rows.buffer(op), 0, dst.buffer(op), start * rowBytes, rows.size * 4);
}

/**
 * Submits everything encoded so far, without waiting. A loop that encodes one batch after another
 * calls it after each, so the GPU runs a batch while the next one is encoded.
 */
export function submit(): void {
  flush();
}
