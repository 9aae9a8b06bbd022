import { Storage } from '../device/storage';
import { InvalidArgumentError, ShapeError, show } from '../errors';
import {
  batchNormGradKernel, batchNormGradPartialKernel, batchNormGradSumsKernel, batchNormKernel, batchNormMomentsKernel, batchNormStatsKernel,
} from '../kernels/norm';
import { fmt } from '../tensor/shape';
import { emptyTensor, type Tensor } from '../tensor/tensor';
import type { Variable } from '../tensor/variable';
import { add, mul } from './binary';
import { asTensor } from './operand';
import { writableStorage } from './optimizer_update';
import { emit, type VjpRule } from './primitive';
import { reshape } from './shape_ops';
import { rsqrt } from './unary';

/**
 * The column reductions (statistics, parameter gradients) cut the rows into chunks, one invocation
 * per chunk and channel, so that a large N·H·W spreads over the GPU: about TARGET_INVOCATIONS in
 * all, each over at least MIN_CHUNK_ROWS rows; a second, per-channel pass adds the chunks up.
 */
const TARGET_INVOCATIONS = 8192;
const MIN_CHUNK_ROWS = 32;

function chunking(rows: number, channels: number): { chunkRows: number; chunks: number } {
  const wanted = Math.max(1, Math.min(Math.ceil(rows / MIN_CHUNK_ROWS), Math.ceil(TARGET_INVOCATIONS / channels)));
  const chunkRows = Math.ceil(rows / wanted);
  return { chunkRows, chunks: Math.ceil(rows / chunkRows) };
}

function checkOperands(op: string, x: Tensor, perChannel: Array<[string, Tensor]>): number {
  if (x.rank === 0 || x.size === 0) throw new ShapeError(`${op}: x must have at least one axis and one element, got ${fmt(x.shape)}.`);
  const channels = x.shape[x.rank - 1];
  for (const [name, t] of perChannel) {
    if (t.size !== channels) throw new ShapeError(`${op}: ${name} ${fmt(t.shape)} must have one entry per element of the last axis of x ${fmt(x.shape)}.`);
  }
  for (const t of [x, ...perChannel.map(([, t]) => t)]) if (t.dtype !== 'float32') throw new InvalidArgumentError(`${op}: operands must be float32, got ${t.dtype}.`);
  return channels;
}

/**
 * The mean and biased variance of x over every axis but the last (the channels), in two
 * dispatches, the second of which also moves the moving statistics in place:
 * moving ← moving·momentum + batch·(1 − momentum). Not differentiable by itself: `batchNorm`
 * with `batchStatistics` differentiates through these statistics.
 */
export function batchMoments(x: Tensor, movingMean: Variable, movingVariance: Variable, momentum: number): { mean: Tensor; variance: Tensor } {
  const xt = asTensor(x, 'batchMoments');
  for (const v of [movingMean, movingVariance]) v.assertUsable('batchMoments');
  const channels = checkOperands('batchMoments', xt, [['movingMean', movingMean], ['movingVariance', movingVariance]]);
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) throw new InvalidArgumentError(`batchMoments: momentum must be a number in [0, 1], got ${show(momentum)}.`);
  const rows = xt.size / channels;
  const { chunkRows, chunks } = chunking(rows, channels);
  const mean = emptyTensor([channels]);
  const variance = emptyTensor([channels]);
  const partials = new Storage(2 * chunks * channels);
  batchNormStatsKernel.launch({
    op: 'batchMoments',
    uniforms: { rows, channels, chunkRows, chunks },
    bindings: { x: xt, partials },
    groups: batchNormStatsKernel.threads(chunks * channels),
  });
  batchNormMomentsKernel.launch({
    op: 'batchMoments',
    uniforms: { rows, channels, chunkRows, chunks, momentum, rest: 1 - momentum },
    bindings: { partials, mean, variance, movingMean: writableStorage(movingMean, xt), movingVariance: writableStorage(movingVariance, xt) },
    groups: batchNormMomentsKernel.threads(channels),
  });
  partials.release();
  return { mean, variance };
}

/**
 * Batch normalization over the last axis in one kernel: y = (x − mean)·gamma/√(variance + ε) + beta,
 * the four of one entry per channel. With `batchStatistics` the mean and variance are x's own
 * (from `batchMoments`) and the gradient with respect to x goes through them; otherwise they are
 * constants (the moving statistics) with gradients of their own.
 */
