import { dispatch, elementwiseGrid, Params } from '../device/kernels';
import { InvalidArgumentError } from '../errors';
import { emptyTensor, type Tensor } from '../tensor/tensor';
import { asTensor, type Operand } from './operand';
import { emit, type VjpRule } from './primitive';

/**
 * Elementwise functions, one table: the code selects the branch in shaders/unary.wgsl (forward)
 * and shaders/unary_grad.wgsl (dx = dy · f'(x), fused). Every activation is an entry here.
 */
export const unaryOps = {
  neg: 0,
  square: 1,
  sqrt: 2,
  exp: 3,
  log: 4,
  abs: 5,
  sign: 6,
  relu: 7,
  leakyRelu: 8,
  elu: 9,
  gelu: 10,
  sigmoid: 11,
  tanh: 12,
  softplus: 13,
  copy: 14,
} as const;

export type UnaryOp = keyof typeof unaryOps;

export function unary(op: UnaryOp, x: Operand, alpha = 0): Tensor {
  const xt = asTensor(x, op);
  if (!Number.isFinite(alpha)) throw new InvalidArgumentError(`${op}: alpha must be finite, got ${alpha}.`);
  const y = emptyTensor(xt.shape);
  dispatch(
    { shader: 'unary', constants: { OP: unaryOps[op] } },
    new Params().u32(xt.size).f32(alpha),
    [xt.buffer(op), y.buffer(op)],
    elementwiseGrid(xt.size),
  );
  return emit('unary', { op, alpha }, [xt], y);
}

/** dx = dy · f'(x), one fused dispatch using the saved input x and output y. */
export const unaryVjp: VjpRule<'unary'> = (ct, { inputs: [x], output: y, params: { op, alpha } }) => {
  if (op === 'sign') return [null];
  return [unaryGrad(op, alpha, x, y, ct)];
};

function unaryGrad(op: UnaryOp, alpha: number, x: Tensor, y: Tensor, ct: Tensor): Tensor {
  const dx = emptyTensor(x.shape);
  dispatch(
    { shader: 'unary_grad', constants: { OP: unaryOps[op] } },
    new Params().u32(x.size).f32(alpha),
    [x.buffer(op), y.buffer(op), ct.buffer(op), dx.buffer(op)],
    elementwiseGrid(x.size),
  );
  return dx;
}

/**
 * Activations whose derivative is a function of the output alone, so a kernel can apply them in
 * its epilogue and keep only the output: relu' = [y > 0], leakyRelu' = α or 1 by the sign of y
 * (α > 0), elu' = y + α or 1, σ' = y(1 − y), tanh' = 1 − y².
 */
export const fusableActivations = ['relu', 'leakyRelu', 'elu', 'sigmoid', 'tanh'] as const;
export type FusableActivation = (typeof fusableActivations)[number];

export function isFusable(op: string, alpha: number): op is FusableActivation {
  return (fusableActivations as readonly string[]).includes(op) && (op !== 'leakyRelu' || alpha > 0);
}

/** dz = dy · f'(z) for y = f(z), from y alone (each f above keeps the sign of z in y). */
export function activationGradFromOutput(op: FusableActivation, alpha: number, y: Tensor, ct: Tensor): Tensor {
  return unaryGrad(op, alpha, y, y, ct);
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
/** A copy in a new buffer. */
export const clone = (x: Operand): Tensor => unary('copy', x);
