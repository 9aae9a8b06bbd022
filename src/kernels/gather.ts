import gatherSource from '../../shaders/gather.wgsl';
import { defineKernel } from './kernel';

/** Slices of x at int32 or float32-coded indices (main), and its VJP as a walk over the indices (scatter). */
export const gatherKernel = defineKernel({
  shader: 'gather',
  source: gatherSource,
  uniforms: { outer: 'u32', n: 'u32', k: 'u32', inner: 'u32' },
  bindings: {
    src: { access: 'read', dtype: 'float32' },
    idx: { access: 'read', dtype: ['float32', 'int32'], alias: 'Index' },
    dst: { access: 'read_write', dtype: 'float32' },
  },
  workgroupSize: [64],
  entries: ['main', 'scatter'],
});
