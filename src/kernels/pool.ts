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

/** The forward passes (shaders/pool.wgsl). */
const pool = { shader: 'pool', source: poolSource, uniforms: poolUniforms, workgroupSize: [64], overrides: { WITH_ARGMAX: 'bool', VEC4: 'bool' } } as const;

/** Max pooling in one pass, with (WITH_ARGMAX) the argmax its gradient needs. */
export const maxPoolKernel = defineKernel({ ...pool, bindings: { x, y, argmax: { access: 'read_write', dtype: 'int32' } }, entries: ['maxPool'] });

/** Average pooling over the window's positions inside the input. */
export const avgPoolKernel = defineKernel({ ...pool, bindings: { x, y }, entries: ['avgPool'] });

/** The gradients, one invocation per input element (shaders/pool_grad.wgsl). */
const poolGrad = { shader: 'pool_grad', source: poolGradSource, uniforms: poolUniforms, workgroupSize: [64], overrides: { DISJOINT: 'bool', VEC4: 'bool' } } as const;

/** Max pooling's gradient. */
export const maxPoolGradKernel = defineKernel({ ...poolGrad, bindings: { dy: x, dx: y, argmax: { access: 'read', dtype: 'int32' } }, entries: ['maxPoolGrad'] });

/** Average pooling's gradient. */
export const avgPoolGradKernel = defineKernel({ ...poolGrad, bindings: { dy: x, dx: y }, entries: ['avgPoolGrad'] });
