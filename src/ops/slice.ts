import { InvalidArgumentError, ShapeError, show } from '../errors';
import { MAX_RANK } from '../kernels/kernel';
import { regionKernel } from '../kernels/region';
import { copyElements } from '../tensor/copy';
import { fmt, sameShape, type Shape, sizeOf, stridesOf } from '../tensor/shape';
import { emptyTensor, type Tensor } from '../tensor/tensor';
import { normalizeAxis } from './dims';
import { asTensor, type Operand } from './operand';
import { emit, type VjpRule } from './primitive';

/**
 * Slicing, splitting, concatenation and padding: ops that move boxes of elements between tensors.
 * A box that is one contiguous run on both sides (a slice along the leading axis, a concat whose
 * inputs follow each other in memory) is a buffer copy, with no dispatch; any other box is one
 * dispatch of shaders/region.wgsl. slice and pad are each other's VJP, and concat's is a slice per
 * input, so every rule here is made of recorded ops.
 */

function checkRank(op: string, x: Tensor): void {
  if (x.rank > MAX_RANK) throw new ShapeError(`${op}: rank ${x.rank} of ${fmt(x.shape)} exceeds the supported ${MAX_RANK}.`);
}

const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

/**
 * Merges neighbouring dimensions that are contiguous on both sides and drops those of size 1, so
 * a box that is one run of memory ends up as one dimension of stride 1.
 */
function coalesce(shape: Shape, srcStrides: number[], dstStrides: number[]): { shape: number[]; src: number[]; dst: number[] } {
  const out = { shape: [] as number[], src: [] as number[], dst: [] as number[] };
  shape.forEach((size, d) => {
    if (size === 1) return;
    const last = out.shape.length - 1;
    if (last >= 0 && out.src[last] === srcStrides[d] * size && out.dst[last] === dstStrides[d] * size) {
      out.shape[last] *= size;
      out.src[last] = srcStrides[d];
      out.dst[last] = dstStrides[d];
    } else {
      out.shape.push(size);
      out.src.push(srcStrides[d]);
      out.dst.push(dstStrides[d]);
    }
  });
  return out;
}

/** Copies the box `shape` of `src` (at srcOffset, srcStrides) into `dst` (at dstOffset, dstStrides). */
function copyBox(op: string, src: Tensor, srcOffset: number, srcStrides: number[], dst: Tensor, dstOffset: number, dstStrides: number[], shape: Shape): void {
  const n = sizeOf(shape);
  if (n === 0) return;
  const box = coalesce(shape, srcStrides, dstStrides);
  if (box.shape.length === 0 || (box.shape.length === 1 && box.src[0] === 1 && box.dst[0] === 1)) {
    copyElements(src, srcOffset, dst, dstOffset, n, op);
    return;
  }
  regionKernel.launch({
    op,
    entry: 'copy',
    uniforms: { n, rank: box.shape.length, srcOffset, dstOffset, value: 0, shape: box.shape, srcStrides: box.src, dstStrides: box.dst, before: [], srcShape: [] },
    bindings: { src, dst },
    groups: regionKernel.threads(n),
  });
}

/** Offset of the element at `coords` in a row-major layout with `strides`. */
const offsetOf = (coords: readonly number[], strides: readonly number[]): number => coords.reduce((acc, c, d) => acc + c * strides[d], 0);

/**
 * TensorFlow.js's reading of slice's arguments: a number stands for the first dimension, missing
 * trailing entries of `begin` are 0 and of `size` −1, and −1 in `size` means to the end.
 */
