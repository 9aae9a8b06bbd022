import { InvalidArgumentError, ShapeError, show } from '../errors';
import { layerNormGradKernel, layerNormKernel } from '../kernels/norm';
import { fmt } from '../tensor/shape';
import { emptyTensor, type Tensor } from '../tensor/tensor';
import { asTensor } from './operand';
import { emit, type VjpRule } from './primitive';
import { reshape } from './shape_ops';
import { sum } from './reduce';

/**
 * Layer normalization over the last axis in one kernel: y = (x − μ)/√(σ² + ε)·gamma + beta, with
 * the mean μ and biased variance σ² of each row, gamma and beta of the last axis's length. The
 * composed form (moments, subtract, rsqrt, two products and an add) takes a dispatch per op and
 * general-broadcast ones for the row statistics; this takes one, and three for the gradient.
 */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, epsilon: number): Tensor {
  const xt = asTensor(x, 'layerNorm');
  const g = asTensor(gamma, 'layerNorm', 'gamma');
  const b = asTensor(beta, 'layerNorm', 'beta');
  if (typeof epsilon !== 'number' || !(epsilon > 0) || !Number.isFinite(epsilon)) throw new InvalidArgumentError(`layerNorm: epsilon must be a positive number, got ${show(epsilon)}.`);
  if (xt.rank === 0) throw new ShapeError('layerNorm: x must have at least one axis.');
  const len = xt.shape[xt.rank - 1];
  for (const [name, t] of [['gamma', g], ['beta', b]] as const) {
    if (t.size !== len) throw new ShapeError(`layerNorm: ${name} ${fmt(t.shape)} must have one entry per element of the last axis of x ${fmt(xt.shape)}.`);
  }
  for (const t of [xt, g, b]) if (t.dtype !== 'float32') throw new InvalidArgumentError(`layerNorm: operands must be float32, got ${t.dtype}.`);
  const y = emptyTensor(xt.shape);
  if (xt.size > 0) {
    layerNormKernel.launch({
      op: 'layerNorm',
      uniforms: { rows: xt.size / len, len, epsilon },
      bindings: { x: xt, gamma: g, beta: b, y },
      groups: layerNormKernel.threads(xt.size / len),
    });
  }
  return emit('layerNorm', { epsilon }, [xt, g, b], y);
}

/** dx from the fused kernel; dgamma = Σ_rows dy ⊙ x̂ and dbeta = Σ_rows dy, in gamma's and beta's shapes. */
export const layerNormVjp: VjpRule<'layerNorm'> = (ct, { inputs: [x, gamma, beta], needs, params: { epsilon } }) => {
  const len = x.shape[x.rank - 1];
  const rows = x.size / len;
  const dx = emptyTensor(x.shape);
  const dyXhat = emptyTensor(x.shape);
  if (x.size > 0) {
    layerNormGradKernel.launch({
      op: 'layerNorm',
      uniforms: { rows, len, epsilon },
      bindings: { x, gamma, dy: ct, dx, dyXhat },
      groups: layerNormGradKernel.threads(rows),
    });
  }
  const dGamma = needs[1] ? reshape(sum(reshape(dyXhat, [rows, len]), 0), gamma.shape) : null;
  const dBeta = needs[2] ? reshape(sum(reshape(ct, [rows, len]), 0), beta.shape) : null;
  return [needs[0] ? dx : null, dGamma, dBeta];
};
