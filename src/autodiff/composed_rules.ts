import { tensor } from '../tensor/create';
import type { Tensor } from '../tensor/tensor';
import { add, div, equal, greater, greaterEqual, lessEqual, mul, sub } from '../ops/binary';
import { gather } from '../ops/gather';
import { oneHot } from '../ops/indices';
import { matmul } from '../ops/matmul';
import { logSoftmax, softmax } from '../ops/nn';
import type { Primitive, VjpRule } from '../ops/primitive';
import { moments } from '../ops/moments';
import { mean, sum, sumTo } from '../ops/reduce';
import { vjpRules } from '../ops/rules';
import { reshape } from '../ops/shape_ops';
import { abs, exp, neg, rsqrt, sigmoid, sign, square, type FusableActivation, type UnaryOp } from '../ops/unary';
import { where } from '../ops/where';

/**
 * VJPs written with recorded ops only, for the primitives whose own rule runs a fused kernel or a
 * buffer copy that no tape sees. A tape's backward pass uses them while another tape is recording
 * the values it works on (a gradient of a gradient), so that the outer tape can differentiate
 * the backward pass itself; otherwise the fused rules run. 'composed' marks a primitive whose own
 * rule is already made of recorded ops. The mapped type makes a new primitive a compile error here
 * until someone decides which it is.
 */
