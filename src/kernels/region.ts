import regionSource from '../../shaders/region.wgsl';
import { defineKernel } from './kernel';

/**
 * A box of elements copied between strided layouts (`copy`: slice, concat), or a tensor placed
 * inside a constant border (`pad`); float32 or int32, the same on both sides.
 */
export const regionKernel = defineKernel({
  shader: 'region',
  source: regionSource,
  uniforms: {
    n: 'u32',
    rank: 'u32',
    srcOffset: 'u32',
    dstOffset: 'u32',
    value: 'f32',
    shape: 'dims',
    srcStrides: 'dims',
    dstStrides: 'dims',
    before: 'dims',
    srcShape: 'dims',
  },
  bindings: {
    src: { access: 'read', dtype: ['float32', 'int32'], alias: 'Element' },
    dst: { access: 'read_write', dtype: ['float32', 'int32'], alias: 'Element' },
  },
  workgroupSize: [64],
  entries: ['copy', 'pad'],
});
