// Argmax accuracy in one dispatch (shaders/accuracy.wgsl): the fraction of rows whose predicted
// class, the first maximum of yPred's last axis, is the true one.
import { checkBindable } from '../kernels/kernel';
import { accuracyKernel } from '../kernels/metrics';
import { InvalidArgumentError, ShapeError } from '../errors';
import { fmt, sameShape, sizeOf } from '../tensor/shape';
import { emptyTensor, type Tensor } from '../tensor/tensor';

/**
 * A scalar: (1/rows) Σ_r [argmax p_r = class_r] for predictions p [..., classes], where class_r
 * is argmax t_r (t one-hot or scores, shaped as p) or, when `sparse`, the index t_r (t shaped as
 * p without its class axis, or with a class axis of 1). Not recorded on a tape: a count has no
 * gradient.
 */
export function argmaxAccuracy(op: string, t: Tensor, p: Tensor, sparse: boolean): Tensor {
  if (p.rank < 1 || p.shape[p.rank - 1] < 1) throw new ShapeError(`${op}: yPred needs a non-empty class axis, got ${fmt(p.shape)}.`);
  const classes = p.shape[p.rank - 1];
  const rows = sizeOf(p.shape.slice(0, -1));
  const lead = p.shape.slice(0, -1);
  const fits = sparse ? sameShape(t.shape, lead) || sameShape(t.shape, [...lead, 1]) : sameShape(t.shape, p.shape);
  if (!fits) throw new ShapeError(`${op}: yTrue ${fmt(t.shape)} does not fit yPred ${fmt(p.shape)}.`);
  if (rows === 0) throw new InvalidArgumentError(`${op}: the batch is empty.`);
  checkBindable(op, t.size, p.size);
  const out = emptyTensor([]);
  accuracyKernel.launch({ op, constants: { SPARSE: sparse }, uniforms: { rows, classes }, bindings: { t, y: p, out }, groups: [1] });
  return out;
}
