import { InvalidArgumentError, ShapeError } from '../errors';
import { checkBindable } from '../kernels/kernel';
import { meanErrorGradKernel, meanErrorKernel } from '../kernels/losses';
import { fmt, sameShape } from '../tensor/shape';
import { emptyTensor, type Tensor } from '../tensor/tensor';
import { checkTensor } from './operand';
import { emit, type VjpRule } from './primitive';
import { neg } from './unary';

/**
 * mean((p − t)²), or mean(|p − t|) when `absolute`, over every element of same-shaped `pred` and
 * `target`: one dispatch forward (shaders/mean_error.wgsl) and one backward, where the composed
 * form (sub, square, sum, scale) takes four and five.
 */
export function meanError(pred: Tensor, target: Tensor, absolute: boolean): Tensor {
  const op = absolute ? 'meanAbsoluteError' : 'meanSquaredError';
  const p = checkTensor(pred, op, 'yPred');
  const t = checkTensor(target, op, 'yTrue');
  if (!sameShape(p.shape, t.shape)) throw new ShapeError(`${op}: yTrue ${fmt(t.shape)} and yPred ${fmt(p.shape)} must have one shape.`);
  if (p.size === 0) throw new InvalidArgumentError(`${op}: the inputs are empty (${fmt(p.shape)}).`);
  checkBindable(op, p.size);
  const out = emptyTensor([]);
  meanErrorKernel.launch({ op, constants: { ABSOLUTE: absolute }, uniforms: { n: p.size }, bindings: { pred: p, targets: t, out }, groups: [1] });
  return emit('meanError', { absolute }, [p, t], out);
}

/** dp = (ct/n)·2(p − t) or (ct/n)·sign(p − t), fused; dt = −dp. */
export const meanErrorVjp: VjpRule<'meanError'> = (ct, { inputs: [p, t], needs, params: { absolute } }) => {
  checkBindable('meanError', p.size);
  const dp = emptyTensor(p.shape);
  meanErrorGradKernel.launch({
    op: 'meanError',
    constants: { ABSOLUTE: absolute },
    uniforms: { n: p.size },
    bindings: { pred: p, targets: t, ct, dp },
    groups: meanErrorGradKernel.threads(p.size),
  });
  return [needs[0] ? dp : null, needs[1] ? neg(dp) : null];
};
