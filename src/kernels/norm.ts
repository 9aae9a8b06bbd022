import batchNormSource from '../../shaders/batch_norm.wgsl';
import batchNormGradSource from '../../shaders/batch_norm_grad.wgsl';
import batchNormGradPartialSource from '../../shaders/batch_norm_grad_partial.wgsl';
import batchNormGradSumsSource from '../../shaders/batch_norm_grad_sums.wgsl';
import batchNormMomentsSource from '../../shaders/batch_norm_moments.wgsl';
import batchNormStatsSource from '../../shaders/batch_norm_stats.wgsl';
import layerNormSource from '../../shaders/layer_norm.wgsl';
import layerNormGradSource from '../../shaders/layer_norm_grad.wgsl';
import { defineKernel } from './kernel';

/** y = (x − μ)/√(σ² + ε)·γ + β over rows of `len`. */
export const layerNormKernel = defineKernel({
  shader: 'layer_norm',
  source: layerNormSource,
  uniforms: { rows: 'u32', len: 'u32', epsilon: 'f32' },
  bindings: {
    x: { access: 'read', dtype: 'float32' },
    gamma: { access: 'read', dtype: 'float32' },
    beta: { access: 'read', dtype: 'float32' },
    y: { access: 'read_write', dtype: 'float32' },
  },
  workgroupSize: [64],
  entries: ['main'],
});

/** dx from x, γ and dy, and dy ⊙ x̂ for γ's gradient. */
export const layerNormGradKernel = defineKernel({
  shader: 'layer_norm_grad',
  source: layerNormGradSource,
  uniforms: { rows: 'u32', len: 'u32', epsilon: 'f32' },
  bindings: {
    x: { access: 'read', dtype: 'float32' },
    gamma: { access: 'read', dtype: 'float32' },
    dy: { access: 'read', dtype: 'float32' },
    dx: { access: 'read_write', dtype: 'float32' },
    dyXhat: { access: 'read_write', dtype: 'float32' },
  },
  workgroupSize: [64],
  entries: ['main'],
});

const read = { access: 'read', dtype: 'float32' } as const;
const write = { access: 'read_write', dtype: 'float32' } as const;
/** A binding the `main4` entries read as vec4s (`name4`). */
const vec4s = <B extends typeof read | typeof write>(binding: B, name: string) => ({ ...binding, vars: [name, `${name}4`] });

/** Per (chunk of rows, channel) of x [rows, channels]: the chunk's mean and Σ (x − mean)². */
export const batchNormStatsKernel = defineKernel({
  shader: 'batch_norm_stats',
  source: batchNormStatsSource,
  uniforms: { rows: 'u32', channels: 'u32', chunkRows: 'u32', chunks: 'u32' },
  bindings: { x: read, partials: write },
  workgroupSize: [64],
  entries: ['main'],
});

/** Per channel: the batch mean and biased variance from the chunks', and the moving statistics moved in place. */
export const batchNormMomentsKernel = defineKernel({
  shader: 'batch_norm_moments',
  source: batchNormMomentsSource,
  uniforms: { rows: 'u32', channels: 'u32', chunkRows: 'u32', chunks: 'u32', momentum: 'f32', rest: 'f32' },
  bindings: { partials: read, mean: write, variance: write, movingMean: write, movingVariance: write },
  workgroupSize: [64],
  entries: ['main'],
});

/** y = (x − μ)·γ/√(σ² + ε) + β per channel (the last axis); `main4` when the channels are a multiple of 4. */
export const batchNormKernel = defineKernel({
  shader: 'batch_norm',
  source: batchNormSource,
  uniforms: { size: 'u32', channels: 'u32', epsilon: 'f32' },
  bindings: { x: vec4s(read, 'x'), mean: vec4s(read, 'mean'), variance: vec4s(read, 'variance'), gamma: vec4s(read, 'gamma'), beta: vec4s(read, 'beta'), y: vec4s(write, 'y') },
  workgroupSize: [64],
  consts: { BLOCK: 1024 },
  entries: ['main', 'main4'],
});

/** Per (chunk of rows, channel): Σ dy·x̂ and Σ dy over the chunk. */
export const batchNormGradPartialKernel = defineKernel({
  shader: 'batch_norm_grad_partial',
  source: batchNormGradPartialSource,
  uniforms: { rows: 'u32', channels: 'u32', chunkRows: 'u32', chunks: 'u32', epsilon: 'f32' },
  bindings: { x: read, dy: read, mean: read, variance: read, partials: write },
  workgroupSize: [64],
  entries: ['main'],
});

/** Per channel: γ's and β's gradients, the chunks' sums added up. */
export const batchNormGradSumsKernel = defineKernel({
  shader: 'batch_norm_grad_sums',
  source: batchNormGradSumsSource,
  uniforms: { channels: 'u32', chunks: 'u32' },
  bindings: { partials: read, dGamma: write, dBeta: write },
  workgroupSize: [64],
  entries: ['main'],
});

/** dx from x, dy, the statistics, γ and the parameter gradients; `main4` when the channels are a multiple of 4. */
export const batchNormGradKernel = defineKernel({
  shader: 'batch_norm_grad',
  source: batchNormGradSource,
  uniforms: { size: 'u32', channels: 'u32', rows: 'u32', epsilon: 'f32', batchStatistics: 'u32' },
  bindings: {
    x: vec4s(read, 'x'), dy: vec4s(read, 'dy'), mean: vec4s(read, 'mean'), variance: vec4s(read, 'variance'),
    gamma: vec4s(read, 'gamma'), dGamma: vec4s(read, 'dGamma'), dBeta: vec4s(read, 'dBeta'), dx: vec4s(write, 'dx'),
  },
  workgroupSize: [64],
  consts: { BLOCK: 1024 },
  entries: ['main', 'main4'],
});
