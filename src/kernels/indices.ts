import argMaxSource from '../../shaders/arg_max.wgsl';
import oneHotSource from '../../shaders/one_hot.wgsl';
import { defineKernel } from './kernel';

/** Rows of `depth` with onValue at each index's column, offValue elsewhere. */
export const oneHotKernel = defineKernel({
  shader: 'one_hot',
  source: oneHotSource,
  uniforms: { n: 'u32', depth: 'u32', onValue: 'f32', offValue: 'f32' },
  bindings: {
    idx: { access: 'read', dtype: ['float32', 'int32'], alias: 'Index' },
    out: { access: 'read_write', dtype: 'float32' },
  },
  workgroupSize: [64],
  entries: ['main'],
});

/** The first index of the largest value along the middle axis of [outer, r, inner], as int32. */
export const argMaxKernel = defineKernel({
  shader: 'arg_max',
  source: argMaxSource,
  uniforms: { outer: 'u32', r: 'u32', inner: 'u32' },
  bindings: {
    x: { access: 'read', dtype: ['float32', 'int32'], alias: 'Element' },
    out: { access: 'read_write', dtype: 'int32' },
  },
  workgroupSize: [64],
  entries: ['main'],
});
