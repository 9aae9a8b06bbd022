import { engine } from '../device/engine';
import { Storage } from '../device/storage';
import { emptyTensor, type Tensor } from './tensor';

/**
 * Tensor work in stream order that runs no kernel: buffer copies (a transfer command in the
 * batch's encoder), uploads (up to 64 KiB staged in the uniform arena), and the submit that starts
 * what has been encoded.
 */

const storageOf = (x: Tensor | Storage, op: string): Storage => (x instanceof Storage ? x : x.storageFor(op));

/** Copies `count` elements (4 bytes each) of `src` from `srcOffset` into `dst` at `dstOffset`. */
export function copyElements(src: Tensor | Storage, srcOffset: number, dst: Tensor | Storage, dstOffset: number, count: number, op: string): void {
  const from = storageOf(src, op);
  const to = storageOf(dst, op);
  const stream = engine().stream;
  stream.recording?.bind(from, src);
  stream.recording?.bind(to, dst);
  stream.copy(from.buffer, 4 * srcOffset, to.buffer, 4 * dstOffset, 4 * count);
}

/** Writes `data` to the start of `dst`, after everything encoded so far and before what follows. */
export function writeElements(dst: Tensor | Storage, data: Float32Array | Int32Array | Uint32Array, op: string): void {
  const to = storageOf(dst, op);
  const stream = engine().stream;
  stream.recording?.bind(to, dst);
  stream.upload(to.buffer, data);
}

/** A copy of `t` in a buffer of its own (the value now, whatever later writes `t`). */
export function copyOf(t: Tensor, op: string): Tensor {
  const copy = emptyTensor(t.shape, t.dtype);
  copyElements(t, 0, copy, 0, t.size, op);
  return copy;
}

/** Rows [start, start + count) of `t` along its first axis, copied, or `t` itself viewed whole. */
export function rowsOf(t: Tensor, start: number, count: number, op: string): Tensor {
  if (start === 0 && count === t.shape[0]) return t.view(t.shape);
  const rowFloats = t.size / t.shape[0];
  const out = emptyTensor([count, ...t.shape.slice(1)], t.dtype);
  copyElements(t, start * rowFloats, out, 0, count * rowFloats, op);
  return out;
}

/** Copies `rows` into `dst` from row `start` on; both have the same size per row. */
export function writeRows(dst: Tensor, start: number, rows: Tensor, op: string): void {
  const rowFloats = rows.size / rows.shape[0];
  copyElements(rows, 0, dst, start * rowFloats, rows.size, op);
}

/**
 * Submits everything encoded so far, without waiting. A loop that encodes one batch after another
 * calls it after each, so the GPU runs a batch while the next one is encoded.
 */
export function submit(): void {
  engine().stream.flush();
}
