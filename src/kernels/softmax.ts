import maskedSoftmaxSource from '../../shaders/masked_softmax.wgsl';
import maskedSoftmaxGradSource from '../../shaders/masked_softmax_grad.wgsl';
import { floatBits } from './float_bits';
import { defineKernel } from './kernel';

/** The mask's role: its codes for the MASK override of shaders/masked_softmax.wgsl. */
export const softmaxMaskCodes = { none: 0, boolean: 1, additive: 2 } as const;

/** softmax(scale·x) over rows, with a boolean or additive mask read through broadcast strides; or log softmax(x) (LOG). */
export const maskedSoftmaxKernel = defineKernel({
  shader: 'masked_softmax',
  source: maskedSoftmaxSource,
  uniforms: { rows: 'u32', len: 'u32', rank: 'u32', maskStep: 'u32', scale: 'f32', shape: 'dims', maskStrides: 'dims' },
  bindings: {
    x: { access: 'read', dtype: 'float32' },
    mask: { access: 'read', dtype: ['float32', 'int32'], alias: 'Mask' },
    y: { access: 'read_write', dtype: 'float32' },
  },
  workgroupSize: [64],
  overrides: { MASK: 'u32', LOG: 'bool' },
  entries: ['main', 'wide'],
  includes: [floatBits],
});

/** dx = scale · y ⊙ (dy − Σ dy ⊙ y) per row, from the softmax's output; dx = scale · (dy − e^y Σ dy) from the log softmax's (LOG). */
export const maskedSoftmaxGradKernel = defineKernel({
  shader: 'masked_softmax_grad',
  source: maskedSoftmaxGradSource,
  uniforms: { rows: 'u32', len: 'u32', scale: 'f32' },
  bindings: {
    y: { access: 'read', dtype: 'float32' },
    dy: { access: 'read', dtype: 'float32' },
    dx: { access: 'read_write', dtype: 'float32' },
  },
  workgroupSize: [64],
  overrides: { LOG: 'bool' },
  entries: ['main', 'wide'],
  includes: [floatBits],
});
