import { engine } from '../device/engine';
import { checkBindable, MAX_RANK } from '../kernels/kernel';
import { permuteKernel } from '../kernels/shape';
import { copyElements } from '../tensor/copy';
import { InvalidArgumentError, ShapeError } from '../errors';
import { broadcastShapes, broadcastStrides, checkShape, fmt, sameShape, type Shape, sizeOf, stridesOf } from '../tensor/shape';
import { emptyTensor, type Tensor } from '../tensor/tensor';
import { asTensor, type Operand } from './operand';
import { emit, type VjpRule } from './primitive';
import { sumTo } from './reduce';


/** Resolves one −1 in `shape` against `size`. */
function resolveShape(shape: Shape, size: number, from: Shape): number[] {
  const out = [...shape];
  const free = out.indexOf(-1);
  if (out.filter((d) => d === -1).length > 1) throw new ShapeError(`reshape: at most one −1 is allowed, got ${fmt(shape)}.`);
  for (const d of out) {
    if (d !== -1 && (!Number.isInteger(d) || d < 0)) throw new ShapeError(`reshape: invalid target shape ${fmt(shape)}.`);
  }
  if (free >= 0) {
    const known = sizeOf(out.filter((d) => d !== -1));
    if (known === 0 || size % known !== 0) throw new ShapeError(`reshape: cannot reshape ${fmt(from)} to ${fmt(shape)}.`);
    out[free] = size / known;
  }
  if (sizeOf(out) !== size) throw new ShapeError(`reshape: cannot reshape ${fmt(from)} (${size} elements) to ${fmt(shape)} (${sizeOf(out)} elements).`);
  return out;
}

/** Same data, another shape: a view of the same buffer, no GPU work. */
export function reshape(x: Operand, shape: Shape): Tensor {
  const xt = asTensor(x, 'reshape');
  if (!Array.isArray(shape)) throw new InvalidArgumentError('reshape: shape must be an array of integers.');
  const target = resolveShape(shape, xt.size, xt.shape);
  return emit('reshape', { shape: target }, [xt], xt.view(target));
}

export const reshapeVjp: VjpRule<'reshape'> = (ct, { inputs: [x] }) => [reshape(ct, x.shape)];

/** Encodes out[i] = x[Σ coord_d · strides_d] for a contiguous `outShape`. */
export function stridedCopy(op: string, x: Tensor, outShape: Shape, strides: number[]): Tensor {
  if (outShape.length > MAX_RANK) throw new InvalidArgumentError(`${op}: rank ${outShape.length} exceeds the supported ${MAX_RANK}.`);
  checkBindable(op, x.size, sizeOf(outShape));
  const out = emptyTensor(outShape);
  // vec4s up to rank 4 where the last dimension is a contiguous run of x of a multiple of 4, and
  // every other stride keeps the runs on vec4 boundaries; the shape padded to rank 4 for it.
  const last = outShape.length - 1;
  const vec4 = last >= 0 && last < 4 && outShape[last] % 4 === 0 && strides.every((s, d) => (d === last ? s === 1 : s % 4 === 0));
  const pad = vec4 ? 3 - last : 0;
  permuteKernel.launch({
    op,
    entry: vec4 ? 'main4' : 'main',
    uniforms: { n: out.size, rank: outShape.length + pad, shape: [...new Array<number>(pad).fill(1), ...outShape], strides: [...new Array<number>(pad).fill(0), ...strides] },
    bindings: { x, out },
    groups: vec4 ? permuteKernel.blocks(out.size) : permuteKernel.threads(out.size),
  });
  return out;
}

/** Permutes dimensions: out.shape[i] = x.shape[perm[i]]; `perm` defaults to reversing them. */
export function transpose(x: Operand, perm?: readonly number[]): Tensor {
  const xt = asTensor(x, 'transpose');
  if (perm !== undefined && !Array.isArray(perm)) throw new InvalidArgumentError('transpose: perm must be an array of dimensions.');
  const p = perm ? [...perm] : xt.shape.map((_, i) => xt.rank - 1 - i);
  const valid = p.length === xt.rank && p.every((d) => Number.isInteger(d) && d >= 0 && d < xt.rank) && new Set(p).size === p.length;
  if (!valid) throw new ShapeError(`transpose: perm [${p.join(',')}] is not a permutation of the ${xt.rank} dimensions of ${fmt(xt.shape)}.`);
  const s = stridesOf(xt.shape);
  const out = stridedCopy('transpose', xt, p.map((d) => xt.shape[d]), p.map((d) => s[d]));
  return emit('transpose', { perm: p }, [xt], out);
}

export const transposeVjp: VjpRule<'transpose'> = (ct, { params: { perm } }) => {
  const inverse = new Array<number>(perm.length);
  perm.forEach((d, i) => (inverse[d] = i));
  return [transpose(ct, inverse)];
};

/** Repeats `x` along broadcast dimensions to `shape` (NumPy rules). */
export function broadcastTo(x: Operand, shape: Shape): Tensor {
  const xt = asTensor(x, 'broadcastTo');
  checkShape(shape, 'broadcastTo');
  const target = [...shape];
  if (!sameShape(broadcastShapes('broadcastTo', xt.shape, target), target)) {
    throw new ShapeError(`broadcastTo: ${fmt(xt.shape)} cannot be broadcast to ${fmt(target)}.`);
  }
  const out = stridedCopy('broadcastTo', xt, target, broadcastStrides(xt.shape, target));
  return emit('broadcastTo', { shape: target }, [xt], out);
}

export const broadcastToVjp: VjpRule<'broadcastTo'> = (ct, { inputs: [x] }) => [sumTo(ct, x.shape)];

/**
 * Stacks same-shape tensors along a new leading axis. Each input is one contiguous block of the
 * output, so both directions are buffer copies: no dispatch at all.
 */
export function stack(tensors: Tensor[]): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new InvalidArgumentError('stack: expects a non-empty array of tensors.');
  const ts = tensors.map((t, i) => asTensor(t, 'stack', `tensors[${i}]`));
  const shape = ts[0].shape;
  if (ts.some((t) => !sameShape(t.shape, shape))) {
    throw new ShapeError(`stack: all tensors must have one shape, got ${ts.map((t) => fmt(t.shape)).join(', ')}.`);
  }
  const size = sizeOf(shape);
  engine().pool.check('stack', 4 * ts.length * size);
  const out = emptyTensor([ts.length, ...shape]);
  ts.forEach((t, i) => copyElements(t, 0, out, i * size, size, 'stack'));
  return emit('stack', {}, ts, out);
}

export const stackVjp: VjpRule<'stack'> = (ct, { inputs, needs }) => {
  const size = inputs[0].size;
  return inputs.map((x, i) => {
    if (!needs[i]) return null;
    const dx = emptyTensor(x.shape);
    copyElements(ct, i * size, dx, 0, size, 'stack');
    return dx;
  });
};
