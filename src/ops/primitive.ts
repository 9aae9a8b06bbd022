import { engine } from '../device/engine';
import type { Tensor } from '../tensor/tensor';
import type { BinaryOp } from './binary';
import type { ConvSpec } from './conv';
import type { PoolSpec } from './pool';
import type { FusableActivation, UnaryOp } from './unary';

/**
 * The primitives every differentiable op lowers to, with their parameters. Adding a primitive here
 * without a VJP in `rules.ts` fails `tsc`, because the rule table is a mapped type over this map.
 */
export interface PrimParams {
  unary: { op: UnaryOp; alpha: number; beta: number };
  /** A scalar operand travels as a uniform (`scalarA`/`scalarB`), not as a tensor input. */
  binary: { op: BinaryOp; scalarA?: number; scalarB?: number };
  /**
   * Inputs a, b and, when `bias`, a length-N vector added to every row; `activation` (one whose
   * derivative is a function of its output) is applied in the same kernel.
   */
  /** Inputs cond, a, b: cond ≠ 0 picks a, else b (all broadcast). */
  where: Record<string, never>;
  matmul: { transposeA: boolean; transposeB: boolean; bias: boolean; activation: FusableActivation | null; alpha: number };
  sum: { axes: number[]; keepDims: boolean };
  max: { axes: number[]; keepDims: boolean };
  reshape: { shape: number[] };
  transpose: { perm: number[] };
  broadcastTo: { shape: number[] };
  /** Same-shape inputs stacked along a new leading axis. */
  stack: Record<string, never>;
  /** The sum of three or more same-shape inputs (or of two scalars), in one reduction. */
  addN: Record<string, never>;
  /** Slices along `axis` at float32-coded integer indices (inputs: x, indices). */
  gather: { axis: number };
  /** Mean softmax cross-entropy over rows (inputs: logits, labels). */
  crossEntropy: { sparse: boolean };
  /** Mean squared (or absolute) error over all elements (inputs: predictions, targets). */
  meanError: { absolute: boolean };
  /** Output [k]: entry i is l1[i]·Σ|xᵢ| + l2[i]·Σxᵢ² over input i (the multi-tensor penalty). */
  penalty: { l1: number[]; l2: number[] };
  /** Output []: entry `index` of a penalty vector (each entry is picked once; see penalty.ts). */
  pick: { index: number };
  /** The box of the input from `begin` spanning `size` (all resolved: no −1). */
  slice: { begin: number[]; size: number[] };
  /** The input inside a border of `value`: `paddings[d]` = [before, after] along dimension d. */
  pad: { paddings: Array<[number, number]>; value: number };
  /** The inputs joined along `axis`. */
  concat: { axis: number };
  /** softmax(scale·x) over the last axis (inputs: x, and a mask unless `mask` is 'none'). */
  maskedSoftmax: { mask: 'none' | 'boolean' | 'additive'; scale: number; log: boolean };
  /** Layer normalization over the last axis (inputs: x, gamma, beta). */
  layerNorm: { epsilon: number };
  /**
   * Batch normalization over the last axis (inputs: x, mean, variance, gamma, beta); with
   * `batchStatistics` the mean and variance are x's own, and dx goes through them.
   */
  batchNorm: { epsilon: number; batchStatistics: boolean };
  /**
   * Inputs x, filter and, when `bias`, one entry per output channel; `activation` (one whose
   * derivative is a function of its output) is applied in the same kernel. `depthwise`: the
   * filter is [kh, kw, C, multiplier] (depthwiseConv2d) rather than [kh, kw, inC, outC].
   */
  conv2d: { conv: ConvSpec; depthwise: boolean; bias: boolean; activation: FusableActivation | null; alpha: number };
  /** Inputs dy, filter: the convolution's gradient with respect to its input (of `inputShape`). */
  conv2dBackpropInput: { conv: ConvSpec; depthwise: boolean; inputShape: number[] };
  /** Inputs x, dy: the convolution's gradient with respect to its filter (of `filterShape`). */
  conv2dBackpropFilter: { conv: ConvSpec; depthwise: boolean; filterShape: number[] };
  /** Inputs x and the int32 argmax the forward kernel wrote for the gradient. */
  maxPool: { pool: PoolSpec };
  /** Inputs dy, argmax: max pooling's gradient (of `inputShape`). */
  maxPoolGrad: { pool: PoolSpec; inputShape: number[] };
  avgPool: { pool: PoolSpec };
  /** Input dy: average pooling's gradient (of `inputShape`). */
  avgPoolGrad: { pool: PoolSpec; inputShape: number[] };
}

export type Primitive = keyof PrimParams;

/** One recorded application of a primitive. Inputs and output are the tape's own views. */
export interface TapeNode<P extends Primitive = Primitive> {
  prim: P;
  params: PrimParams[P];
  inputs: Tensor[];
  output: Tensor;
  /** Which inputs lead back to a watched source; a rule may skip (return null for) the rest. */
  needs: boolean[];
}

/** Given the cotangent of the output, the cotangent of each input (null: no gradient flows). */
export type VjpRule<P extends Primitive> = (ct: Tensor, node: TapeNode<P>) => Array<Tensor | null>;

/**
 * A rule that adds its gradients into the cotangents accumulated so far for its inputs (`prior`,
 * undefined where there is none yet) and returns the sums, reusing a prior's buffer when nothing
 * else views it. When its inputs are leaves (variables), the tape runs it after every other rule,
 * so one fused kernel can finish many weight gradients at once, in place.
 */
export interface AccumulatingVjp<P extends Primitive> {
  accumulate(ct: Tensor, node: TapeNode<P>, prior: ReadonlyArray<Tensor | undefined>): Array<Tensor | undefined>;
}

export type VjpTable = { [P in Primitive]: VjpRule<P> | AccumulatingVjp<P> };

/** Whoever records ops (a GradientTape inside `record`). */
export interface Recorder {
  recordOp<P extends Primitive>(prim: P, params: PrimParams[P], inputs: Tensor[], output: Tensor): void;
  /** Whether an op on `t` would be recorded: `t` leads back to a source of this recorder. */
  watches(t: Tensor): boolean;
}

/** The recording tapes, innermost last; the engine keeps them. */
const recorders = (): Recorder[] => engine().recorders as Recorder[];

export function pushRecorder(r: Recorder): void {
  recorders().push(r);
}

export function popRecorder(r: Recorder): void {
  const stack = recorders();
  const i = stack.lastIndexOf(r);
  if (i >= 0) stack.splice(i, 1);
}

/**
 * Whether some active recorder would record an op on `t`: a tape's backward pass asks, since its
 * work on such a value must then be ops (not fused kernels) for that recorder to see it.
 */
export function isWatched(t: Tensor): boolean {
  return recorders().some((r) => r.watches(t));
}

/** Whether any recorder is active (cheaper than `isWatched` when none is). */
export function isRecording(): boolean {
  return recorders().length > 0;
}

/** Removes every recorder for the duration of `fn` (gradient computations, stopGradient). */
export function withoutRecording<T>(fn: () => T): T {
  const stack = recorders();
  const saved = stack.splice(0);
  try {
    return fn();
  } finally {
    stack.push(...saved);
  }
}

/** Called by every op after encoding its forward dispatch. */
export function emit<P extends Primitive>(prim: P, params: PrimParams[P], inputs: Tensor[], output: Tensor): Tensor {
  const stack = engine().recorders as Recorder[];
  for (let i = 0; i < stack.length; i++) stack[i].recordOp(prim, params, inputs, output);
  return output;
}
