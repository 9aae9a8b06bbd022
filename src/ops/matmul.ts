import { InvalidArgumentError, ShapeError } from '../errors';
import { fmt } from '../tensor/shape';
import { emptyTensor, type Tensor } from '../tensor/tensor';
import { encodeMatmul } from './matmul_kernel';
import { asTensor, type Operand } from './operand';
import { checkBindable } from '../kernels/kernel';
import { unaryCodes } from '../kernels/unary';
import { activationGradFromOutput, type FusableActivation, fusableActivations, isFusable } from './unary';
import { emit, type VjpRule } from './primitive';

export interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
  /** A length-N vector added to every row of C in the same kernel (as TF.js's fused matMul). */
  bias?: Tensor;
  /**
   * An activation applied in the same kernel: 'relu', 'leakyRelu', 'elu', 'sigmoid' or 'tanh'
   * (those whose derivative can be read off the output), with `alpha` for leakyRelu and elu.
   */
  activation?: FusableActivation;
  alpha?: number;
}

/**
 * C = op(A) · op(B) for rank-2 operands, or per batch for rank 3 (a rank-2 operand, or a batch of
 * 1, is shared by every batch). Transposed operands are read in place, never copied.
 */
export function matmul(a: Operand, b: Operand, opts: MatmulOptions = {}): Tensor {
  const at = asTensor(a, 'matmul', 'a');
  const bt = asTensor(b, 'matmul', 'b');
  const transposeA = opts?.transposeA ?? false;
  const transposeB = opts?.transposeB ?? false;
  if (typeof transposeA !== 'boolean' || typeof transposeB !== 'boolean') {
    throw new InvalidArgumentError('matmul: transposeA and transposeB must be booleans.');
  }
  const describe = () => `a ${fmt(at.shape)}${transposeA ? 'ᵀ' : ''} and b ${fmt(bt.shape)}${transposeB ? 'ᵀ' : ''}`;
  for (const t of [at, bt]) {
    if (t.rank !== 2 && t.rank !== 3) throw new ShapeError(`matmul: operands must have rank 2 or 3, got ${describe()}.`);
  }
  const [ar, ac] = at.shape.slice(-2);
  const [br, bc] = bt.shape.slice(-2);
  const [M, K] = transposeA ? [ac, ar] : [ar, ac];
  const [K2, N] = transposeB ? [bc, br] : [br, bc];
  if (K !== K2) throw new ShapeError(`matmul: inner dimensions differ (${K} vs ${K2}) for ${describe()}.`);
  const batchA = at.rank === 3 ? at.shape[0] : 1;
  const batchB = bt.rank === 3 ? bt.shape[0] : 1;
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) {
    throw new ShapeError(`matmul: batch sizes differ (${batchA} vs ${batchB}) for ${describe()}.`);
  }
  const bias = opts?.bias === undefined ? undefined : asTensor(opts.bias, 'matmul', 'bias');
  if (bias && bias.size !== N) throw new ShapeError(`matmul: bias ${fmt(bias.shape)} must have N = ${N} elements for ${describe()}.`);
  const activation = opts?.activation ?? null;
  const alpha = opts?.alpha ?? (activation === 'leakyRelu' ? 0.2 : activation === 'elu' ? 1 : 0);
  if (activation !== null && !isFusable(activation, alpha)) {
    throw new InvalidArgumentError(`matmul: activation '${String(activation)}' cannot be fused; use one of ${fusableActivations.join(', ')} (leakyRelu with alpha > 0).`);
  }
  const batch = Math.max(batchA, batchB);
  const outShape = at.rank === 3 || bt.rank === 3 ? [batch, M, N] : [M, N];
  checkBindable('matmul', at.size, bt.size, batch * M * N, bias?.size ?? 0);
  const out = emptyTensor(outShape);
  encodeMatmul(at, bt, out, {
    batch,
    M,
    N,
    K,
    transposeA,
    transposeB,
    aBatchStride: batchA === 1 ? 0 : M * K,
    bBatchStride: batchB === 1 ? 0 : K * N,
  }, bias, activation ? { activation: unaryCodes[activation], alpha } : undefined);
  return emit('matmul', { transposeA, transposeB, bias: !!bias, activation, alpha }, bias ? [at, bt, bias] : [at, bt], out);
}

/**
 * With C = op(A) op(B) and cotangent G:
 *   plain:  dA = G Bᵀ,        dB = Aᵀ G
 *   Aᵀ:     dA = B Gᵀ,        dB = A G
 *   Bᵀ:     dA = G B,         dB = Gᵀ A
 *   Aᵀ Bᵀ:  dA = Bᵀ Gᵀ,       dB = Gᵀ Aᵀ
 * A batch-shared operand gets a per-batch gradient that the tape sums over the batch.
 */
export const matmulVjp: VjpRule<'matmul'> = (ct, { inputs: [a, b], output, needs, params: { transposeA: tA, transposeB: tB, activation, alpha } }) => {
  // A fused activation y = f(z) first turns the cotangent of y into that of z, from y alone.
  const g = activation ? activationGradFromOutput(activation, alpha, output, ct) : ct;
  const da = (): Tensor => {
    if (!tA) return tB ? matmul(g, b) : matmul(g, b, { transposeB: true });
    return tB ? matmul(b, g, { transposeA: true, transposeB: true }) : matmul(b, g, { transposeB: true });
  };
  const db = (): Tensor => {
    if (!tB) return tA ? matmul(a, g) : matmul(a, g, { transposeA: true });
    return tA ? matmul(g, a, { transposeA: true, transposeB: true }) : matmul(g, a, { transposeA: true });
  };
  // The bias was added to every row: its cotangent is G, summed down to its shape by the tape.
  const grads = [needs[0] ? da() : null, needs[1] ? db() : null, ...(needs[2] ? [g] : [])];
  if (g !== ct && !needs[2]) g.dispose();
  return grads;
};
