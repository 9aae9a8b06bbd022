import { InvalidArgumentError, ShapeError } from '../errors';
import { checkBindable, MAX_RANK } from '../kernels/kernel';
import { broadcastStrides, fmt, sizeOf } from '../tensor/shape';
import { emptyTensor, type Tensor } from '../tensor/tensor';
import { encodeMatmul } from './matmul_kernel';
import { asTensor, type Operand } from './operand';
import { unaryCodes } from '../kernels/unary';
import { activationGradFromOutput, type FusableActivation, fusableActivations, isFusable } from './unary';
import { emit, type VjpRule } from './primitive';
import { stridedCopy } from './shape_ops';

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
 * C = op(A) · op(B) over the last two dimensions; leading dimensions are batch dimensions that
 * broadcast by NumPy's rules ([b, h, q, d] · [b, h, d, k], or [b, q, d] · [d, k]). Transposed
 * operands are read in place, never copied. An operand whose batch dimensions are those of the
 * result, or all 1s (shared by every batch), is read as it is; one that broadcasts otherwise
 * ([b, 1, m, k] against [b, h, k, n]) is first repeated to the result's batch by one strided copy.
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
    if (t.rank < 2) throw new ShapeError(`matmul: operands must have rank 2 or more, got ${describe()}.`);
    if (t.dtype !== 'float32') throw new InvalidArgumentError(`matmul: operands must be float32, got a ${t.dtype} tensor in ${describe()}.`);
  }
  const [ar, ac] = at.shape.slice(-2);
  const [br, bc] = bt.shape.slice(-2);
  const [M, K] = transposeA ? [ac, ar] : [ar, ac];
  const [K2, N] = transposeB ? [bc, br] : [br, bc];
  if (K !== K2) throw new ShapeError(`matmul: inner dimensions differ (${K} vs ${K2}) for ${describe()}.`);
  const batchA = at.shape.slice(0, -2);
  const batchB = bt.shape.slice(0, -2);
  const batchRank = Math.max(batchA.length, batchB.length);
  const batchShape: number[] = [];
  for (let i = 0; i < batchRank; i++) {
    const da = batchA[batchA.length - batchRank + i] ?? 1;
    const db = batchB[batchB.length - batchRank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new ShapeError(`matmul: batch sizes differ (${fmt(batchA)} vs ${fmt(batchB)}) for ${describe()}.`);
    batchShape.push(da === 1 ? db : da);
  }
  const outRank = batchRank + 2;
  if (outRank > MAX_RANK) throw new ShapeError(`matmul: the result's rank ${outRank} exceeds the supported ${MAX_RANK} for ${describe()}.`);
  const bias = opts?.bias === undefined ? undefined : asTensor(opts.bias, 'matmul', 'bias');
  // The kernel adds bias[n] to column n of every row: a row vector [N] (or [1, N], ...), no more.
  if (bias && !(bias.rank <= outRank && bias.shape.slice(0, -1).every((d) => d === 1) && (bias.shape[bias.rank - 1] ?? 1) === N)) {
    throw new ShapeError(`matmul: bias ${fmt(bias.shape)} must have N = ${N} entries in a row vector ([${N}] or [1,${N}]) for ${describe()}.`);
  }
  const activation = opts?.activation ?? null;
  const alpha = opts?.alpha ?? (activation === 'leakyRelu' ? 0.2 : activation === 'elu' ? 1 : 0);
  if (activation !== null && !isFusable(activation, alpha)) {
    throw new InvalidArgumentError(`matmul: activation '${String(activation)}' cannot be fused; use one of ${fusableActivations.join(', ')} (leakyRelu with alpha > 0).`);
  }
  const batch = sizeOf(batchShape);
  // Sizes as bound: an operand repeated over the batch (see batchOperand) is bound whole.
  const bound = (t: Tensor) => (repeatsOver(t, batchShape) ? batch * t.shape[t.rank - 2] * t.shape[t.rank - 1] : t.size);
  checkBindable('matmul', bound(at), bound(bt), batch * M * N, bias?.size ?? 0);
  const out = emptyTensor([...batchShape, M, N]);
  const lhs = batchOperand(at, batchShape);
  const rhs = batchOperand(bt, batchShape);
  encodeMatmul(lhs.t, rhs.t, out, {
    batch,
    M,
    N,
    K,
    transposeA,
    transposeB,
    aBatchStride: lhs.shared ? 0 : M * K,
    bBatchStride: rhs.shared ? 0 : K * N,
  }, bias, activation ? { activation: unaryCodes[activation], alpha } : undefined);
  if (lhs.t !== at) lhs.t.dispose();
  if (rhs.t !== bt) rhs.t.dispose();
  return emit('matmul', { transposeA, transposeB, bias: !!bias, activation, alpha }, bias ? [at, bt, bias] : [at, bt], out);
}

/**
 * An operand as the kernel reads it: one matrix shared by every batch, a matrix per batch of the
 * result, or (when its batch dimensions broadcast some but not all) a copy repeated to the result's.
 */
function batchOperand(t: Tensor, batchShape: readonly number[]): { t: Tensor; shared: boolean } {
  if (sizeOf(t.shape.slice(0, -2)) === 1) return { t, shared: true };
  if (!repeatsOver(t, batchShape)) return { t, shared: false };
  const full = [...batchShape, ...t.shape.slice(-2)];
  return { t: stridedCopy('matmul', t, full, broadcastStrides(t.shape, full)), shared: false };
}

/** Whether `t`'s batch dimensions broadcast only partly against `batchShape`, so it must be repeated. */
function repeatsOver(t: Tensor, batchShape: readonly number[]): boolean {
  const own = t.shape.slice(0, -2);
  if (sizeOf(own) === 1) return false;
  const lead = batchShape.length - own.length;
  return !(own.every((d, i) => d === batchShape[lead + i]) && batchShape.slice(0, lead).every((d) => d === 1));
}

/**
 * With C = op(A) op(B) and cotangent G:
 *   plain:  dA = G Bᵀ,        dB = Aᵀ G
 *   Aᵀ:     dA = B Gᵀ,        dB = A G
 *   Bᵀ:     dA = G B,         dB = Gᵀ A
 *   Aᵀ Bᵀ:  dA = Bᵀ Gᵀ,       dB = Gᵀ Aᵀ
 * An operand that was broadcast over batch dimensions gets a per-batch gradient, which the tape
 * sums back to its shape.
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
