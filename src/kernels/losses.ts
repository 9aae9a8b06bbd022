import crossEntropySource from '../../shaders/cross_entropy.wgsl';
import crossEntropyGradSource from '../../shaders/cross_entropy_grad.wgsl';
import meanErrorSource from '../../shaders/mean_error.wgsl';
import meanErrorGradSource from '../../shaders/mean_error_grad.wgsl';
import { floatBits } from './float_bits';
import { defineKernel } from './kernel';

/** Mean softmax cross-entropy over rows, from logits and dense or sparse labels. */
export const crossEntropyKernel = defineKernel({
  shader: 'cross_entropy',
  source: crossEntropySource,
  includes: [floatBits],
  uniforms: { rows: 'u32', classes: 'u32' },
  bindings: {
    x: { access: 'read', dtype: 'float32' },
    labels: { access: 'read', dtype: 'float32' },
    out: { access: 'read_write', dtype: 'float32' },
  },
  workgroupSize: [64],
  overrides: { SPARSE: 'bool' },
  entries: ['main'],
});

export const crossEntropyGradKernel = defineKernel({
  shader: 'cross_entropy_grad',
  source: crossEntropyGradSource,
  includes: [floatBits],
  uniforms: { rows: 'u32', classes: 'u32' },
  bindings: {
    x: { access: 'read', dtype: 'float32' },
    labels: { access: 'read', dtype: 'float32' },
    ct: { access: 'read', dtype: 'float32' },
    dx: { access: 'read_write', dtype: 'float32' },
  },
  workgroupSize: [64],
  overrides: { SPARSE: 'bool' },
  entries: ['main'],
});

/** Mean squared (or, ABSOLUTE, absolute) error over all elements. */
export const meanErrorKernel = defineKernel({
  shader: 'mean_error',
  source: meanErrorSource,
  uniforms: { n: 'u32' },
  bindings: {
    pred: { access: 'read', dtype: 'float32' },
    targets: { access: 'read', dtype: 'float32' },
    out: { access: 'read_write', dtype: 'float32' },
  },
  workgroupSize: [64],
  overrides: { ABSOLUTE: 'bool' },
  entries: ['main'],
});

export const meanErrorGradKernel = defineKernel({
  shader: 'mean_error_grad',
  source: meanErrorGradSource,
  uniforms: { n: 'u32' },
  bindings: {
    pred: { access: 'read', dtype: 'float32' },
    targets: { access: 'read', dtype: 'float32' },
    ct: { access: 'read', dtype: 'float32' },
    dp: { access: 'read_write', dtype: 'float32' },
  },
  workgroupSize: [64],
  overrides: { ABSOLUTE: 'bool' },
  entries: ['main'],
});
