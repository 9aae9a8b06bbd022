import accuracySource from '../../shaders/accuracy.wgsl';
import epochSumsSource from '../../shaders/epoch_sums.wgsl';
import { defineKernel } from './kernel';

/** Fraction of rows whose argmax matches the label (dense, or SPARSE class indices). */
export const accuracyKernel = defineKernel({
  shader: 'accuracy',
  source: accuracySource,
  uniforms: { rows: 'u32', classes: 'u32' },
  bindings: {
    t: { access: 'read', dtype: 'float32' },
    y: { access: 'read', dtype: 'float32' },
    out: { access: 'read_write', dtype: 'float32' },
  },
  workgroupSize: [64],
  overrides: { SPARSE: 'bool' },
  entries: ['main'],
});

/** Adds a batch's logged values, weighted, into the epoch's running sums. */
export const epochSumsKernel = defineKernel({
  shader: 'epoch_sums',
  source: epochSumsSource,
  uniforms: { base: 'u32', metrics: 'u32', penalties: 'u32', weight: 'f32' },
  bindings: { values: { access: 'read', dtype: 'float32' }, sums: { access: 'read_write', dtype: 'float32' } },
  workgroupSize: [64],
  entries: ['main'],
});
