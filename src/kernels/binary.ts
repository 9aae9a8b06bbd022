import binarySource from '../../shaders/binary.wgsl';
import whereSource from '../../shaders/where.wgsl';
import { floatBits } from './float_bits';
import { defineKernel } from './kernel';

/** The functions of shaders/binary.wgsl by code (one `case` each). */
export const binaryCodes = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  maximum: 4,
  minimum: 5,
  greater: 6,
  greaterEqual: 7,
  less: 8,
  lessEqual: 9,
  equal: 10,
  pow: 11,
} as const;

export type BinaryCode = keyof typeof binaryCodes;

/** out = a ⊙ b with broadcasting; LAYOUT picks the indexing (see the shader's header). */
export const binaryKernel = defineKernel({
  shader: 'binary',
  source: binarySource,
  includes: [floatBits],
  uniforms: { n: 'u32', rank: 'u32', scalar: 'f32', period: 'u32', shape: 'dims', a_strides: 'dims', b_strides: 'dims' },
  bindings: {
    a: { access: 'read', dtype: 'float32', vars: ['a', 'a4'] },
    b: { access: 'read', dtype: 'float32', vars: ['b', 'b4'] },
    out: { access: 'read_write', dtype: 'float32', vars: ['out', 'out4'] },
  },
  workgroupSize: [64],
  overrides: { OP: 'u32', LAYOUT: 'u32', SCALAR_A: 'bool', SCALAR_B: 'bool' },
  consts: { BLOCK: 1024 },
  entries: ['main', 'main4'],
  opCodes: { override: 'OP', codes: binaryCodes },
});

/** out = cond ≠ 0 ? a : b, each operand read through broadcast strides. */
export const whereKernel = defineKernel({
  shader: 'where',
  source: whereSource,
  uniforms: { n: 'u32', rank: 'u32', shape: 'dims', c_strides: 'dims', a_strides: 'dims', b_strides: 'dims' },
  bindings: {
    cond: { access: 'read', dtype: 'float32' },
    a: { access: 'read', dtype: 'float32' },
    b: { access: 'read', dtype: 'float32' },
    out: { access: 'read_write', dtype: 'float32' },
  },
  workgroupSize: [64],
  entries: ['main'],
});
