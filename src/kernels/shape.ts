import permuteSource from '../../shaders/permute.wgsl';
import reduceSource from '../../shaders/reduce.wgsl';
import { floatBits } from './float_bits';
import { defineKernel } from './kernel';

/** out[i] = x[Σ coord_d · strides_d] over a contiguous output (transpose, broadcast); `main4` moves vec4s. */
export const permuteKernel = defineKernel({
  shader: 'permute',
  source: permuteSource,
  uniforms: { n: 'u32', rank: 'u32', shape: 'dims', strides: 'dims' },
  bindings: {
    x: { access: 'read', dtype: 'float32', vars: ['x', 'x4'] },
    out: { access: 'read_write', dtype: 'float32', vars: ['out', 'out4'] },
  },
  workgroupSize: [64],
  consts: { BLOCK: 1024 },
  entries: ['main', 'main4'],
});

/** Sum (OP 0) or max (OP 1) over the middle axis of [outer, r, inner]. */
export const reduceKernel = defineKernel({
  shader: 'reduce',
  source: reduceSource,
  includes: [floatBits],
  uniforms: { outer: 'u32', r: 'u32', inner: 'u32' },
  bindings: { x: { access: 'read', dtype: 'float32' }, y: { access: 'read_write', dtype: 'float32' } },
  workgroupSize: [64],
  overrides: { OP: 'u32' },
  entries: ['main', 'wide'],
});
