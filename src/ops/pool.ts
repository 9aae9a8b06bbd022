// 2-D max and average pooling (NHWC), and their gradients as ops of their own, so that gradients
// of gradients compose.
import { InvalidArgumentError, ShapeError } from '../errors';
import { avgPoolGradKernel, avgPoolKernel, maxPoolGradKernel, maxPoolKernel } from '../kernels/pool';
import { fmt } from '../tensor/shape';
import { emptyTensor, type Tensor } from '../tensor/tensor';
import { gather } from './gather';
import { checkTensor } from './operand';
import { emit, isWatched, type VjpRule } from './primitive';
import { reshape } from './shape_ops';
import { type Padding, paddingOf, pairOf, type WindowGeometry, windowGeometry } from './window';

export interface PoolOptions {
  /** The window, [height, width] or one number for both. */
  poolSize: number | [number, number];
  /** Steps between windows (default: the window's size). */
  strides?: number | [number, number];
  /** 'valid' (the default) or 'same' (output ⌈input / stride⌉; padding is left out of max and mean). */
  padding?: Padding;
}

/** How a pooling op slides over its input: enough, with the input's shape, to run it again. */
export interface PoolSpec {
  poolSize: [number, number];
  strides: [number, number];
  padding: Padding;
}

type PoolDims = WindowGeometry & { batch: number; channels: number };

function specOf(op: string, opts: PoolOptions | undefined): PoolSpec {
  if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError(`${op}: expects options { poolSize, strides?, padding? }.`);
  const poolSize = pairOf(op, 'poolSize', opts.poolSize, [0, 0]);
  return { poolSize, strides: pairOf(op, 'strides', opts.strides, poolSize), padding: paddingOf(op, opts.padding) };
}

function poolDims(op: string, xShape: readonly number[], spec: PoolSpec, describe = `x ${fmt(xShape)}, poolSize [${spec.poolSize.join(',')}]`): PoolDims {
  if (xShape.length !== 4) throw new ShapeError(`${op}: x must have rank 4 [batch, height, width, channels] (or 3 without the batch), got ${describe}.`);
  const [batch, inH, inW, channels] = xShape;
  return { ...windowGeometry(op, describe, [inH, inW], spec.poolSize, spec.strides, [1, 1], spec.padding), batch, channels };
}

function uniformsOf(d: PoolDims) {
  return {
    outputs: d.batch * d.outH * d.outW * d.channels,
    channels: d.channels,
    inH: d.inH,
    inW: d.inW,
    outH: d.outH,
    outW: d.outW,
    poolH: d.kernelH,
    poolW: d.kernelW,
    strideY: d.strideH,
    strideX: d.strideW,
    padTop: d.padTop,
    padLeft: d.padLeft,
  };
}

/** Runs a pooling op on x of rank 4, or of rank 3 (unbatched) through a batch-of-1 view. */
function pooled(op: string, x: unknown, opts: PoolOptions | undefined, run: (x4: Tensor, spec: PoolSpec) => Tensor): Tensor {
  const xt = checkTensor(x, op, 'x', 'float32');
  const spec = specOf(op, opts);
  // Every check runs on the batched shape before the unbatched view is made.
  poolDims(op, xt.rank === 3 ? [1, ...xt.shape] : xt.shape, spec, `x ${fmt(xt.shape)}, poolSize [${spec.poolSize.join(',')}]`);
  if (xt.rank !== 3) return run(xt, spec);
  const x4 = reshape(xt, [1, ...xt.shape]);
  const y4 = run(x4, spec);
  const y = reshape(y4, y4.shape.slice(1));
  x4.dispose();
  y4.dispose();
  return y;
}

/**
 * The largest value of each window, NHWC. Under a tape watching x it also keeps, per output, the
 * flat index into x of the first largest value in the window (row-major, as TensorFlow): the
 * gradient flows there alone.
 */