export const composedRules: { [P in Primitive]: VjpRule<P> | 'composed' } = {
  unary: (ct, { inputs: [x], output: y, params: { op, alpha, beta } }) => (op === 'sign' ? [null] : [mul(ct, unaryDerivative(op, alpha, beta, x, y))]),

  binary: 'composed',
  where: 'composed',

  // The fused activation y = f(z) first turns the cotangent of y into that of z; the rest is matmuls.
  matmul: (ct, node) => {
    const { activation, alpha } = node.params;
    const g = activation ? mul(ct, derivativeFromOutput(activation, alpha, node.output)) : ct;
    return (vjpRules.matmul as VjpRule<'matmul'>)(g, { ...node, params: { ...node.params, activation: null } });
  },

  sum: 'composed',
  max: 'composed',
  reshape: 'composed',
  transpose: 'composed',
  broadcastTo: 'composed',

  stack: (ct, { inputs, needs }) => inputs.map((x, i) => (needs[i] ? reshape(gather(ct, [i]), x.shape) : null)),

  addN: 'composed',

  // dx[o, j, i] = Σ_p [indices_p = j] · ct[o, p, i]: a one-hot matrix M [m, n], then Mᵀ · ct per o.
  gather: (ct, { inputs: [x, indices], params: { axis } }) => {
    const n = x.shape[axis];
    const outer = x.shape.slice(0, axis).reduce((a, d) => a * d, 1);
    const rows = oneHot(reshape(indices, [indices.size]), n);
    const dx = matmul(rows, reshape(ct, [outer, indices.size, ct.size / (outer * indices.size)]), { transposeA: true });
    return [reshape(dx, x.shape), null];
  },

  // d/dx = (ct/rows)(softmax(x)·Σt − t), with t one-hot at the label for sparse labels.
  crossEntropy: (ct, { inputs: [x, t], needs, params: { sparse } }) => {
    const classes = x.shape[x.rank - 1];
    const scale = div(ct, x.size / classes);
    let dx: Tensor | null = null;
    if (needs[0]) {
      const p = softmax(x);
      const target = sparse ? equal(reshape(t, [...x.shape.slice(0, -1), 1]), iota(classes, [classes])) : t;
      dx = mul(sub(sparse ? p : mul(p, sum(t, -1, true)), target), scale);
    }
    const dt = needs[1] && !sparse ? neg(mul(logSoftmax(x), scale)) : null;
    return [dx, dt];
  },

  // dp = (ct/n)·2(p − t), or (ct/n)·sign(p − t) for the absolute error; dt = −dp.
  meanError: (ct, { inputs: [p, t], needs, params: { absolute } }) => {
    const d = sub(p, t);
    const dp = mul(absolute ? sign(d) : mul(d, 2), div(ct, p.size));
    return [needs[0] ? dp : null, needs[1] ? neg(dp) : null];
  },

  // d/dxᵢ (l1ᵢ·Σ|xᵢ| + l2ᵢ·Σxᵢ²) = l1ᵢ·sign(xᵢ) + 2·l2ᵢ·xᵢ, scaled by entry i of the cotangent.
  penalty: (ct, { inputs, needs, params: { l1, l2 } }) =>
    inputs.map((x, i) => (needs[i] ? mul(add(mul(sign(x), l1[i]), mul(x, 2 * l2[i])), reshape(gather(ct, [i]), [])) : null)),

  // The scalar cotangent, placed at entry `index` of the vector's cotangent.
  pick: (ct, { inputs: [vector], params: { index } }) => [mul(equal(iota(vector.size, [vector.size]), index), ct)],

  slice: 'composed',
  pad: 'composed',
  concat: 'composed',

  // dz = y ⊙ (ct − Σ ct ⊙ y) along the last axis (ct − e^y Σ ct for the log softmax); dx = scale·dz,
  // and an additive mask takes dz.
  maskedSoftmax: (ct, { output: y, needs, params: { mask, scale, log } }) => {
    if (log) return [sub(ct, mul(exp(y), sum(ct, -1, true))), null];
    const t = mul(ct, y);
    const dz = sub(t, mul(y, sum(t, -1, true)));
    return [needs[0] ? mul(dz, scale) : null, mask === 'additive' && needs[1] ? dz : null];
  },
  // x̂ = (x − μ)·r, r = 1/√(σ² + ε), g = ct ⊙ γ: dx = r·(g − mean g − x̂·mean(g ⊙ x̂)); dγ = Σ ct ⊙ x̂; dβ = Σ ct.
  layerNorm: (ct, { inputs: [x, gamma, beta], needs, params: { epsilon } }) => {
    const { mean: mu, variance } = moments(x, -1, true);
    const r = rsqrt(add(variance, epsilon));
    const xhat = mul(sub(x, mu), r);
    const g = mul(ct, reshape(gamma, [gamma.size]));
    const dx = needs[0] ? mul(r, sub(sub(g, mean(g, -1, true)), mul(xhat, mean(mul(g, xhat), -1, true)))) : null;
    const dGamma = needs[1] ? reshape(sumTo(mul(ct, xhat), [gamma.size]), gamma.shape) : null;
    const dBeta = needs[2] ? reshape(sumTo(ct, [beta.size]), beta.shape) : null;
    return [dx, dGamma, dBeta];
  },
  // As layerNorm's, over every axis but the last (the channels), with μ, σ² recomputed from x when
  // they are x's own; with constant (moving) statistics dx = g·r, d/dμ = −Σ g·r, d/dσ² = −½ r²·Σ g ⊙ x̂.
  batchNorm: (ct, { inputs: [x, mu, variance, gamma, beta], needs, params: { epsilon, batchStatistics } }) => {
    const channels = x.shape[x.rank - 1];
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const stats = batchStatistics ? moments(x, axes, true) : { mean: reshape(mu, [channels]), variance: reshape(variance, [channels]) };
    const r = rsqrt(add(stats.variance, epsilon));
    const xhat = mul(sub(x, stats.mean), r);
    const g = mul(ct, reshape(gamma, [channels]));
    let dx: Tensor | null = null;
    if (needs[0]) dx = batchStatistics ? mul(r, sub(sub(g, mean(g, axes, true)), mul(xhat, mean(mul(g, xhat), axes, true)))) : mul(g, r);
    const dMean = needs[1] ? reshape(neg(sumTo(mul(g, r), [channels])), mu.shape) : null;
    const dVariance = needs[2] ? reshape(mul(sumTo(mul(g, xhat), [channels]), mul(square(r), -0.5)), variance.shape) : null;
    const dGamma = needs[3] ? reshape(sumTo(mul(ct, xhat), [channels]), gamma.shape) : null;
    const dBeta = needs[4] ? reshape(sumTo(ct, [channels]), beta.shape) : null;
    return [dx, dMean, dVariance, dGamma, dBeta];
  },
  // As for matmul: the fused activation's derivative as recorded ops; the rest are convolution ops.
  conv2d: (ct, node) => {
    const { activation, alpha } = node.params;
    const g = activation ? mul(ct, derivativeFromOutput(activation, alpha, node.output)) : ct;
    return (vjpRules.conv2d as VjpRule<'conv2d'>)(g, { ...node, params: { ...node.params, activation: null } });
  },
  conv2dBackpropInput: 'composed',
  conv2dBackpropFilter: 'composed',
  maxPool: 'composed',
  maxPoolGrad: 'composed',
  avgPool: 'composed',
  avgPoolGrad: 'composed',
};