export function batchNorm(x: Tensor, mean: Tensor, variance: Tensor, gamma: Tensor, beta: Tensor, epsilon: number, batchStatistics: boolean): Tensor {
  const op = 'batchNorm';
  const xt = asTensor(x, op);
  const named: Array<[string, Tensor]> = [['mean', asTensor(mean, op, 'mean')], ['variance', asTensor(variance, op, 'variance')], ['gamma', asTensor(gamma, op, 'gamma')], ['beta', asTensor(beta, op, 'beta')]];
  const channels = checkOperands(op, xt, named);
  if (typeof epsilon !== 'number' || !(epsilon > 0) || !Number.isFinite(epsilon)) throw new InvalidArgumentError(`batchNorm: epsilon must be a positive number, got ${show(epsilon)}.`);
  const [m, v, g, b] = named.map(([, t]) => t);
  const y = emptyTensor(xt.shape);
  const vec4 = channels % 4 === 0;
  batchNormKernel.launch({
    op,
    entry: vec4 ? 'main4' : 'main',
    uniforms: { size: xt.size, channels, epsilon },
    bindings: { x: xt, mean: m, variance: v, gamma: g, beta: b, y },
    groups: vec4 ? batchNormKernel.blocks(xt.size) : batchNormKernel.threads(xt.size),
  });
  return emit('batchNorm', { epsilon, batchStatistics: batchStatistics === true }, [xt, m, v, g, b], y);
}

/**
 * Three dispatches: dγ = Σ dy·x̂ and dβ = Σ dy per channel (two passes), then dx from them; with
 * constant statistics and only dx wanted, dx = γ·r·dy alone. The moving statistics' gradients
 * (inference) follow from the same sums: d/dmean = −γ·r·dβ, d/dvariance = −½·γ·r²·dγ, with
 * r = 1/√(variance + ε).
 */
export const batchNormVjp: VjpRule<'batchNorm'> = (ct, { inputs: [x, mean, variance, gamma, beta], needs, params: { epsilon, batchStatistics } }) => {
  const channels = x.shape[x.rank - 1];
  const rows = x.size / channels;
  let sums: { dGamma: Tensor; dBeta: Tensor } | null = null;
  if (batchStatistics || needs.slice(1).some(Boolean)) {
    const { chunkRows, chunks } = chunking(rows, channels);
    sums = { dGamma: emptyTensor([channels]), dBeta: emptyTensor([channels]) };
    const partials = new Storage(2 * chunks * channels);
    batchNormGradPartialKernel.launch({
      op: 'batchNorm',
      uniforms: { rows, channels, chunkRows, chunks, epsilon },
      bindings: { x, dy: ct, mean, variance, partials },
      groups: batchNormGradPartialKernel.threads(chunks * channels),
    });
    batchNormGradSumsKernel.launch({
      op: 'batchNorm',
      uniforms: { channels, chunks },
      bindings: { partials, ...sums },
      groups: batchNormGradSumsKernel.threads(channels),
    });
    partials.release();
  }
  let dx: Tensor | null = null;
  if (needs[0]) {
    dx = emptyTensor(x.shape);
    const vec4 = channels % 4 === 0;
    batchNormGradKernel.launch({
      op: 'batchNorm',
      entry: vec4 ? 'main4' : 'main',
      uniforms: { size: x.size, channels, rows, epsilon, batchStatistics: batchStatistics ? 1 : 0 },
      bindings: { x, dy: ct, mean, variance, gamma, dGamma: sums?.dGamma ?? null, dBeta: sums?.dBeta ?? null, dx },
      groups: vec4 ? batchNormGradKernel.blocks(x.size) : batchNormGradKernel.threads(x.size),
    });
  }
  if (!sums) return [dx, null, null, null, null];
  const r = needs[1] || needs[2] ? rsqrt(add(reshape(variance, [channels]), epsilon)) : null;
  const gammaR = r ? mul(reshape(gamma, [channels]), r) : null;
  const dMean = needs[1] ? reshape(mul(mul(gammaR!, sums.dBeta), -1), mean.shape) : null;
  const dVariance = needs[2] ? reshape(mul(mul(mul(gammaR!, r!), sums.dGamma), -0.5), variance.shape) : null;
  return [dx, dMean, dVariance, needs[3] ? reshape(sums.dGamma, gamma.shape) : null, needs[4] ? reshape(sums.dBeta, beta.shape) : null];
};
