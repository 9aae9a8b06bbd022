import { InvalidArgumentError } from '../errors';
import { type BinaryCode, binaryCodes, binaryKernel } from '../kernels/binary';
import { checkBindable, MAX_RANK } from '../kernels/kernel';
import { broadcastShapes, broadcastStrides, sameShape, sizeOf } from '../tensor/shape';
import { emptyTensor, type Tensor } from '../tensor/tensor';
import { asTensor, checkOperand, type Operand } from './operand';
import { emit, type VjpRule } from './primitive';
import { log, neg } from './unary';
import { where } from './where';

/**
 * Elementwise binary functions with NumPy broadcasting; codes (src/kernels/binary.ts) select the branch in shaders/binary.wgsl.
 */
export type BinaryOp = BinaryCode;

/** True when `part`, without leading 1s, is the trailing block of `whole` (so it repeats every |part| elements). */
function isTrailingBlock(part: readonly number[], whole: readonly number[]): boolean {
  let start = 0;
  while (start < part.length && part[start] === 1) start++;
  const core = part.slice(start);
  return core.length <= whole.length && core.every((d, i) => d === whole[whole.length - core.length + i]);
}

/** The indexing of shaders/binary.wgsl (LAYOUT) that fits the operand shapes. */
function chooseLayout(a: readonly number[], b: readonly number[], out: readonly number[]): 0 | 1 | 2 | 3 {
  const aFull = sameShape(a, out);
  const bFull = sameShape(b, out);
  if (aFull && bFull) return 0;
  if (aFull && isTrailingBlock(b, out)) return 2;
  if (bFull && isTrailingBlock(a, out)) return 3;
  return 1;
}

/** @internal */
export function binary(op: BinaryOp, a: Operand, b: Operand): Tensor {
  let av = checkOperand(a, op, 'a');
  const bv = checkOperand(b, op, 'b');
  if (typeof av === 'number' && typeof bv === 'number') av = asTensor(av, op, 'a');
  if (typeof av === 'number' || typeof bv === 'number') {
    const t = (typeof av === 'number' ? bv : av) as Tensor;
    const s = (typeof av === 'number' ? av : bv) as number;
    const scalarA = typeof av === 'number';
    checkBindable(op, t.size);
    const out = emptyTensor(t.shape);
    binaryKernel.launch({
      op,
      entry: 'main4',
      constants: { OP: binaryCodes[op], LAYOUT: 0, SCALAR_A: scalarA, SCALAR_B: !scalarA },
      uniforms: { n: t.size, rank: 0, scalar: s, period: 0, shape: [], a_strides: [], b_strides: [] },
      bindings: { a: t, b: t, out },
      groups: binaryKernel.blocks(t.size),
    });
    return emit('binary', scalarA ? { op, scalarA: s } : { op, scalarB: s }, [t], out);
  }
  const shape = broadcastShapes(op, av.shape, bv.shape);
  if (shape.length > MAX_RANK) throw new InvalidArgumentError(`${op}: rank ${shape.length} exceeds the supported ${MAX_RANK}.`);
  checkBindable(op, av.size, bv.size, sizeOf(shape));
  const out = emptyTensor(shape);
  const layout = chooseLayout(av.shape, bv.shape, shape);
  const period = layout === 2 ? bv.size : layout === 3 ? av.size : 0;
  // vec4s where whole vec4s line up: full operands, or a repeating block of a multiple of 4.
  const vec4 = layout === 0 || ((layout === 2 || layout === 3) && period % 4 === 0);
  binaryKernel.launch({
    op,
    entry: vec4 ? 'main4' : 'main',
    constants: { OP: binaryCodes[op], LAYOUT: layout, SCALAR_A: false, SCALAR_B: false },
    uniforms: {
      n: out.size,
      rank: shape.length,
      scalar: 0,
      period,
      shape,
      a_strides: broadcastStrides(av.shape, shape),
      b_strides: broadcastStrides(bv.shape, shape),
    },
    bindings: { a: av, b: bv, out },
    groups: vec4 ? binaryKernel.blocks(out.size) : binaryKernel.threads(out.size),
  });
  return emit('binary', { op }, [av, bv], out);
}

export const add = (a: Operand, b: Operand): Tensor => binary('add', a, b);
export const sub = (a: Operand, b: Operand): Tensor => binary('sub', a, b);
export const mul = (a: Operand, b: Operand): Tensor => binary('mul', a, b);
export const div = (a: Operand, b: Operand): Tensor => binary('div', a, b);
export const maximum = (a: Operand, b: Operand): Tensor => binary('maximum', a, b);
export const minimum = (a: Operand, b: Operand): Tensor => binary('minimum', a, b);
export const greater = (a: Operand, b: Operand): Tensor => binary('greater', a, b);
export const greaterEqual = (a: Operand, b: Operand): Tensor => binary('greaterEqual', a, b);
export const less = (a: Operand, b: Operand): Tensor => binary('less', a, b);
export const lessEqual = (a: Operand, b: Operand): Tensor => binary('lessEqual', a, b);
export const equal = (a: Operand, b: Operand): Tensor => binary('equal', a, b);
/** aᵇ as TensorFlow defines it: a⁰ = 1; a negative base takes integer exponents only (else NaN). */
export const pow = (a: Operand, b: Operand): Tensor => binary('pow', a, b);

/**
 * Cotangents for both operands at the output's shape; the tape sums them down to each operand's
 * own shape (un-broadcasting happens there, once, for every op). Scalar operands get none.
 * @internal
 */
export const binaryVjp: VjpRule<'binary'> = (ct, { inputs, output, params: { op, scalarA, scalarB } }) => {
  const a: Operand = scalarA ?? inputs[0];
  const b: Operand = scalarB ?? inputs[scalarA === undefined ? 1 : 0];
  let da: Tensor | null;
  let db: Tensor | null;
  switch (op) {
    case 'add':
      [da, db] = [ct, ct];
      break;
    case 'sub':
      [da, db] = [ct, neg(ct)];
      break;
    case 'mul': // d(ab) = b da + a db
      [da, db] = [mul(ct, b), mul(ct, a)];
      break;
    case 'div': // d(a/b) = da/b − (a/b²) db = da/b − (out/b) db
      [da, db] = [div(ct, b), neg(div(mul(ct, output), b))];
      break;
    case 'maximum': // the larger operand takes the gradient; ties go to a
      [da, db] = [mul(ct, greaterEqual(a, b)), mul(ct, less(a, b))];
      break;
    case 'minimum':
      [da, db] = [mul(ct, lessEqual(a, b)), mul(ct, greater(a, b))];
      break;
    case 'pow': // d(aᵇ) = b·aᵇ⁻¹ da + aᵇ·log a db, with log a taken as 0 where a ≤ 0 (TensorFlow's rule)
      da = scalarA === undefined ? mul(ct, mul(b, pow(a, typeof b === 'number' ? b - 1 : sub(b, 1)))) : null;
      db = scalarB === undefined ? mul(ct, mul(output, where(greater(a, 0), log(a), 0))) : null;
      break;
    default: // comparisons are flat
      [da, db] = [null, null];
  }
  const grads: Array<Tensor | null> = [];
  if (scalarA === undefined) grads.push(da);
  if (scalarB === undefined) grads.push(db);
  return grads;
};