function sliceBox(x: Tensor, begin: number | readonly number[], size: number | readonly number[] | undefined): { begin: number[]; size: number[] } {
  const rank = x.rank;
  const fill = (v: number | readonly number[] | undefined, rest: number, what: string): number[] => {
    if (v === undefined) return new Array<number>(rank).fill(rest);
    if (typeof v === 'number') return rank === 0 ? [v] : [v, ...new Array<number>(rank - 1).fill(rest)];
    if (!Array.isArray(v)) throw new InvalidArgumentError(`slice: ${what} must be a number or an array of numbers, got ${show(v)}.`);
    return [...v, ...new Array<number>(Math.max(0, rank - v.length)).fill(rest)];
  };
  const b = fill(begin, 0, 'begin');
  const s = fill(size, -1, 'size');
  if (b.length > rank || s.length > rank) {
    throw new ShapeError(`slice: begin [${b.join(',')}] and size [${s.join(',')}] have more entries than ${fmt(x.shape)} has dimensions.`);
  }
  const resolved = s.map((d, i) => (d === -1 ? x.shape[i] - b[i] : d));
  for (let i = 0; i < rank; i++) {
    if (!isCount(b[i]) || !isCount(resolved[i]) || b[i] + resolved[i] > x.shape[i]) {
      throw new ShapeError(`slice: begin [${b.join(',')}] and size [${s.join(',')}] do not fit inside ${fmt(x.shape)} (dimension ${i}).`);
    }
  }
  return { begin: b, size: resolved };
}

/**
 * The box of `x` that starts at `begin` and spans `size` (TensorFlow.js `slice`): −1 in `size`
 * runs to the end of that dimension, and a number or a short array covers the leading dimensions
 * (the rest are taken whole). A box that is one run of memory is a buffer copy; the whole tensor
 * is a view.
 */
export function slice(x: Operand, begin: number | readonly number[], size?: number | readonly number[]): Tensor {
  const xt = asTensor(x, 'slice');
  checkRank('slice', xt);
  const box = sliceBox(xt, begin, size);
  const params = { begin: box.begin, size: box.size };
  if (sameShape(box.size, xt.shape)) return emit('slice', params, [xt], xt.view(box.size));
  const out = emptyTensor(box.size, xt.dtype);
  const strides = stridesOf(xt.shape);
  copyBox('slice', xt, offsetOf(box.begin, strides), strides, out, 0, stridesOf(box.size), box.size);
  return emit('slice', params, [xt], out);
}

/** The slice's cotangent, put back where the slice came from and 0 elsewhere: a pad. */
export const sliceVjp: VjpRule<'slice'> = (ct, { inputs: [x], params: { begin, size } }) => [
  pad(ct, begin.map((b, d) => [b, x.shape[d] - b - size[d]] as [number, number])),
];

/**
 * `x` with `paddings[d][0]` entries of `value` before it and `paddings[d][1]` after it along each
 * dimension d (TensorFlow.js `pad`, constant mode): one dispatch.
 */
export function pad(x: Operand, paddings: ReadonlyArray<readonly [number, number]>, value = 0): Tensor {
  const xt = asTensor(x, 'pad');
  checkRank('pad', xt);
  const valid = Array.isArray(paddings) && paddings.length === xt.rank && paddings.every((p) => Array.isArray(p) && p.length === 2 && isCount(p[0]) && isCount(p[1]));
  if (!valid) {
    throw new InvalidArgumentError(`pad: paddings must hold one [before, after] pair of non-negative integers per dimension of ${fmt(xt.shape)}, got ${show(paddings)}.`);
  }
  if (typeof value !== 'number') throw new InvalidArgumentError(`pad: value must be a number, got ${show(value)}.`);
  if (xt.dtype === 'int32' && !Number.isInteger(value)) throw new InvalidArgumentError(`pad: an int32 tensor takes an integer value, got ${value}.`);
  const before = paddings.map((p) => p[0]);
  const shape = xt.shape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
  const params = { paddings: paddings.map((p) => [p[0], p[1]] as [number, number]), value };
  if (sameShape(shape, xt.shape)) return emit('pad', params, [xt], xt.view(shape));
  const out = emptyTensor(shape, xt.dtype);
  if (out.size > 0) {
    regionKernel.launch({
      op: 'pad',
      entry: 'pad',
      uniforms: {
        n: out.size, rank: shape.length, srcOffset: 0, dstOffset: 0, value, shape, srcStrides: stridesOf(xt.shape), dstStrides: [], before, srcShape: xt.shape,
      },
      bindings: { src: xt, dst: out },
      groups: regionKernel.threads(out.size),
    });
  }
  return emit('pad', params, [xt], out);
}

/** The cotangent of the part that was `x`; the border's value takes none. */
export const padVjp: VjpRule<'pad'> = (ct, { inputs: [x], params: { paddings } }) => [slice(ct, paddings.map((p) => p[0]), x.shape)];