export function maxPool(x: Tensor, opts: PoolOptions): Tensor {
  return pooled('maxPool', x, opts, (x4, spec) => {
    const d = poolDims('maxPool', x4.shape, spec);
    const y = emptyTensor([d.batch, d.outH, d.outW, d.channels]);
    const recorded = isWatched(x4);
    const argmax = recorded ? emptyTensor(y.shape, 'int32') : null;
    if (y.size > 0) {
      const vec4 = d.channels % 4 === 0;
      maxPoolKernel.launch({
        op: 'maxPool',
        constants: { WITH_ARGMAX: recorded, VEC4: vec4 },
        uniforms: uniformsOf(d),
        bindings: { x: x4, y, argmax },
        groups: maxPoolKernel.threads(vec4 ? y.size / 4 : y.size),
      });
    }
    if (!argmax) return y;
    emit('maxPool', { pool: spec }, [x4, argmax], y);
    argmax.dispose();
    return y;
  });
}

/** The mean of each window over its positions inside x (padding is not counted, as in TensorFlow). */
export function avgPool(x: Tensor, opts: PoolOptions): Tensor {
  return pooled('avgPool', x, opts, (x4, spec) => averageOf(x4, spec));
}

function averageOf(x: Tensor, spec: PoolSpec): Tensor {
  const d = poolDims('avgPool', x.shape, spec);
  const y = emptyTensor([d.batch, d.outH, d.outW, d.channels]);
  if (y.size > 0) {
    avgPoolKernel.launch({ op: 'avgPool', constants: { WITH_ARGMAX: false, VEC4: false }, uniforms: uniformsOf(d), bindings: { x, y }, groups: avgPoolKernel.threads(y.size) });
  }
  return emit('avgPool', { pool: spec }, [x], y);
}

/** dx from dy through the argmax maxPool kept: one pass over dx (an op with its own VJP). */
function maxPoolGrad(dy: Tensor, argmax: Tensor, inputShape: readonly number[], spec: PoolSpec): Tensor {
  const d = poolDims('maxPool (gradient)', inputShape, spec);
  const dx = emptyTensor(inputShape);
  if (dx.size > 0) {
    const disjoint = d.strideH >= d.kernelH && d.strideW >= d.kernelW;
    const vec4 = disjoint && d.channels % 4 === 0;
    maxPoolGradKernel.launch({
      op: 'maxPool',
      constants: { DISJOINT: disjoint, VEC4: vec4 },
      uniforms: uniformsOf(d),
      bindings: { dy, dx, argmax },
      groups: maxPoolGradKernel.threads(vec4 ? dx.size / 4 : dx.size),
    });
  }
  return emit('maxPoolGrad', { pool: spec, inputShape: [...inputShape] }, [dy, argmax], dx);
}

/** dx[i] = Σ over the windows o covering i of dy[o] / |o|: one pass over dx (an op with its own VJP). */
function avgPoolGrad(dy: Tensor, inputShape: readonly number[], spec: PoolSpec): Tensor {
  const d = poolDims('avgPool (gradient)', inputShape, spec);
  const dx = emptyTensor(inputShape);
  if (dx.size > 0) {
    avgPoolGradKernel.launch({ op: 'avgPool', constants: { DISJOINT: false, VEC4: false }, uniforms: uniformsOf(d), bindings: { dy, dx }, groups: avgPoolGradKernel.threads(dx.size) });
  }
  return emit('avgPoolGrad', { pool: spec, inputShape: [...inputShape] }, [dy], dx);
}

/** The cotangent goes to each window's argmax; the argmax itself (an index) gets none. */
export const maxPoolVjp: VjpRule<'maxPool'> = (ct, { inputs: [x, argmax], params: { pool } }) => [maxPoolGrad(ct, argmax, x.shape, pool), null];

/** maxPoolGrad is linear in dy, a scatter through the argmax: its adjoint is the gather ct[argmax]. */
export const maxPoolGradVjp: VjpRule<'maxPoolGrad'> = (ct, { inputs: [, argmax] }) => {
  const flat = reshape(ct, [ct.size]);
  const picked = gather(flat, argmax, 0);
  flat.dispose();
  return [picked, null];
};

export const avgPoolVjp: VjpRule<'avgPool'> = (ct, { inputs: [x], params: { pool } }) => [avgPoolGrad(ct, x.shape, pool)];

/** avgPoolGrad is the adjoint of avgPool, so its own adjoint is avgPool. */
export const avgPoolGradVjp: VjpRule<'avgPoolGrad'> = (ct, { params: { pool } }) => [averageOf(ct, pool)];
