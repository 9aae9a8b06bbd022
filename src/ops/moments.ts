import { InvalidArgumentError, show } from '../errors';
import type { Tensor } from '../tensor/tensor';
import { sub } from './binary';
import { asTensor, type Operand } from './operand';
import { mean } from './reduce';
import { reshape } from './shape_ops';
import { square } from './unary';

/**
 * The mean and the biased variance, mean((x − mean)²), over `axes` (all when omitted), as
 * TensorFlow's `moments` gives them; with `keepDims` the reduced axes stay as 1s. Both are
 * composed of recorded ops, so both are differentiable.
 */
export function moments(x: Operand, axes?: number | readonly number[], keepDims = false): { mean: Tensor; variance: Tensor } {
  const xt = asTensor(x, 'moments');
  if (typeof keepDims !== 'boolean') throw new InvalidArgumentError(`moments: keepDims must be a boolean, got ${show(keepDims)}.`);
  const centre = mean(xt, axes, true);
  const deviation = sub(xt, centre);
  const squared = square(deviation);
  const variance = mean(squared, axes, keepDims);
  deviation.dispose();
  squared.dispose();
  if (keepDims) return { mean: centre, variance };
  const m = reshape(centre, variance.shape);
  centre.dispose();
  return { mean: m, variance };
}
