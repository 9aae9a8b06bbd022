import layerNormSource from '../../shaders/layer_norm.wgsl';
import layerNormGradSource from '../../shaders/layer_norm_grad.wgsl';
import { defineKernel } from './kernel';

/** y = (x − μ)/√(σ² + ε)·γ + β over rows of `len`. */
export const layerNormKernel = defineKernel({
  shader: 'layer_norm',
  source: layerNormSource,
  uniforms: { rows: 'u32', len: 'u32', epsilon: 'f32' },
  bindings: {
    x: { access: 'read', dtype: 'float32' },
    gamma: { access: 'read', dtype: 'float32' },
    beta: { access: 'read', dtype: 'float32' },
    y: { access: 'read_write', dtype: 'float32' },
  },
  workgroupSize: [64],
  entries: ['main'],
});

/** dx from x, γ and dy, and dy ⊙ x̂ for γ's gradient. */
export const layerNormGradKernel = defineKernel({
  shader: 'layer_norm_grad',
  source: layerNormGradSource,
  uniforms: { rows: 'u32', len: 'u32', epsilon: 'f32' },
  bindings: {
    x: { access: 'read', dtype: 'float32' },
    gamma: { access: 'read', dtype: 'float32' },
    dy: { access: 'read', dtype: 'float32' },
    dx: { access: 'read_write', dtype: 'float32' },
    dyXhat: { access: 'read_write', dtype: 'float32' },
  },
  workgroupSize: [64],
  entries: ['main'],
});
