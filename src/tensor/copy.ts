import { engine } from '../device/engine';
import { Storage } from '../device/storage';
import type { Tensor } from './tensor';

/**
 * Copies and uploads in stream order. Neither is a dispatch: a copy is a transfer command in
 * the batch's encoder, and an upload of up to 64 KiB is staged in the uniform arena.
 */

const storageOf = (x: Tensor | Storage, op: string): Storage => (x instanceof Storage ? x : x.storageFor(op));

/** Copies `count` elements (4 bytes each) of `src` from `srcOffset` into `dst` at `dstOffset`. */
export function copyElements(src: Tensor | Storage, srcOffset: number, dst: Tensor | Storage, dstOffset: number, count: number, op: string): void {
  const from = storageOf(src, op);
  const to = storageOf(dst, op);
  engine().stream.copy(from.buffer, 4 * srcOffset, to.buffer, 4 * dstOffset, 4 * count);
}

/** Writes `data` to the start of `dst`, after everything encoded so far and before what follows. */
export function writeElements(dst: Tensor | Storage, data: Float32Array | Int32Array | Uint32Array, op: string): void {
  engine().stream.upload(storageOf(dst, op).buffer, data);
}
