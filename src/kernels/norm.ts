import batchNormSource from '../../shaders/batch_norm.wgsl';
import batchNormGradSource from '../../shaders/batch_norm_grad.wgsl';
import batchNormGradPartialSource from '../../shaders/batch_norm_grad_partial.wgsl';
import batchNormGradSumsSource from '../../shaders/batch_norm_grad_sums.wgsl';
import batchNormMomentsSource from '../../shaders/batch_norm_moments.wgsl';
import batchNormStatsSource from '../../shaders/batch_norm_stats.wgsl';
import layerNormSource from '../../shaders/layer_norm.wgsl';
import layerNormGradSource from '../../shaders/layer_norm_grad.wgsl';
import { defineKernel } from './kernel';

const read = { access: 'read', dtype: 'float32' } as const;
const write = { access: 'read_write', dtype: 'float32' } as const;
/** A binding the `main4` entries read as vec4s (`name4`). */
const vec4s = <B extends typeof read | typeof write>(binding: B, name: string) => ({ ...binding, vars: [name, `${name}4`] });

/** The declarations with a single entry point. */
const single = { workgroupSize: [64], entries: ['main'] } as const;
/** The elementwise batch normalization passes: `main`, and `main4` over vec4s when the channels are a multiple of 4. */
const elementwise = { workgroupSize: [64], consts: { BLOCK: 1024 }, entries: ['main', 'main4'] } as const;
/** Both layer normalization passes: one invocation per row of `len`. */
const layerNorm = { ...single, uniforms: { rows: 'u32', len: 'u32', epsilon: 'f32' } } as const;
/** The uniforms of the batch normalization passes that reduce x in chunks of `chunkRows` rows. */
const chunked = { rows: 'u32', channels: 'u32', chunkRows: 'u32', chunks: 'u32' } as const;

/** y = (x − μ)/√(σ² + ε)·γ + β over rows of `len`. */
export const layerNormKernel = defineKernel({
  shader: 'layer_norm',
  source: layerNormSource,
  ...layerNorm,
  bindings: { x: read, gamma: read, beta: read, y: write },
});

/** dx from x, γ and dy, and dy ⊙ x̂ for γ's gradient. */
export const layerNormGradKernel = defineKernel({
  shader: 'layer_norm_grad',
  source: layerNormGradSource,
  ...layerNorm,
  bindings: { x: read, gamma: read, dy: read, dx: write, dyXhat: write },
});

/** Per (chunk of rows, channel) of x [rows, channels]: the chunk's mean and Σ (x − mean)². */
export const batchNormStatsKernel = defineKernel({
  shader: 'batch_norm_stats',
  source: batchNormStatsSource,
  ...single,
  uniforms: chunked,
  bindings: { x: read, partials: write },
});

/** Per channel: the batch mean and biased variance from the chunks', and the moving statistics moved in place. */
export const batchNormMomentsKernel = defineKernel({
  shader: 'batch_norm_moments',
  source: batchNormMomentsSource,
  ...single,
  uniforms: { ...chunked, momentum: 'f32', rest: 'f32' },
  bindings: { partials: read, mean: write, variance: write, movingMean: write, movingVariance: write },
});

/** y = (x − μ)·γ/√(σ² + ε) + β per channel (the last axis); `main4` when the channels are a multiple of 4. */
export const batchNormKernel = defineKernel({
  shader: 'batch_norm',
  source: batchNormSource,
  uniforms: { size: 'u32', channels: 'u32', epsilon: 'f32' },
  bindings: { x: vec4s(read, 'x'), mean: vec4s(read, 'mean'), variance: vec4s(read, 'variance'), gamma: vec4s(read, 'gamma'), beta: vec4s(read, 'beta'), y: vec4s(write, 'y') },
  ...elementwise,
});

/** Per (chunk of rows, channel): Σ dy·x̂ and Σ dy over the chunk. */
export const batchNormGradPartialKernel = defineKernel({
  shader: 'batch_norm_grad_partial',
  source: batchNormGradPartialSource,
  ...single,
  uniforms: { ...chunked, epsilon: 'f32' },
  bindings: { x: read, dy: read, mean: read, variance: read, partials: write },
});

/** Per channel: γ's and β's gradients, the chunks' sums added up. */
export const batchNormGradSumsKernel = defineKernel({
  shader: 'batch_norm_grad_sums',
  source: batchNormGradSumsSource,
  ...single,
  uniforms: { channels: 'u32', chunks: 'u32' },
  bindings: { partials: read, dGamma: write, dBeta: write },
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
  ...elementwise,
});
