import { engine } from '../device/engine';
import { InvalidArgumentError } from '../errors';
import { checkBindable, grid } from '../kernels/kernel';
import { reduceKernel } from '../kernels/shape';
import { normalizeAxes, type Shape, sameShape, sizeOf, stridesOf } from '../tensor/shape';
import { emptyTensor, type Tensor } from '../tensor/tensor';
import { mul, equal } from './binary';
import { asTensor, type Operand } from './operand';
import { emit, type VjpRule } from './primitive';
import { broadcastTo, reshape, stridedCopy } from './shape_ops';

type ReduceOp = 'sum' | 'max';

/** Output shape of reducing `axes` of `shape`, keeping them as 1s or dropping them. */
function reducedShape(shape: Shape, axes: number[], keepDims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepDims) out.push(1);
  });
  return out;
}

/**
 * Reduces `axes` of `x` into a new tensor. Contiguous axes are read in place as [outer, R, inner];
 * scattered ones are first gathered to the end by a strided copy.
 */
function encodeReduce(op: ReduceOp, x: Tensor, axes: number[]): Tensor {
  const outShape = reducedShape(x.shape, axes, false);
  const out = emptyTensor(outShape);
  let src = x;
  let outer: number;
  let r: number;
  let inner: number;
  const contiguous = axes.length === 0 || axes[axes.length - 1] - axes[0] === axes.length - 1;
  if (contiguous) {
    const first = axes.length ? axes[0] : x.rank;
    const last = axes.length ? axes[axes.length - 1] : x.rank - 1;
    outer = sizeOf(x.shape.slice(0, first));
    r = sizeOf(x.shape.slice(first, last + 1));
    inner = sizeOf(x.shape.slice(last + 1));
  } else {
    const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    const perm = [...kept, ...axes];
    const s = stridesOf(x.shape);
    src = stridedCopy('reduce', x, perm.map((d) => x.shape[d]), perm.map((d) => s[d]));
    outer = sizeOf(kept.map((d) => x.shape[d]));
    r = sizeOf(axes.map((d) => x.shape[d]));
    inner = 1;
  }
  const outputs = outer * inner;
  // Few outputs over a long axis: a workgroup per output; otherwise an invocation per output. On
  // SwiftShader, whose barriers are coroutine switches, only below 16 outputs: the column sums of
  // a bias gradient ([1024, 64] → [64]) took 22 ms through the tree, 0.7 ms one invocation each.
  const wide = outputs < (engine().info.isSwiftShader ? 16 : 256) && r >= 256;
  reduceKernel.launch({
    op,
    entry: wide ? 'wide' : 'main',
    constants: { OP: op === 'sum' ? 0 : 1 },
    uniforms: { outer, r, inner },
    bindings: { x: src, y: out },
    groups: wide ? grid(outputs) : reduceKernel.threads(outputs),
  });
  if (src !== x) src.dispose();
  return out;
}

/** The axes, normalised; naming one twice (also as a negative index) is an error, as in TensorFlow. */
function distinctAxes(op: string, axis: number | readonly number[] | undefined, rank: number): number[] {
  const axes = normalizeAxes(op, axis, rank);
  if (Array.isArray(axis) && axes.length !== axis.length) {
    throw new InvalidArgumentError(`${op}: axes [${axis.join(',')}] name an axis of a rank-${rank} tensor more than once.`);
  }
  return axes;
}

function reduce(op: ReduceOp, x: Operand, axis: number | readonly number[] | undefined, keepDims: boolean): Tensor {
  const xt = asTensor(x, op);
  if (typeof keepDims !== 'boolean') throw new InvalidArgumentError(`${op}: keepDims must be a boolean.`);
  const axes = distinctAxes(op, axis, xt.rank);
  if (op === 'max' && axes.some((a) => xt.shape[a] === 0)) {
    throw new InvalidArgumentError(`max: cannot reduce an empty axis of shape [${xt.shape.join(',')}].`);
  }
  // The result, and the gathered copy of scattered axes, are no larger than x.
  checkBindable(op, xt.size);
  const raw = encodeReduce(op, xt, axes);
  const shape = reducedShape(xt.shape, axes, keepDims);
  const out = keepDims ? raw.view(shape) : raw;
  if (out !== raw) raw.dispose();
  return emit(op, { axes, keepDims }, [xt], out);
}

export const sum = (x: Operand, axis?: number | readonly number[], keepDims = false): Tensor => reduce('sum', x, axis, keepDims);
export const max = (x: Operand, axis?: number | readonly number[], keepDims = false): Tensor => reduce('max', x, axis, keepDims);

/** Mean over `axis` (all by default): the sum times 1/count. */
export function mean(x: Operand, axis?: number | readonly number[], keepDims = false): Tensor {
  const xt = asTensor(x, 'mean');
  checkBindable('mean', xt.size);
  const axes = distinctAxes('mean', axis, xt.rank);
  const count = sizeOf(axes.map((a) => xt.shape[a]));
  const s = sum(xt, axes, keepDims);
  const m = mul(s, 1 / count);
  s.dispose();
  return m;
}

/** The cotangent at the input's shape: re-insert reduced axes as 1s, then repeat. */
function spread(ct: Tensor, x: Tensor, axes: number[]): Tensor {
  const kept = reshape(ct, reducedShape(x.shape, axes, true));
  return broadcastTo(kept, x.shape);
}

export const sumVjp: VjpRule<'sum'> = (ct, { inputs: [x], params: { axes } }) => [spread(ct, x, axes)];

/** Every position that attains the maximum receives the gradient (as in TensorFlow). */
export const maxVjp: VjpRule<'max'> = (ct, { inputs: [x], output, params: { axes } }) => {
  const mask = equal(x, reshape(output, reducedShape(x.shape, axes, true)));
  return [mul(mask, spread(ct, x, axes))];
};

/**
 * Sums `t` down to `shape`, undoing NumPy broadcasting: leading extra axes and axes where
 * `shape` has 1 are summed. Every VJP's cotangent passes through here once, in the tape.
 */
export function sumTo(t: Tensor, shape: Shape): Tensor {
  if (sameShape(t.shape, shape)) return t;
  const lead = t.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < t.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && t.shape[i] !== 1)) axes.push(i);
  }
  const s = sum(t, axes, true);
  const out = reshape(s, shape);
  s.dispose();
  return out;
}