/**
 * Joins tensors along an existing `axis` (TensorFlow.js `concat`): every other dimension must
 * match. Inputs that follow each other in memory (nothing but dimensions of size 1 before `axis`)
 * are buffer copies; otherwise each input is one dispatch into its box of the output.
 */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new InvalidArgumentError('concat: expects a non-empty array of tensors.');
  const ts = tensors.map((t, i) => asTensor(t, 'concat', `tensors[${i}]`));
  const rank = ts[0].rank;
  if (rank === 0) throw new ShapeError('concat: scalars have no axis to join along; reshape them to [1] or use stack.');
  checkRank('concat', ts[0]);
  const ax = normalizeAxis('concat', axis, rank);
  const fits = (t: Tensor) => t.rank === rank && t.shape.every((d, i) => i === ax || d === ts[0].shape[i]);
  if (!ts.every(fits)) {
    throw new ShapeError(`concat: along axis ${ax}, every other dimension must match, got ${ts.map((t) => fmt(t.shape)).join(', ')}.`);
  }
  if (ts.some((t) => t.dtype !== ts[0].dtype)) {
    throw new InvalidArgumentError(`concat: the tensors must share one dtype, got ${ts.map((t) => t.dtype).join(', ')}.`);
  }
  if (ts.length === 1) return emit('concat', { axis: ax }, ts, ts[0].view(ts[0].shape));
  const shape = [...ts[0].shape];
  shape[ax] = ts.reduce((n, t) => n + t.shape[ax], 0);
  const out = emptyTensor(shape, ts[0].dtype);
  const outStrides = stridesOf(shape);
  let at = 0;
  for (const t of ts) {
    copyBox('concat', t, 0, stridesOf(t.shape), out, at * outStrides[ax], outStrides, t.shape);
    at += t.shape[ax];
  }
  return emit('concat', { axis: ax }, ts, out);
}

/** Each input's cotangent is its own slice of the output's. */
export const concatVjp: VjpRule<'concat'> = (ct, { inputs, needs, params: { axis } }) => {
  let at = 0;
  return inputs.map((x, i) => {
    const begin = x.shape.map((_, d) => (d === axis ? at : 0));
    at += x.shape[axis];
    return needs[i] ? slice(ct, begin, x.shape) : null;
  });
};

/**
 * Splits `x` along `axis` (TensorFlow.js `split`): into `numOrSizes` equal parts, or into parts
 * of the listed sizes (one of which may be −1: what the others leave). Each part is a slice.
 */
export function split(x: Operand, numOrSizes: number | readonly number[], axis = 0): Tensor[] {
  const xt = asTensor(x, 'split');
  if (xt.rank === 0) throw new ShapeError('split: a scalar has no axis to split.');
  const ax = normalizeAxis('split', axis, xt.rank);
  const n = xt.shape[ax];
  let sizes: number[];
  if (typeof numOrSizes === 'number') {
    if (!Number.isInteger(numOrSizes) || numOrSizes < 1 || n % numOrSizes !== 0) {
      throw new ShapeError(`split: ${show(numOrSizes)} equal parts do not divide axis ${ax} of ${fmt(xt.shape)} (${n} entries).`);
    }
    sizes = new Array<number>(numOrSizes).fill(n / numOrSizes);
  } else {
    if (!Array.isArray(numOrSizes) || numOrSizes.length === 0 || !numOrSizes.every((s) => s === -1 || isCount(s)) || numOrSizes.filter((s) => s === -1).length > 1) {
      throw new InvalidArgumentError(`split: sizes must be non-negative integers, with at most one −1, got ${show(numOrSizes)}.`);
    }
    const known = numOrSizes.reduce((acc, s) => acc + (s === -1 ? 0 : s), 0);
    sizes = numOrSizes.map((s) => (s === -1 ? n - known : s));
    if (sizes.some((s) => s < 0) || sizes.reduce((a, b) => a + b, 0) !== n) {
      throw new ShapeError(`split: sizes [${numOrSizes.join(',')}] do not add up to axis ${ax} of ${fmt(xt.shape)} (${n} entries).`);
    }
  }
  let at = 0;
  return sizes.map((s) => {
    const begin = xt.shape.map((_, d) => (d === ax ? at : 0));
    const size = xt.shape.map((d, i) => (i === ax ? s : d));
    at += s;
    return slice(xt, begin, size);
  });
}
