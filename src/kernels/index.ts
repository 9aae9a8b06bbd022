import { engine } from '../device/engine';
import { ShaderCompileError } from '../errors';
import { binaryKernel, whereKernel } from './binary';
import {
  conv2dActivationKernel,
  conv2dDirectActivationKernel,
  conv2dDirectFilterKernel,
  conv2dDirectKernel,
  conv2dFilterKernel,
  conv2dFilterNarrowKernel,
  conv2dKernel,
  conv2dNarrowActivationKernel,
  conv2dNarrowKernel,
  conv2dTiledActivationKernel,
  conv2dTiledKernel,
  depthwiseActivationKernel,
  depthwiseFilterKernel,
  depthwiseKernel,
} from './conv';
import { fillKernel, randomKernel } from './create';
import { gatherKernel } from './gather';
import { argMaxKernel, oneHotKernel } from './indices';
import type { AnyKernel } from './kernel';
import { crossEntropyGradKernel, crossEntropyKernel, meanErrorGradKernel, meanErrorKernel } from './losses';
import {
  batchNormGradKernel, batchNormGradPartialKernel, batchNormGradSumsKernel, batchNormKernel, batchNormMomentsKernel, batchNormStatsKernel, layerNormGradKernel, layerNormKernel,
} from './norm';
import { matmulRegisterActivationKernel, matmulRegisterKernel, matmulTiledActivationKernel, matmulTiledKernel } from './matmul';
import { accuracyKernel, epochSumsKernel } from './metrics';
import {
  adamKernel, adamNormKernel, gradNormPartialKernel, gradNormScaleKernel, rmspropKernel, rmspropMomentumKernel, rmspropMomentumNormKernel, sgdKernel, sgdMomentumKernel, sgdNormKernel,
} from './optimizers';
import { penaltyGradKernel, penaltyPartialKernel, penaltyTotalKernel } from './penalty';
import { regionKernel } from './region';
import { avgPoolGradKernel, avgPoolKernel, maxPoolGradKernel, maxPoolKernel } from './pool';
import { permuteKernel, reduceKernel } from './shape';
import { maskedSoftmaxGradKernel, maskedSoftmaxKernel } from './softmax';
import { unaryGradKernel, unaryKernel } from './unary';

/** Every declared kernel (the declaration test and `compileAllShaders` walk this list). */
export const allKernels: readonly AnyKernel[] = [
  unaryKernel,
  unaryGradKernel,
  binaryKernel,
  whereKernel,
  matmulRegisterKernel,
  matmulRegisterActivationKernel,
  matmulTiledKernel,
  matmulTiledActivationKernel,
  permuteKernel,
  reduceKernel,
  fillKernel,
  randomKernel,
  gatherKernel,
  crossEntropyKernel,
  crossEntropyGradKernel,
  meanErrorKernel,
  meanErrorGradKernel,
  penaltyPartialKernel,
  penaltyTotalKernel,
  penaltyGradKernel,
  accuracyKernel,
  epochSumsKernel,
  sgdKernel,
  sgdNormKernel,
  sgdMomentumKernel,
  adamKernel,
  adamNormKernel,
  rmspropKernel,
  rmspropMomentumKernel,
  rmspropMomentumNormKernel,
  gradNormPartialKernel,
  gradNormScaleKernel,
  regionKernel,
  oneHotKernel,
  argMaxKernel,
  maskedSoftmaxKernel,
  maskedSoftmaxGradKernel,
  layerNormKernel,
  layerNormGradKernel,
  batchNormStatsKernel,
  batchNormMomentsKernel,
  batchNormKernel,
  batchNormGradPartialKernel,
  batchNormGradSumsKernel,
  batchNormGradKernel,
  conv2dKernel,
  conv2dActivationKernel,
  conv2dNarrowKernel,
  conv2dNarrowActivationKernel,
  conv2dFilterKernel,
  conv2dFilterNarrowKernel,
  conv2dDirectKernel,
  conv2dDirectActivationKernel,
  conv2dDirectFilterKernel,
  conv2dTiledKernel,
  conv2dTiledActivationKernel,
  depthwiseKernel,
  depthwiseActivationKernel,
  depthwiseFilterKernel,
  maxPoolKernel,
  avgPoolKernel,
  maxPoolGradKernel,
  avgPoolGradKernel,
];

/** Compiles `code` and reports the first errors as `shaders/name.wgsl:line:column: message`. */
export async function checkShader(name: string, code: string): Promise<void> {
  const m = engine().device.createShaderModule({ label: `shaders/${name}.wgsl`, code });
  const info = await m.getCompilationInfo();
  const errors = info.messages.filter((msg) => msg.type === 'error');
  if (errors.length) {
    const lines = errors.map((e) => `shaders/${name}.wgsl:${e.lineNum}:${e.linePos}: ${e.message}`);
    throw new ShaderCompileError(lines.join('\n'));
  }
}

/**
 * Compiles every kernel's WGSL and reports the first error as `shaders/file.wgsl:line:column`.
 * Pipelines compile lazily; this makes a broken shader fail loudly and at once. Returns the
 * shader names.
 */
export async function compileAllShaders(): Promise<string[]> {
  const checked = new Set<string>();
  for (const k of allKernels) {
    if (checked.has(k.code)) continue;
    await checkShader(k.name, k.code);
    checked.add(k.code);
  }
  return [...new Set(allKernels.map((k) => k.name))];
}
