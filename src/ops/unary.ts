import { InvalidArgumentError } from '../errors';
import { checkBindable } from '../kernels/kernel';
import { type UnaryCode, unaryCodes, unaryGradKernel, unaryKernel } from '../kernels/unary';
import { emptyTensor, type Tensor } from '../tensor/tensor';
import { asTensor, type Operand } from './operand';
import { emit, type VjpRule } from './primitive';

/**
 * Elementwise functions, one table (src/kernels/unary.ts): f and f' of each are written once, in
 * shaders/unary_math.wgsl, and its code selects them in the forward kernel, the fused gradient
 * kernel (dx = dy · f'(x)) and the matmul epilogues. Every activation is an entry there.
 */
export type UnaryOp = UnaryCode;

/**
 * y = f(x); `alpha` and `beta` are the function's parameters (slopes, scales, bounds).
 * @internal
 */
export function unary(op: UnaryOp, x: Operand, alpha = 0, beta = 0): Tensor {
  const xt = asTensor(x, op);
  if (!Number.isFinite(alpha) || !Number.isFinite(beta)) throw new InvalidArgumentError(`${op}: parameters must be finite, got ${alpha} and ${beta}.`);
  checkBindable(op, xt.size);
  const y = emptyTensor(xt.shape);
  unaryKernel.launch({
    op,
    constants: { OP: unaryCodes[op] },
    uniforms: { n: xt.size, alpha, beta },
    bindings: { x: xt, y },
    groups: unaryKernel.blocks(xt.size),
  });
  return emit('unary', { op, alpha, beta }, [xt], y);
}

/**
 * dx = dy · f'(x), one fused dispatch using the saved input x and output y.
 * @internal
 */
export const unaryVjp: VjpRule<'unary'> = (ct, { inputs: [x], output: y, params: { op, alpha, beta } }) => {
  if (op === 'sign') return [null];
  return [unaryGrad(op, alpha, beta, x, y, ct)];
};

function unaryGrad(op: UnaryOp, alpha: number, beta: number, x: Tensor, y: Tensor, ct: Tensor): Tensor {
  checkBindable(op, x.size);
  const dx = emptyTensor(x.shape);
  unaryGradKernel.launch({
    op,
    constants: { OP: unaryCodes[op] },
    uniforms: { n: x.size, alpha, beta },
    bindings: { x, y, dy: ct, dx },
    groups: unaryGradKernel.blocks(x.size),
  });
  return dx;
}

/**
 * Activations whose derivative is a function of the output alone, so a kernel can apply them in
 * its epilogue and keep only the output: relu' = [y > 0], leakyRelu' = α or 1 by the sign of y
 * (α > 0), elu' = y + α or 1, σ' = y(1 − y), tanh' = 1 − y².
 */
export const fusableActivations = ['relu', 'leakyRelu', 'elu', 'sigmoid', 'tanh'] as const;
export type FusableActivation = (typeof fusableActivations)[number];

/** @internal */
export function isFusable(op: string, alpha: number): op is FusableActivation {
  return (fusableActivations as readonly string[]).includes(op) && (op !== 'leakyRelu' || alpha > 0);
}

/**
 * dz = dy · f'(z) for y = f(z), from y alone (each f above keeps the sign of z in y).
 * @internal
 */
export function activationGradFromOutput(op: FusableActivation, alpha: number, y: Tensor, ct: Tensor): Tensor {
  return unaryGrad(op, alpha, 0, y, y, ct);
}

export const neg = (x: Operand): Tensor => unary('neg', x);
export const square = (x: Operand): Tensor => unary('square', x);
export const sqrt = (x: Operand): Tensor => unary('sqrt', x);
export const exp = (x: Operand): Tensor => unary('exp', x);
export const log = (x: Operand): Tensor => unary('log', x);
export const abs = (x: Operand): Tensor => unary('abs', x);
export const sign = (x: Operand): Tensor => unary('sign', x);
export const relu = (x: Operand): Tensor => unary('relu', x);
export const leakyRelu = (x: Operand, alpha = 0.2): Tensor => unary('leakyRelu', x, alpha);
export const elu = (x: Operand, alpha = 1): Tensor => unary('elu', x, alpha);
export const gelu = (x: Operand): Tensor => unary('gelu', x);
export const sigmoid = (x: Operand): Tensor => unary('sigmoid', x);
export const tanh = (x: Operand): Tensor => unary('tanh', x);
export const softplus = (x: Operand): Tensor => unary('softplus', x);
/** 1/√x. */
export const rsqrt = (x: Operand): Tensor => unary('rsqrt', x);
/** x limited to [lo, hi]; the gradient flows where lo ≤ x ≤ hi (TensorFlow's rule). */
export function clipByValue(x: Operand, lo: number, hi: number): Tensor {
  if (typeof lo !== 'number' || typeof hi !== 'number' || !(lo <= hi)) {
    throw new InvalidArgumentError(`clipByValue: needs numbers lo ≤ hi, got ${String(lo)} and ${String(hi)}.`);
  }
  return unary('clipByValue', x, lo, hi);
}
/** A copy in a new buffer. */
export const clone = (x: Operand): Tensor => unary('copy', x);