/** [0, 1, …, n − 1] as a constant tensor of `shape`. */
function iota(n: number, shape: number[]): Tensor {
  return tensor(Float32Array.from({ length: n }, (_, i) => i), shape);
}

/** f'(x) for y = f(x), as recorded ops (the same formulas as shaders/unary_grad.wgsl). */
function unaryDerivative(op: Exclude<UnaryOp, 'sign'>, alpha: number, beta: number, x: Tensor, y: Tensor): Tensor | number {
  switch (op) {
    case 'neg':
      return -1;
    case 'square': // d(x²) = 2x
      return mul(x, 2);
    case 'sqrt': // d√x = 1/(2√x)
      return div(0.5, y);
    case 'exp':
      return y;
    case 'log': // d log x = 1/x
      return div(1, x);
    case 'abs':
      return sign(x);
    case 'relu':
      return greater(x, 0);
    case 'leakyRelu': // 1 where x > 0, else α
      return add(mul(greater(x, 0), 1 - alpha), alpha);
    case 'elu': // 1 where x > 0, else α eˣ = y + α
      return select(greater(x, 0), 1, add(y, alpha));
    case 'gelu':
      return geluDerivative(x);
    case 'sigmoid':
    case 'tanh':
      return derivativeFromOutput(op, alpha, y);
    case 'softplus': // softplus' = σ(x)
      return sigmoid(x);
    case 'rsqrt': // d x^(-1/2) = -½ y³
      return mul(mul(square(y), y), -0.5);
    case 'clipByValue': // 1 inside [α, β], bounds included
      return mul(greaterEqual(x, alpha), lessEqual(x, beta));
    case 'copy':
      return 1;
  }
}

/** f'(z) from y = f(z) alone, for the activations a matmul applies in its epilogue. */
function derivativeFromOutput(op: FusableActivation, alpha: number, y: Tensor): Tensor {
  switch (op) {
    case 'relu':
      return greater(y, 0);
    case 'leakyRelu': // α > 0, so y > 0 exactly where z > 0
      return add(mul(greater(y, 0), 1 - alpha), alpha);
    case 'elu':
      return select(greater(y, 0), 1, add(y, alpha));
    case 'sigmoid': // σ' = σ(1 − σ)
      return mul(y, sub(1, y));
    case 'tanh': // tanh' = 1 − tanh²
      return sub(1, square(y));
  }
}

/** `a` where the 0/1 mask is 1, else `b`. */
function select(mask: Tensor, a: number, b: Tensor): Tensor {
  return where(mask, a, b);
}

/**
 * gelu'(x) = Φ(x) + x·φ(x), with Φ(x) = (1 + erf(x/√2))/2 from the same erf approximation as the
 * kernels (Abramowitz and Stegun 7.1.26: erf z ≈ sign z · (1 − poly(t)·e^(−z²)), t = 1/(1 + p|z|)).
 */
function geluDerivative(x: Tensor): Tensor {
  const z = mul(x, Math.SQRT1_2);
  const t = div(1, add(mul(abs(z), 0.3275911), 1));
  let poly = mul(t, 1.061405429); // Horner's scheme, innermost coefficient first
  for (const c of [-1.453152027, 1.421413741, -0.284496736, 0.254829592]) poly = mul(add(poly, c), t);
  const erf = mul(sign(z), sub(1, mul(poly, exp(neg(square(z))))));
  const cdf = mul(add(erf, 1), 0.5);
  const pdf = mul(exp(mul(square(x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
  return add(cdf, mul(x, pdf));
}
