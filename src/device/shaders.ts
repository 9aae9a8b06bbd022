// Every WGSL kernel, by file name. Each file under shaders/ is imported as text, the same way in
// the esbuild bundle (`--loader:.wgsl=text`), in tests (scripts/wgsl-plugin.ts) and in bench.
import accuracy from '../../shaders/accuracy.wgsl';
import binary from '../../shaders/binary.wgsl';
import crossEntropy from '../../shaders/cross_entropy.wgsl';
import crossEntropyGrad from '../../shaders/cross_entropy_grad.wgsl';
import epochSums from '../../shaders/epoch_sums.wgsl';
import fill from '../../shaders/fill.wgsl';
import gather from '../../shaders/gather.wgsl';
import meanError from '../../shaders/mean_error.wgsl';
import meanErrorGrad from '../../shaders/mean_error_grad.wgsl';
import optimizerAdam from '../../shaders/optimizer_adam.wgsl';
import optimizerRmsprop from '../../shaders/optimizer_rmsprop.wgsl';
import optimizerSgd from '../../shaders/optimizer_sgd.wgsl';
import penaltyGrad from '../../shaders/penalty_grad.wgsl';
import penaltyPartial from '../../shaders/penalty_partial.wgsl';
import penaltyTotal from '../../shaders/penalty_total.wgsl';
import matmul from '../../shaders/matmul.wgsl';
import matmulTiled from '../../shaders/matmul_tiled.wgsl';
import permute from '../../shaders/permute.wgsl';
import random from '../../shaders/random.wgsl';
import reduce from '../../shaders/reduce.wgsl';
import unary from '../../shaders/unary.wgsl';
import unaryGrad from '../../shaders/unary_grad.wgsl';

export const shaderSources: Record<string, string> = {
  accuracy,
  binary,
  cross_entropy: crossEntropy,
  cross_entropy_grad: crossEntropyGrad,
  epoch_sums: epochSums,
  fill,
  gather,
  mean_error: meanError,
  mean_error_grad: meanErrorGrad,
  optimizer_adam: optimizerAdam,
  optimizer_rmsprop: optimizerRmsprop,
  optimizer_sgd: optimizerSgd,
  penalty_grad: penaltyGrad,
  penalty_partial: penaltyPartial,
  penalty_total: penaltyTotal,
  matmul,
  matmul_tiled: matmulTiled,
  permute,
  random,
  reduce,
  unary,
  unary_grad: unaryGrad,
};
