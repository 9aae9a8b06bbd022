import { InvalidArgumentError } from '../errors';
import { whereKernel } from '../kernels/binary';
import { checkBindable, MAX_RANK } from '../kernels/kernel';
import { broadcastShapes, broadcastStrides, sizeOf } from '../tensor/shape';
import { emptyTensor, type Tensor } from '../tensor/tensor';
import { asTensor, type Operand } from './operand';
import { emit, type VjpRule } from './primitive';

/**
 * cond ≠ 0 ? a : b, elementwise with NumPy broadcasting of all three (a comparison's result works
 * as the condition). The condition takes no gradient.
 */
export function where(cond: Operand, a: Operand, b: Operand): Tensor {
  const c = asTensor(cond, 'where', 'cond');
  const at = asTensor(a, 'where', 'a');
  const bt = asTensor(b, 'where', 'b');
  const shape = broadcastShapes('where', c.shape, broadcastShapes('where', at.shape, bt.shape));
  if (shape.length > MAX_RANK) throw new InvalidArgumentError(`where: rank ${shape.length} exceeds the supported ${MAX_RANK}.`);
  checkBindable('where', c.size, at.size, bt.size, sizeOf(shape));
  const out = emptyTensor(shape);
  whereKernel.launch({
    op: 'where',
    uniforms: {
      n: out.size,
      rank: shape.length,
      shape,
      c_strides: broadcastStrides(c.shape, shape),
      a_strides: broadcastStrides(at.shape, shape),
      b_strides: broadcastStrides(bt.shape, shape),
    },
    bindings: { cond: c, a: at, b: bt, out },
    groups: whereKernel.threads(out.size),
  });
  return emit('where', {}, [c, at, bt], out);
}

/**
 * The chosen operand takes the cotangent, the other 0 (so a NaN in the unchosen branch does not
 * reach the gradient); the tape sums each down to its operand's shape.
 * @internal
 */
export const whereVjp: VjpRule<'where'> = (ct, { inputs: [c], needs }) => [
  null,
  needs[1] ? where(c, ct, 0) : null,
  needs[2] ? where(c, 0, ct) : null,
];
