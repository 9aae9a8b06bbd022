import { batchNormVjp } from './batch_norm';
import { binaryVjp } from './binary';
import { conv2dBackpropFilterVjp, conv2dBackpropInputVjp, conv2dVjp } from './conv';
import { crossEntropyVjp } from './cross_entropy';
import { gatherVjp } from './gather';
import { layerNormVjp } from './layer_norm';
import { maskedSoftmaxVjp } from './masked_softmax';
import { matmulVjp } from './matmul';
import { meanErrorVjp } from './mean_error';
import { penaltyVjp, pickVjp } from './penalty';
import { addNVjp } from './nn';
import { avgPoolGradVjp, avgPoolVjp, maxPoolGradVjp, maxPoolVjp } from './pool';
import type { VjpTable } from './primitive';
import { maxVjp, sumVjp } from './reduce';
import { broadcastToVjp, reshapeVjp, stackVjp, transposeVjp } from './shape_ops';
import { concatVjp, padVjp, sliceVjp } from './slice';
import { unaryVjp } from './unary';
import { whereVjp } from './where';

/** One VJP per primitive; the mapped type makes a missing entry a compile error. */
export const vjpRules: VjpTable = {
  unary: unaryVjp,
  binary: binaryVjp,
  where: whereVjp,
  matmul: matmulVjp,
  sum: sumVjp,
  max: maxVjp,
  reshape: reshapeVjp,
  transpose: transposeVjp,
  broadcastTo: broadcastToVjp,
  stack: stackVjp,
  addN: addNVjp,
  gather: gatherVjp,
  crossEntropy: crossEntropyVjp,
  meanError: meanErrorVjp,
  penalty: penaltyVjp,
  pick: pickVjp,
  slice: sliceVjp,
  pad: padVjp,
  concat: concatVjp,
  maskedSoftmax: maskedSoftmaxVjp,
  layerNorm: layerNormVjp,
  batchNorm: batchNormVjp,
  conv2d: conv2dVjp,
  conv2dBackpropInput: conv2dBackpropInputVjp,
  conv2dBackpropFilter: conv2dBackpropFilterVjp,
  maxPool: maxPoolVjp,
  maxPoolGrad: maxPoolGradVjp,
  avgPool: avgPoolVjp,
  avgPoolGrad: avgPoolGradVjp,
};
