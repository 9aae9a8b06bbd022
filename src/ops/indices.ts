import { InvalidArgumentError, show } from '../errors';
import { argMaxKernel, oneHotKernel } from '../kernels/indices';
import { tensor } from '../tensor/create';
import { sizeOf } from '../tensor/shape';
import { emptyTensor, Tensor } from '../tensor/tensor';
import { normalizeAxis } from './dims';
import { asTensor, type Operand } from './operand';

/** Ops whose inputs or outputs are indices: they have no gradient and record nothing. */

/** Integers up to 2^24 are exact in float32, one of the dtypes indices travel in. */
const MAX_FLOAT_INDEX = 2 ** 24;

/**
 * Rows of `depth` entries, `onValue` at each index's column and `offValue` elsewhere (TensorFlow.js
 * `oneHot`): the output's shape is indices.shape + [depth]. Indices are an int32 tensor (or
 * Int32Array), or integers held in a float32 tensor (or given as an array); one outside
 * [0, depth), or not an integer, gives a row of `offValue`, as TensorFlow does.
 */
export function oneHot(indices: Tensor | number[] | Float32Array | Int32Array, depth: number, onValue = 1, offValue = 0): Tensor {
  if (!Number.isInteger(depth) || depth < 1) throw new InvalidArgumentError(`oneHot: depth must be a positive integer, got ${show(depth)}.`);
  if (typeof onValue !== 'number' || typeof offValue !== 'number') {
    throw new InvalidArgumentError(`oneHot: onValue and offValue must be numbers, got ${show(onValue)} and ${show(offValue)}.`);
  }
  const owned = !(indices instanceof Tensor);
  const it = indices instanceof Tensor ? asTensor(indices, 'oneHot', 'indices') : tensor(indices);
  if (it.dtype === 'float32' && depth > MAX_FLOAT_INDEX) {
    if (owned) it.dispose();
    throw new InvalidArgumentError(`oneHot: depth ${depth} exceeds the ${MAX_FLOAT_INDEX} columns float32 indices address (int32 indices address more).`);
  }
  const out = emptyTensor([...it.shape, depth]);
  if (out.size > 0) {
    oneHotKernel.launch({
      op: 'oneHot',
      uniforms: { n: out.size, depth, onValue, offValue },
      bindings: { idx: it, out },
      groups: oneHotKernel.threads(out.size),
    });
  }
  if (owned) it.dispose();
  return out;
}

/**
 * The index of the largest entry along `axis` (default: the last), as an int32 tensor of x's
 * shape without that axis. Ties go to the first index, as in TensorFlow; note that TensorFlow.js's
 * `argMax` defaults to axis 0, while this one follows Keras and NumPy's habit of the last axis.
 */
export function argMax(x: Operand, axis = -1): Tensor {
  const xt = asTensor(x, 'argMax');
  if (xt.rank === 0) throw new InvalidArgumentError('argMax: a scalar has no axis to search.');
  const ax = normalizeAxis('argMax', axis, xt.rank);
  if (xt.shape[ax] === 0) throw new InvalidArgumentError(`argMax: axis ${ax} of [${xt.shape.join(',')}] is empty.`);
  const outer = sizeOf(xt.shape.slice(0, ax));
  const inner = sizeOf(xt.shape.slice(ax + 1));
  const out = emptyTensor(xt.shape.filter((_, i) => i !== ax), 'int32');
  if (out.size > 0) {
    argMaxKernel.launch({
      op: 'argMax',
      uniforms: { outer, r: xt.shape[ax], inner },
      bindings: { x: xt, out },
      groups: argMaxKernel.threads(out.size),
    });
  }
  return out;
}
