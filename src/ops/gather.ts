import { InvalidArgumentError } from '../errors';
import { gatherKernel } from '../kernels/gather';
import { checkBindable } from '../kernels/kernel';
import { tensor } from '../tensor/create';
import { sizeOf } from '../tensor/shape';
import { emptyTensor, Tensor } from '../tensor/tensor';
import { asTensor, type Operand } from './operand';
import { emit, type VjpRule } from './primitive';

/** Integers up to 2^24 are exact in float32, one of the dtypes indices travel in. */
const MAX_INDEXED = 2 ** 24;

/** x viewed as [outer, n, inner] around `axis`. */
function around(shape: readonly number[], axis: number): { outer: number; n: number; inner: number } {
  return { outer: sizeOf(shape.slice(0, axis)), n: shape[axis], inner: sizeOf(shape.slice(axis + 1)) };
}

/**
 * Slices of `x` along `axis` at `indices` (TensorFlow.js `gather`): the output's shape is
 * x.shape[:axis] + indices.shape + x.shape[axis+1:]. Indices are an int32 tensor (or Int32Array),
 * or integers held in a float32 tensor (or given as an array); one outside [0, x.shape[axis])
 * reads as 0, as on TensorFlow's GPU kernels, since checking it would mean reading the indices
 * back.
 */
export function gather(x: Operand, indices: Tensor | number[] | Float32Array | Int32Array, axis = 0): Tensor {
  const xt = asTensor(x, 'gather');
  if (!Number.isInteger(axis) || axis < -xt.rank || axis >= xt.rank) {
    throw new InvalidArgumentError(`gather: axis ${axis} is out of range for x of rank ${xt.rank}.`);
  }
  const ax = axis < 0 ? axis + xt.rank : axis;
  const given = indices instanceof Tensor ? asTensor(indices, 'gather', 'indices') : null;
  const count = given ? given.size : (indices as ArrayLike<number>).length;
  const intIndices = given ? given.dtype === 'int32' : indices instanceof Int32Array;
  if (!intIndices && xt.shape[ax] > MAX_INDEXED) {
    throw new InvalidArgumentError(`gather: axis ${ax} has ${xt.shape[ax]} entries; float32 indices address at most ${MAX_INDEXED} (int32 indices address more).`);
  }
  const { outer, n, inner } = around(xt.shape, ax);
  checkBindable('gather', xt.size, count, outer * count * inner);
  const it = given ?? tensor(indices as ArrayLike<number>);
  const out = emptyTensor([...xt.shape.slice(0, ax), ...it.shape, ...xt.shape.slice(ax + 1)]);
  gatherKernel.launch({
    op: 'gather',
    uniforms: { outer, n, k: it.size, inner },
    bindings: { src: xt, idx: it, dst: out },
    groups: gatherKernel.threads(out.size),
  });
  const y = emit('gather', { axis: ax }, [xt, it], out);
  if (!given) it.dispose();
  return y;
}

/** dx sums the cotangent rows back to the positions they came from; indices get none. */
export const gatherVjp: VjpRule<'gather'> = (ct, { inputs: [x, indices], params: { axis } }) => {
  const { outer, n, inner } = around(x.shape, axis);
  checkBindable('gather', ct.size, indices.size, x.size);
  const dx = emptyTensor(x.shape);
  gatherKernel.launch({
    op: 'gather',
    entry: 'scatter',
    uniforms: { outer, n, k: indices.size, inner },
    bindings: { src: ct, idx: indices, dst: dx },
    groups: gatherKernel.threads(dx.size),
  });
  return [dx, null];
};
