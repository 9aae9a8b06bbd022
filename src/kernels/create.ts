import fillSource from '../../shaders/fill.wgsl';
import randomSource from '../../shaders/random.wgsl';
import { defineKernel } from './kernel';

export const fillKernel = defineKernel({
  shader: 'fill',
  source: fillSource,
  uniforms: { n: 'u32', value: 'f32' },
  bindings: { out: { access: 'read_write', dtype: 'float32' } },
  workgroupSize: [64],
  entries: ['main'],
});

/** Counter-based random numbers: DIST 0 uniform, 1 normal, 2 truncated normal. */
export const randomKernel = defineKernel({
  shader: 'random',
  source: randomSource,
  uniforms: { n: 'u32', seed_lo: 'u32', seed_hi: 'u32', lo: 'f32', hi: 'f32' },
  bindings: { out: { access: 'read_write', dtype: 'float32' } },
  workgroupSize: [64],
  overrides: { DIST: 'u32' },
  entries: ['main'],
});
