import poolSource from '../../shaders/pool.wgsl';
import poolGradSource from '../../shaders/pool_grad.wgsl';
import { defineKernel } from './kernel';

/** The window geometry of 2-D pooling, NHWC (shaders/pool.wgsl). */
const poolUniforms = {
  outputs: 'u32',
  channels: 'u32',
  inH: 'u32',
  inW: 'u32',
  outH: 'u32',
  outW: 'u32',
  poolH: 'u32',
  poolW: 'u32',
  strideY: 'u32',
  strideX: 'u32',
  padTop: 'u32',
  padLeft: 'u32',
} as const;

const x = { access: 'read', dtype: 'float32' } as const;
const y = { access: 'read_write', dtype: 'float32' } as const;

// An entry's bind group holds exactly the bindings it names, so each entry has its own declaration.

/** Max pooling in one pass, with (WITH_ARGMAX) the argmax its gradient needs. */
export const maxPoolKernel = defineKernel({
  shader: 'pool',
  source: poolSource,
  uniforms: poolUniforms,
  bindings: { x, y, argmax: { access: 'read_write', dtype: 'int32' } },
  workgroupSize: [64],
  overrides: { WITH_ARGMAX: 'bool', VEC4: 'bool' },
  entries: ['maxPool'],
});

/** Average pooling over the window's positions inside the input. */
export const avgPoolKernel = defineKernel({
  shader: 'pool',
  source: poolSource,
  uniforms: poolUniforms,
  bindings: { x, y },
  workgroupSize: [64],
  overrides: { WITH_ARGMAX: 'bool', VEC4: 'bool' },
  entries: ['avgPool'],
});

/** Max pooling's gradient, one invocation per input element (shaders/pool_grad.wgsl). */
export const maxPoolGradKernel = defineKernel({
  shader: 'pool_grad',
  source: poolGradSource,
  uniforms: poolUniforms,
  bindings: { dy: x, dx: y, argmax: { access: 'read', dtype: 'int32' } },
  workgroupSize: [64],
  overrides: { DISJOINT: 'bool', VEC4: 'bool' },
  entries: ['maxPoolGrad'],
});

/** Average pooling's gradient. */
export const avgPoolGradKernel = defineKernel({
  shader: 'pool_grad',
  source: poolGradSource,
  uniforms: poolUniforms,
  bindings: { dy: x, dx: y },
  workgroupSize: [64],
  overrides: { DISJOINT: 'bool', VEC4: 'bool' },
  entries: ['avgPoolGrad'],
});
