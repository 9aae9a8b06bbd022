import math from '../../shaders/unary_math.wgsl';
import unarySource from '../../shaders/unary.wgsl';
import unaryGradSource from '../../shaders/unary_grad.wgsl';
import { floatBits } from './float_bits';
import { defineKernel } from './kernel';

/**
 * The elementwise functions of shaders/unary_math.wgsl by code: one `case` each in unary_f and
 * unary_df, which unary.wgsl, unary_grad.wgsl and the matmul epilogues share. 0 is the identity.
 */
export const unaryCodes = {
  copy: 0,
  neg: 1,
  square: 2,
  sqrt: 3,
  exp: 4,
  log: 5,
  abs: 6,
  sign: 7,
  relu: 8,
  leakyRelu: 9,
  elu: 10,
  gelu: 11,
  sigmoid: 12,
  tanh: 13,
  softplus: 14,
  rsqrt: 15,
  clipByValue: 16,
} as const;

export type UnaryCode = keyof typeof unaryCodes;

/**
 * The WGSL that defines unary_f and unary_df, with the NaN and infinity helpers they use: what a
 * kernel that applies an elementwise function appends (the kernels of this file, both matmuls,
 * the convolutions).
 */
export const unaryMath: readonly string[] = [math, floatBits];

/** y = f(x). */
export const unaryKernel = defineKernel({
  shader: 'unary',
  source: unarySource,
  includes: unaryMath,
  uniforms: { n: 'u32', alpha: 'f32', beta: 'f32' },
  bindings: { x: { access: 'read', dtype: 'float32' }, y: { access: 'read_write', dtype: 'float32' } },
  workgroupSize: [64],
  overrides: { OP: 'u32' },
  consts: { BLOCK: 1024 },
  entries: ['main'],
  opCodes: { override: 'OP', codes: unaryCodes },
});

/** dx = dy · f'(x), given x and y = f(x). */
export const unaryGradKernel = defineKernel({
  shader: 'unary_grad',
  source: unaryGradSource,
  includes: unaryMath,
  uniforms: { n: 'u32', alpha: 'f32', beta: 'f32' },
  bindings: {
    x: { access: 'read', dtype: 'float32' },
    y: { access: 'read', dtype: 'float32' },
    dy: { access: 'read', dtype: 'float32' },
    dx: { access: 'read_write', dtype: 'float32' },
  },
  workgroupSize: [64],
  overrides: { OP: 'u32' },
  consts: { BLOCK: 1024 },
  entries: ['main'],
  opCodes: { override: 'OP', codes: unaryCodes },
});
