import adamSource from '../../shaders/optimizer_adam.wgsl';
import rmspropSource from '../../shaders/optimizer_rmsprop.wgsl';
import sgdSource from '../../shaders/optimizer_sgd.wgsl';
import { type BindingDecl, defineKernel, type StructDecl } from './kernel';

/**
 * The fused optimizer updates. Each updates several variables per dispatch; variable s owns the
 * vec4s [slots[s-1].end, slots[s].end) and may fold the gradient of an L1/L2 penalty (l1, l2).
 */
const slot: StructDecl = { name: 'Slot', fields: { end: 'u32', l1: 'f32', l2: 'f32', _pad: 'u32' } };

const rw = { access: 'read_write', dtype: 'float32' } as const satisfies BindingDecl;
const ro = { access: 'read', dtype: 'float32' } as const satisfies BindingDecl;

/** Plain SGD of up to 4 variables: (w, g) each. */
export const sgdKernel = defineKernel({
  shader: 'optimizer_sgd',
  source: sgdSource,
  uniforms: { lr: 'f32', momentum: 'f32', decay: 'f32', total: 'u32', slots: { array: slot, count: 4 } },
  bindings: { w0: rw, g0: ro, w1: rw, g1: ro, w2: rw, g2: ro, w3: rw, g3: ro },
  workgroupSize: [64],
  overrides: { NESTEROV: 'bool' },
  consts: { BLOCK: 1024 },
  entries: ['plain'],
});

/** SGD with momentum (NESTEROV or not) of up to 2 variables: (w, g, m) each. */
export const sgdMomentumKernel = defineKernel({
  shader: 'optimizer_sgd',
  source: sgdSource,
  uniforms: { lr: 'f32', momentum: 'f32', decay: 'f32', total: 'u32', slots: { array: slot, count: 4 } },
  bindings: { mw0: rw, mg0: ro, mm0: rw, mw1: rw, mg1: ro, mm1: rw },
  workgroupSize: [64],
  overrides: { NESTEROV: 'bool' },
  consts: { BLOCK: 1024 },
  entries: ['momentum'],
});

/** Adam / AdamW of up to 2 variables: (w, g, m, v) each. */
export const adamKernel = defineKernel({
  shader: 'optimizer_adam',
  source: adamSource,
  uniforms: { alpha: 'f32', beta1: 'f32', beta2: 'f32', epsilon: 'f32', decay: 'f32', total: 'u32', slots: { array: slot, count: 2 } },
  bindings: { w0: rw, g0: ro, m0: rw, v0: rw, w1: rw, g1: ro, m1: rw, v1: rw },
  workgroupSize: [64],
  consts: { BLOCK: 1024 },
  entries: ['main'],
});

const rmspropUniforms = {
  lr: 'f32',
  rho: 'f32',
  momentum: 'f32',
  epsilon: 'f32',
  decay: 'f32',
  total: 'u32',
  slots: { array: slot, count: 2 },
} as const;

/** RMSprop without momentum of up to 2 variables: (w, g, s) each. */
export const rmspropKernel = defineKernel({
  shader: 'optimizer_rmsprop',
  source: rmspropSource,
  uniforms: rmspropUniforms,
  bindings: { w0: rw, g0: ro, s0: rw, w1: rw, g1: ro, s1: rw },
  workgroupSize: [64],
  consts: { BLOCK: 1024 },
  entries: ['plain'],
});

/** RMSprop with momentum of up to 2 variables: (w, g, s, b) each. */
export const rmspropMomentumKernel = defineKernel({
  shader: 'optimizer_rmsprop',
  source: rmspropSource,
  uniforms: rmspropUniforms,
  bindings: { mw0: rw, mg0: ro, ms0: rw, mb0: rw, mw1: rw, mg1: ro, ms1: rw, mb1: rw },
  workgroupSize: [64],
  consts: { BLOCK: 1024 },
  entries: ['momentum'],
});
