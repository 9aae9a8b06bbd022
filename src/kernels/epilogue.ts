import identity from '../../shaders/unary_identity.wgsl';
import { floatBits } from './float_bits';
import { type BindingDecl, defineKernel, type Kernel, type KernelDecl, type OverrideType, type UniformDecl } from './kernel';
import { unaryCodes, unaryMath } from './unary';

/**
 * The identity's unary_f, appended to kernels with an epilogue that never apply an activation. The
 * elementwise code of unary_math.wgsl, though never reached, slows the register kernels in Chromium
 * on SwiftShader: the register matmul at 256² from 5.3 to 4.2 GFLOP/s (bench/README.md).
 */
export const plainEpilogue: readonly string[] = [identity, floatBits];

/**
 * A kernel with an activation epilogue, declared twice: plain (plainEpilogue), for the backward
 * passes and products without an activation, and with unary_math.wgsl appended and ACTIVATION one
 * of its codes, for a fused activation.
 */
export function epilogueKernels<
  U extends UniformDecl,
  B extends Record<string, BindingDecl>,
  E extends string,
  O extends Record<string, OverrideType> & { ACTIVATION: 'u32' },
>(decl: KernelDecl<U, B, O, E>): readonly [plain: Kernel<U, B, O, E>, activation: Kernel<U, B, O, E>] {
  return [
    defineKernel({ ...decl, includes: plainEpilogue }),
    defineKernel({ ...decl, variant: 'activation', includes: unaryMath, opCodes: { override: 'ACTIVATION', codes: unaryCodes } }),
  ];
}
