import { InvalidArgumentError, ShapeError } from '../errors';
import { checkBindable } from '../kernels/kernel';
import { crossEntropyGradKernel, crossEntropyKernel } from '../kernels/losses';
import { fmt, sameShape, sizeOf } from '../tensor/shape';
import { emptyTensor, type Tensor } from '../tensor/tensor';
import { mul } from './binary';
import { logSoftmax } from './nn';
import { checkTensor } from './operand';
import { emit, type VjpRule } from './primitive';

/**
 * The mean over rows of the softmax cross-entropy of `logits` (classes on the last axis) against
 * `labels`, one fused, numerically stable dispatch (shaders/cross_entropy.wgsl). Dense labels have
 * the logits' shape (a distribution per row); sparse labels hold one class index per row, shaped
 * like the logits without their last axis (a trailing 1 is accepted).
 */
export function softmaxCrossEntropyMean(labels: Tensor, logits: Tensor, sparse: boolean): Tensor {
  const op = sparse ? 'sparseCategoricalCrossentropy' : 'categoricalCrossentropy';
  const x = checkTensor(logits, op, 'yPred');
  const t = checkTensor(labels, op, 'yTrue');
  if (x.rank < 1 || x.shape[x.rank - 1] < 1) throw new ShapeError(`${op}: logits need a non-empty class axis, got ${fmt(x.shape)}.`);
  const classes = x.shape[x.rank - 1];
  const rows = sizeOf(x.shape.slice(0, -1));
  if (rows === 0) throw new InvalidArgumentError(`${op}: the batch is empty (${fmt(x.shape)}).`);
  if (sparse) {
    const lead = x.shape.slice(0, -1);
    if (!sameShape(t.shape, lead) && !sameShape(t.shape, [...lead, 1])) {
      throw new ShapeError(`${op}: labels ${fmt(t.shape)} must hold one class index per row of logits ${fmt(x.shape)} (shape ${fmt(lead)}).`);
    }
  } else if (!sameShape(t.shape, x.shape)) {
    throw new ShapeError(`${op}: labels ${fmt(t.shape)} and logits ${fmt(x.shape)} must have one shape.`);
  }
  checkBindable(op, x.size, t.size);
  const out = emptyTensor([]);
  crossEntropyKernel.launch({ op, constants: { SPARSE: sparse }, uniforms: { rows, classes }, bindings: { x, labels: t, out }, groups: [1] });
  return emit('crossEntropy', { sparse }, [x, t], out);
}

/**
 * d/dx = (ct/rows)(softmax(x)·Σt − t), fused; d/dt = −(ct/rows) log softmax(x) for dense labels
 * (a rare need, so composed from ops); sparse labels get none.
 */
export const crossEntropyVjp: VjpRule<'crossEntropy'> = (ct, { inputs: [x, t], needs, params: { sparse } }) => {
  const classes = x.shape[x.rank - 1];
  const rows = x.size / classes;
  let dx: Tensor | null = null;
  if (needs[0]) {
    checkBindable('crossEntropy', x.size, t.size);
    dx = emptyTensor(x.shape);
    crossEntropyGradKernel.launch({
      op: 'crossEntropy',
      constants: { SPARSE: sparse },
      uniforms: { rows, classes },
      bindings: { x, labels: t, ct, dx },
      groups: crossEntropyGradKernel.threads(rows),
    });
  }
  let dt: Tensor | null = null;
  if (needs[1] && !sparse) {
    dt = mul(mul(logSoftmax(x), ct), -1 / rows);
  }
  return [dx, dt];
};
