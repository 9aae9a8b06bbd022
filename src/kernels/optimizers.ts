import adamSource from '../../shaders/optimizer_adam.wgsl';
import normSource from '../../shaders/optimizer_norm.wgsl';
import rmspropSource from '../../shaders/optimizer_rmsprop.wgsl';
import sgdSource from '../../shaders/optimizer_sgd.wgsl';
import { type BindingDecl, defineKernel, type StructDecl } from './kernel';

/**
 * The fused optimizer updates. Each updates several variables per dispatch; variable s owns the
 * vec4s [slots[s-1].end, slots[s].end), may fold the gradient of an L1/L2 penalty (l1, l2), and
 * under clipping by norm multiplies its gradient by `scales[slots[s].scale]`. CLIP: 0 none,
 * 1 clamp to ±clip, 2 the norm scale; the `*Norm` declarations (and those whose bindings leave
 * room) bind the scales after the variables.
 */
const slot: StructDecl = { name: 'Slot', fields: { end: 'u32', l1: 'f32', l2: 'f32', scale: 'u32' } };

const rw = { access: 'read_write', dtype: 'float32' } as const satisfies BindingDecl;
const ro = { access: 'read', dtype: 'float32' } as const satisfies BindingDecl;

const sgd = {
  shader: 'optimizer_sgd',
  source: sgdSource,
  uniforms: { lr: 'f32', momentum: 'f32', decay: 'f32', clip: 'f32', total: 'u32', slots: { array: slot, count: 4 } },
  workgroupSize: [64],
  overrides: { NESTEROV: 'bool', CLIP: 'u32' },
  consts: { BLOCK: 1024 },
} as const;

/** Plain SGD of up to 4 variables: (w, g) each. */
export const sgdKernel = defineKernel({
  ...sgd,
  bindings: { w0: rw, g0: ro, w1: rw, g1: ro, w2: rw, g2: ro, w3: rw, g3: ro },
  entries: ['plain'],
});

/** Plain SGD clipped by norm, of up to 3 variables: (w, g) each, then the scales. */
export const sgdNormKernel = defineKernel({
  ...sgd,
  bindings: { w0: rw, g0: ro, w1: rw, g1: ro, w2: rw, g2: ro, scales: ro },
  entries: ['plain_norm'],
});

/** SGD with momentum (NESTEROV or not) of up to 2 variables: (w, g, m) each, then the scales. */
export const sgdMomentumKernel = defineKernel({
  ...sgd,
  bindings: { mw0: rw, mg0: ro, mm0: rw, mw1: rw, mg1: ro, mm1: rw, scales: ro },
  entries: ['momentum'],
});

const adam = {
  shader: 'optimizer_adam',
  source: adamSource,
  uniforms: { alpha: 'f32', beta1: 'f32', beta2: 'f32', epsilon: 'f32', decay: 'f32', clip: 'f32', total: 'u32', slots: { array: slot, count: 2 } },
  workgroupSize: [64],
  overrides: { CLIP: 'u32' },
  consts: { BLOCK: 1024 },
} as const;

/** Adam / AdamW of up to 2 variables: (w, g, m, v) each. */
export const adamKernel = defineKernel({
  ...adam,
  bindings: { w0: rw, g0: ro, m0: rw, v0: rw, w1: rw, g1: ro, m1: rw, v1: rw },
  entries: ['main'],
});

/** Adam / AdamW clipped by norm, of one variable: (w, g, m, v), then the scales. */
export const adamNormKernel = defineKernel({
  ...adam,
  bindings: { w0: rw, g0: ro, m0: rw, v0: rw, scales: ro },
  entries: ['main_norm'],
});

const rmsprop = {
  shader: 'optimizer_rmsprop',
  source: rmspropSource,
  uniforms: { lr: 'f32', rho: 'f32', momentum: 'f32', epsilon: 'f32', decay: 'f32', clip: 'f32', total: 'u32', slots: { array: slot, count: 2 } },
  workgroupSize: [64],
  overrides: { CLIP: 'u32' },
  consts: { BLOCK: 1024 },
} as const;

/** RMSprop without momentum of up to 2 variables: (w, g, s) each, then the scales. */
export const rmspropKernel = defineKernel({
  ...rmsprop,
  bindings: { w0: rw, g0: ro, s0: rw, w1: rw, g1: ro, s1: rw, scales: ro },
  entries: ['plain'],
});

/** RMSprop with momentum of up to 2 variables: (w, g, s, b) each. */
export const rmspropMomentumKernel = defineKernel({
  ...rmsprop,
  bindings: { mw0: rw, mg0: ro, ms0: rw, mb0: rw, mw1: rw, mg1: ro, ms1: rw, mb1: rw },
  entries: ['momentum'],
});

/** RMSprop with momentum clipped by norm, of one variable: (w, g, s, b), then the scales. */
export const rmspropMomentumNormKernel = defineKernel({
  ...rmsprop,
  bindings: { mw0: rw, mg0: ro, ms0: rw, mb0: rw, mscales: ro },
  entries: ['momentum_norm'],
});

const normSlot: StructDecl = { name: 'NormSlot', fields: { end: 'u32', size: 'u32', l1: 'f32', l2: 'f32' } };
const norm = {
  shader: 'optimizer_norm',
  source: normSource,
  uniforms: { base: 'u32', chunks: 'u32', segments: 'u32', clip: 'f32', slots: { array: normSlot, count: 3 } },
  workgroupSize: [64],
  overrides: { GLOBAL: 'bool' },
  consts: { BLOCK: 1024 },
} as const;

/**
 * Clipping by norm, pass 1: per-lane sums of the squared gradients (penalty's term included) of
 * up to 3 variables, one workgroup per chunk of BLOCK vec4s.
 */
export const gradNormPartialKernel = defineKernel({
  ...norm,
  bindings: { w0: ro, g0: ro, w1: ro, g1: ro, w2: ro, g2: ro, partials: rw },
  entries: ['partial'],
});

/** Clipping by norm, pass 2: each segment's norm from its partial sums, and its scale c / max(n, c). */
export const gradNormScaleKernel = defineKernel({
  ...norm,
  bindings: { table: { access: 'read', dtype: 'uint32' }, sums: ro, scales: rw },
  entries: ['scale'],
});
