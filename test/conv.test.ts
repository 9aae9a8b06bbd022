// Convolutions (NHWC) against TensorFlow.js's CPU backend: forward, input gradient and filter
// gradient across strides, dilations, paddings, odd sizes and 1×1 kernels, on both kernel
// families (the register-tiled implicit GEMM and the plain one-output-per-invocation kernel).
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../src';
import { forceConvKernel } from '../src/ops/conv_kernel';
import { checkGradients, expectClose, randomArray } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Pair = [number, number];
interface Case {
  x: [number, number, number, number];
  f: [number, number, number, number];
  strides: number | Pair;
  dilations: number | Pair;
  padding: 'valid' | 'same';
}

const pair = (v: number | Pair): Pair => (typeof v === 'number' ? [v, v] : v);
const label = (c: Case) => `x [${c.x}] filter [${c.f}] strides ${pair(c.strides).join('×')} dilations ${pair(c.dilations).join('×')} '${c.padding}'`;

const conv2dCases: Case[] = [
  { x: [2, 5, 7, 3], f: [3, 3, 3, 4], strides: 1, dilations: 1, padding: 'valid' }, // odd sizes, 3 channels (one loop over K)
  { x: [1, 7, 6, 9], f: [3, 3, 9, 5], strides: 2, dilations: 1, padding: 'same' }, // odd height: the extra row goes at the bottom
  { x: [2, 6, 5, 2], f: [2, 2, 2, 3], strides: 1, dilations: 1, padding: 'same' }, // even kernel: all padding at the bottom and right
  { x: [1, 9, 9, 4], f: [1, 1, 4, 17], strides: 2, dilations: 1, padding: 'valid' }, // 1×1 kernel, strided
  { x: [2, 4, 4, 8], f: [1, 1, 8, 8], strides: 1, dilations: 1, padding: 'same' }, // 1×1 kernel, unit stride
  { x: [1, 8, 7, 3], f: [3, 2, 3, 6], strides: [1, 2], dilations: 1, padding: 'same' }, // unequal strides and kernel sides
  { x: [2, 7, 7, 2], f: [3, 3, 2, 33], strides: 1, dilations: 2, padding: 'same' }, // dilated; 33 output channels (a ragged edge)
  { x: [1, 9, 6, 10], f: [2, 3, 10, 4], strides: 1, dilations: [3, 1], padding: 'valid' }, // dilated along one axis
  { x: [1, 3, 3, 1], f: [3, 3, 1, 1], strides: 1, dilations: 1, padding: 'valid' }, // window as large as the input
  { x: [4, 12, 12, 5], f: [3, 3, 5, 6], strides: 1, dilations: 1, padding: 'same' }, // a batch long enough to split the filter gradient
  { x: [2, 10, 9, 7], f: [3, 3, 7, 70], strides: 1, dilations: 1, padding: 'same' }, // several 64 × 64 tiles of C, ragged in M, N and K
];

/**
 * TensorFlow.js's conv2d (which cannot differentiate dilated convolutions) on a filter spread out
 * with zeros between its taps: the same function of x and of the taps. Returns y, dx and dF.
 */
function tfConv2d(c: Case, x: Float32Array, f: Float32Array, dy: Float32Array): { y: Float32Array; dx: Float32Array; df: Float32Array } {
  const [kh, kw, ci, co] = c.f;
  const [dh, dw] = pair(c.dilations);
  const [eh, ew] = [(kh - 1) * dh + 1, (kw - 1) * dw + 1];
  const spread = new Float32Array(eh * ew * ci * co);
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      for (let k = 0; k < ci * co; k++) spread[((ky * dh) * ew + kx * dw) * ci * co + k] = f[(ky * kw + kx) * ci * co + k];
    }
  }
  const fn = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.conv2d(a, b, pair(c.strides), c.padding);
  const xt = tf.tensor4d(x, c.x);
  const ft = tf.tensor4d(spread, [eh, ew, ci, co]);
  const y = fn(xt, ft);
  const [dx, dSpread] = tf.grads(fn as (...t: tf.Tensor[]) => tf.Tensor)([xt, ft], tf.tensor(dy, y.shape));
  const ds = dSpread.dataSync();
  const df = new Float32Array(f.length);
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      for (let k = 0; k < ci * co; k++) df[(ky * kw + kx) * ci * co + k] = ds[((ky * dh) * ew + kx * dw) * ci * co + k];
    }
  }
  return { y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array, df };
}

/** y and the gradients of Σ y·dy with respect to x and the filter, from webgrad. */
async function wgConv(run: (x: wg.Tensor, f: wg.Tensor) => wg.Tensor, c: { x: number[]; f: number[] }, x: Float32Array, f: Float32Array, dyOf: (shape: number[]) => Float32Array) {
  const xt = wg.tensor(x, c.x);
  const ft = wg.tensor(f, c.f);
  const tape = new wg.GradientTape();
  tape.watch([xt, ft]);
  const y = tape.record(() => run(xt, ft));
  const dyValues = dyOf([...y.shape]);
  const [dx, df] = tape.gradient(y, [xt, ft], wg.tensor(dyValues, [...y.shape]));
  const out = { shape: [...y.shape], y: await y.data(), dx: await dx!.data(), df: await df!.data(), dy: dyValues };
  for (const t of [xt, ft, y, dx, df]) t?.dispose();
  return out;
}

/** Sums of K products of values in [-1, 1]: float32 error grows like √K ulp. */
const tolerance = (terms: number) => 2e-6 * Math.sqrt(terms) * 8;

for (const kernel of ['register', 'tiled', 'direct'] as const) {
  describe(`conv2d (${kernel} kernels) against TensorFlow.js`, () => {
    beforeAll(() => forceConvKernel(kernel));
    afterAll(() => forceConvKernel(undefined));

    for (const [i, c] of conv2dCases.entries()) {
      it(`${label(c)}: y, dx and dF`, async () => {
        const x = randomArray(c.x.reduce((a, b) => a * b), 10 + i);
        const f = randomArray(c.f.reduce((a, b) => a * b), 20 + i);
        const ours = await wgConv((xt, ft) => wg.conv2d(xt, ft, { strides: c.strides, dilations: c.dilations, padding: c.padding }), c, x, f, (shape) =>
          randomArray(shape.reduce((a, b) => a * b), 30 + i));
        const theirs = tfConv2d(c, x, f, ours.dy);
        const [kh, kw, ci, co] = c.f;
        expect(ours.shape).toEqual(tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.f) as tf.Tensor4D, pair(c.strides), c.padding, 'NHWC', pair(c.dilations)).shape);
        expectClose(ours.y, theirs.y, 1e-5, tolerance(kh * kw * ci));
        expectClose(ours.dx, theirs.dx, 1e-5, tolerance(kh * kw * co));
        expectClose(ours.df, theirs.df, 1e-5, tolerance(ours.y.length / co));
      });
    }

    it('bias and a fused activation (relu, leakyRelu, elu, sigmoid, tanh): y and every gradient', async () => {
      const c: Case = { x: [2, 6, 5, 3], f: [3, 3, 3, 5], strides: 1, dilations: 1, padding: 'same' };
      const x = randomArray(2 * 6 * 5 * 3, 1);
      const f = randomArray(3 * 3 * 3 * 5, 2);
      const b = randomArray(5, 3);
      for (const activation of ['relu', 'leakyRelu', 'elu', 'sigmoid', 'tanh'] as const) {
        const xt = wg.tensor(x, c.x);
        const ft = wg.tensor(f, c.f);
        const bt = wg.tensor(b, [5]);
        const tape = new wg.GradientTape();
        tape.watch([xt, ft, bt]);
        const y = tape.record(() => wg.conv2d(xt, ft, { padding: 'same', bias: bt, activation, alpha: activation === 'leakyRelu' ? 0.1 : undefined }));
        const dy = randomArray(y.size, 4);
        const grads = tape.gradient(y, [xt, ft, bt], wg.tensor(dy, [...y.shape]));
        const act = (t: tf.Tensor) => (activation === 'leakyRelu' ? tf.leakyRelu(t, 0.1) : tf[activation](t));
        const fn = (a: tf.Tensor4D, w: tf.Tensor4D, bias: tf.Tensor1D) => act(tf.add(tf.conv2d(a, w, 1, 'same'), bias));
        const inputs = [tf.tensor4d(x, c.x), tf.tensor4d(f, c.f), tf.tensor1d(b)] as const;
        expectClose(await y.data(), fn(...inputs).dataSync(), 1e-5, 1e-5);
        const theirs = tf.grads(fn as (...t: tf.Tensor[]) => tf.Tensor)([...inputs], tf.tensor(dy, [...y.shape]));
        for (let k = 0; k < 3; k++) expectClose(await grads[k]!.data(), theirs[k].dataSync(), 1e-4, 1e-5);
      }
    });

    it('an unbatched rank-3 x gives a rank-3 y', async () => {
      const x = randomArray(5 * 4 * 2, 5);
      const f = randomArray(2 * 2 * 2 * 3, 6);
      const y = wg.conv2d(wg.tensor(x, [5, 4, 2]), wg.tensor(f, [2, 2, 2, 3]), { padding: 'same' });
      const ty = tf.conv2d(tf.tensor3d(x, [5, 4, 2]), tf.tensor4d(f, [2, 2, 2, 3]), 1, 'same');
      expect(y.shape).toEqual(ty.shape);
      expectClose(await y.data(), ty.dataSync(), 1e-5, 1e-5);
    });
  });
}

describe('conv1d against TensorFlow.js', () => {
  const cases: Array<{ x: [number, number, number]; f: [number, number, number]; stride: number; dilation: number; padding: 'valid' | 'same' }> = [
    { x: [2, 11, 3], f: [3, 3, 4], stride: 1, dilation: 1, padding: 'valid' },
    { x: [3, 10, 2], f: [4, 2, 5], stride: 2, dilation: 1, padding: 'same' },
    { x: [1, 13, 9], f: [1, 9, 2], stride: 3, dilation: 1, padding: 'valid' },
  ];
  for (const [i, c] of cases.entries()) {
    it(`x [${c.x}] filter [${c.f}] stride ${c.stride} '${c.padding}': y, dx and dF`, async () => {
      const x = randomArray(c.x.reduce((a, b) => a * b), 40 + i);
      const f = randomArray(c.f.reduce((a, b) => a * b), 50 + i);
      const ours = await wgConv((xt, ft) => wg.conv1d(xt, ft, { stride: c.stride, padding: c.padding }), c, x, f, (shape) => randomArray(shape.reduce((a, b) => a * b), 60 + i));
      const fn = (a: tf.Tensor3D, b: tf.Tensor3D) => tf.conv1d(a, b, c.stride, c.padding);
      const inputs = [tf.tensor3d(x, c.x), tf.tensor3d(f, c.f)] as const;
      const y = fn(...inputs);
      expect(ours.shape).toEqual(y.shape);
      const [dx, df] = tf.grads(fn as (...t: tf.Tensor[]) => tf.Tensor)([...inputs], tf.tensor(ours.dy, y.shape));
      expectClose(ours.y, y.dataSync(), 1e-5, 1e-5);
      expectClose(ours.dx, dx.dataSync(), 1e-5, 1e-5);
      expectClose(ours.df, df.dataSync(), 1e-5, 1e-5);
    });
  }

  it('dilation 2 matches TensorFlow.js forward, and its gradients match central differences', async () => {
    const x = randomArray(2 * 9 * 2, 70);
    const f = randomArray(3 * 2 * 3, 71);
    const y = wg.conv1d(wg.tensor(x, [2, 9, 2]), wg.tensor(f, [3, 2, 3]), { dilation: 2, padding: 'same' });
    const ty = tf.conv1d(tf.tensor3d(x, [2, 9, 2]), tf.tensor3d(f, [3, 2, 3]), 1, 'same', 'NWC', 2);
    expect(y.shape).toEqual(ty.shape);
    expectClose(await y.data(), ty.dataSync(), 1e-5, 1e-5);
    const w = randomArray(ty.size, 72);
    await checkGradients((xt, ft, wt) => wg.sum(wg.mul(wg.conv1d(xt, ft, { dilation: 2, padding: 'same' }), wt)), [x, f, w], [[2, 9, 2], [3, 2, 3], [...ty.shape]]);
  });
});

describe('depthwiseConv2d against TensorFlow.js', () => {
  const cases: Case[] = [
    { x: [2, 6, 5, 3], f: [3, 3, 3, 1], strides: 1, dilations: 1, padding: 'same' },
    { x: [1, 7, 7, 2], f: [3, 2, 2, 3], strides: 2, dilations: 1, padding: 'valid' }, // channel multiplier 3
    { x: [2, 5, 6, 4], f: [1, 1, 4, 2], strides: [2, 1], dilations: 1, padding: 'same' },
    { x: [1, 8, 8, 2], f: [2, 3, 2, 2], strides: 1, dilations: 2, padding: 'same' },
    { x: [3, 12, 12, 2], f: [3, 3, 2, 2], strides: 1, dilations: 1, padding: 'valid' }, // long enough to split the filter gradient
  ];
  for (const [i, c] of cases.entries()) {
    it(`${label(c)}: y, dx and dF`, async () => {
      const x = randomArray(c.x.reduce((a, b) => a * b), 80 + i);
      const f = randomArray(c.f.reduce((a, b) => a * b), 90 + i);
      const opts = { strides: c.strides, dilations: c.dilations, padding: c.padding };
      const ours = await wgConv((xt, ft) => wg.depthwiseConv2d(xt, ft, opts), c, x, f, (shape) => randomArray(shape.reduce((a, b) => a * b), 100 + i));
      const fn = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.depthwiseConv2d(a, b, pair(c.strides), c.padding, 'NHWC', pair(c.dilations));
      const inputs = [tf.tensor4d(x, c.x), tf.tensor4d(f, c.f)] as const;
      const y = fn(...inputs);
      expect(ours.shape).toEqual(y.shape);
      expectClose(ours.y, y.dataSync(), 1e-5, 1e-5);
      if (Math.max(...pair(c.dilations)) > 1) {
        // TensorFlow.js cannot differentiate dilated depthwise convolutions: central differences instead.
        const w = randomArray(y.size, 110 + i);
        await checkGradients((xt, ft, wt) => wg.sum(wg.mul(wg.depthwiseConv2d(xt, ft, opts), wt)), [x, f, w], [c.x, c.f, [...y.shape]]);
        return;
      }
      const [dx, df] = tf.grads(fn as (...t: tf.Tensor[]) => tf.Tensor)([...inputs], tf.tensor(ours.dy, y.shape));
      expectClose(ours.dx, dx.dataSync(), 1e-5, 1e-5);
      expectClose(ours.df, df.dataSync(), 1e-5, 1e-5);
    });
  }

  it('bias and a fused relu', async () => {
    const x = randomArray(2 * 5 * 5 * 3, 120);
    const f = randomArray(3 * 3 * 3 * 2, 121);
    const b = randomArray(6, 122);
    const y = wg.depthwiseConv2d(wg.tensor(x, [2, 5, 5, 3]), wg.tensor(f, [3, 3, 3, 2]), { padding: 'same', bias: wg.tensor(b, [6]), activation: 'relu' });
    const ty = tf.relu(tf.add(tf.depthwiseConv2d(tf.tensor4d(x, [2, 5, 5, 3]), tf.tensor4d(f, [3, 3, 3, 2]), 1, 'same'), tf.tensor1d(b)));
    expectClose(await y.data(), ty.dataSync(), 1e-5, 1e-5);
  });
});

describe('gradients of gradients (the backprop ops differentiate too)', () => {
  it('conv2d with a fused tanh: d/d(x, filter, w) of |∂⟨conv(x, F), w⟩/∂F|² and of |∂/∂x|² match central differences', async () => {
    const opts = { padding: 'same' as const, strides: 2, activation: 'tanh' as const };
    for (const wrt of [1, 0]) {
      const f = (x: wg.Tensor, filter: wg.Tensor, w: wg.Tensor) => {
        const inner = new wg.GradientTape();
        inner.watch([x, filter]);
        const y = inner.record(() => wg.sum(wg.mul(wg.conv2d(x, filter, opts), w)));
        const g = inner.gradient(y, [x, filter])[wrt]!;
        return wg.sum(wg.square(g));
      };
      await checkGradients(f, [randomArray(1 * 5 * 5 * 2, 130), randomArray(3 * 3 * 2 * 3, 131), randomArray(3 * 3 * 3, 132)], [[1, 5, 5, 2], [3, 3, 2, 3], [1, 3, 3, 3]]);
    }
  });

  it('depthwiseConv2d: d/d(x, filter, w) of |∂⟨conv(x, F), w⟩/∂F|² matches central differences', async () => {
    const f = (x: wg.Tensor, filter: wg.Tensor, w: wg.Tensor) => {
      const inner = new wg.GradientTape();
      inner.watch([x, filter]);
      const y = inner.record(() => wg.sum(wg.mul(wg.depthwiseConv2d(x, filter, { padding: 'same' }), w)));
      return wg.sum(wg.square(inner.gradient(y, [x, filter])[1]!));
    };
    await checkGradients(f, [randomArray(1 * 4 * 4 * 2, 140), randomArray(2 * 2 * 2 * 2, 141), randomArray(4 * 4 * 4, 142)], [[1, 4, 4, 2], [2, 2, 2, 2], [1, 4, 4, 4]]);
  });
});

describe('typed errors before any GPU work, leaving no tensor behind', () => {
  const z = (...shape: number[]) => wg.zeros(shape);
  const cases: Array<[string, (t: typeof z) => unknown, new (...a: never[]) => Error, RegExp]> = [
    ['mismatched channels', (t) => wg.conv2d(t(1, 5, 5, 3), t(3, 3, 4, 2)), wg.ShapeError, /conv2d: x has 3 channels but the filter expects 4 \(x \[1,5,5,3\], filter \[3,3,4,2\]\)/],
    ['x of rank 2', (t) => wg.conv2d(t(5, 5), t(3, 3, 1, 1)), wg.ShapeError, /conv2d: x must have rank 4 .*x \[5,5\]/],
    ['a filter of rank 3', (t) => wg.conv2d(t(1, 5, 5, 3), t(3, 3, 3)), wg.ShapeError, /conv2d: the filter must have rank 4 .*filter \[3,3,3\]/],
    ['a window larger than a valid input', (t) => wg.conv2d(t(1, 2, 4, 1), t(3, 3, 1, 1)), wg.ShapeError, /conv2d: the 3×3 window is larger than the 2×4 input with padding 'valid' \(x \[1,2,4,1\], filter \[3,3,1,1\]\)/],
    ['a dilated window larger than a valid input', (t) => wg.conv2d(t(1, 5, 5, 3), t(2, 2, 3, 1), { dilations: 5 }), wg.ShapeError, /the 2×2 window \(6×6 dilated\) is larger than the 5×5 input/],
    ['an unbatched x with a window too large', (t) => wg.conv2d(t(2, 4, 1), t(3, 3, 1, 1)), wg.ShapeError, /conv2d: the 3×3 window is larger than the 2×4 input .*x \[2,4,1\]/],
    ['strides and dilations both above 1', (t) => wg.conv2d(t(1, 5, 5, 3), t(2, 2, 3, 1), { strides: 2, dilations: 2 }), wg.InvalidArgumentError, /cannot both exceed 1/],
    ['a zero stride', (t) => wg.conv2d(t(1, 5, 5, 3), t(2, 2, 3, 1), { strides: [1, 0] }), wg.InvalidArgumentError, /strides must be a positive integer or a pair/],
    ['an unknown padding', (t) => wg.conv2d(t(1, 5, 5, 3), t(2, 2, 3, 1), { padding: 'causal' as 'same' }), wg.InvalidArgumentError, /padding must be 'valid' or 'same'/],
    ['a bias of the wrong length', (t) => wg.conv2d(t(1, 5, 5, 3), t(2, 2, 3, 4), { bias: t(3) }), wg.ShapeError, /bias \[3\] must have one entry per output channel \(\[4\]\)/],
    ['an unbatched x with a bias of the wrong length', (t) => wg.conv2d(t(5, 5, 3), t(2, 2, 3, 4), { bias: t(3) }), wg.ShapeError, /bias \[3\] must have one entry per output channel/],
    ['an activation that cannot be fused', (t) => wg.conv2d(t(1, 5, 5, 3), t(2, 2, 3, 4), { activation: 'softmax' as 'relu' }), wg.InvalidArgumentError, /cannot be fused/],
    ['conv1d with mismatched channels', (t) => wg.conv1d(t(2, 7, 3), t(3, 2, 4)), wg.ShapeError, /conv1d: x has 3 channels but the filter expects 2 \(x \[2,7,3\], filter \[3,2,4\]\)/],
    ['conv1d with a window longer than a valid input', (t) => wg.conv1d(t(2, 3, 1), t(2, 1, 1), { dilation: 3 }), wg.ShapeError, /conv1d: the filter spans 4 steps, more than the input's 3/],
    ['conv1d of rank 4', (t) => wg.conv1d(t(1, 2, 7, 3), t(3, 3, 4)), wg.ShapeError, /conv1d: x must have rank 3/],
    ['conv1d with a bias of the wrong length', (t) => wg.conv1d(t(2, 7, 3), t(3, 3, 4), { bias: t(5) }), wg.ShapeError, /conv1d: bias \[5\] must have one entry per output channel \(\[4\]\) for x \[2,7,3\], filter \[3,3,4\]/],
    ['depthwiseConv2d with mismatched channels', (t) => wg.depthwiseConv2d(t(1, 5, 5, 3), t(3, 3, 2, 1)), wg.ShapeError, /depthwiseConv2d: x has 3 channels but the filter expects 2/],
  ];
  for (const [what, run, type, message] of cases) {
    it(`${what}: ${type.name}`, () => {
      // A first attempt makes the inputs; the counted one reuses them (arguments are made before the call).
      const made: wg.Tensor[] = [];
      expect(() => run((...shape) => made[made.push(z(...shape)) - 1])).toThrowError(type);
      let next = 0;
      const before = wg.memory();
      expect(() => run(() => made[next++])).toThrowError(message);
      const after = wg.memory();
      expect(after.numDispatches).toBe(before.numDispatches);
      expect(after.numTensors).toBe(before.numTensors);
      for (const t of made) t.dispose();
    });
  }

  it('int32 inputs to convolutions and pooling: an InvalidArgumentError naming the argument, and no output left behind', () => {
    const int = (...shape: number[]) => wg.tensor(new Int32Array(shape.reduce((a, b) => a * b, 1)), shape, 'int32');
    const [xi, fi, bi] = [int(1, 5, 5, 3), int(3, 3, 3, 2), int(2)];
    const [xf, ff] = [z(1, 5, 5, 3), z(3, 3, 3, 2)];
    const [x1, f1, fd] = [int(2, 7, 3), int(3, 3, 4), z(3, 3, 3, 1)];
    const calls: Array<[() => unknown, RegExp]> = [
      [() => wg.conv2d(xi, ff), /conv2d: argument 'x' must be float32, got int32/],
      [() => wg.conv2d(xf, fi), /conv2d: argument 'filter' must be float32, got int32/],
      [() => wg.conv2d(xf, ff, { bias: bi }), /conv2d: argument 'bias' must be float32, got int32/],
      [() => wg.depthwiseConv2d(xi, fd), /depthwiseConv2d: argument 'x' must be float32/],
      [() => wg.conv1d(x1, f1), /conv1d: argument 'x' must be float32/],
      [() => wg.maxPool(xi, { poolSize: 2 }), /maxPool: argument 'x' must be float32/],
      [() => wg.avgPool(xi, { poolSize: 2 }), /avgPool: argument 'x' must be float32/],
    ];
    for (const [call, message] of calls) {
      const before = wg.memory();
      expect(call).toThrowError(wg.InvalidArgumentError);
      expect(call).toThrowError(message);
      const after = wg.memory();
      expect(after.numTensors).toBe(before.numTensors);
      expect(after.numDispatches).toBe(before.numDispatches);
    }
    for (const t of [xi, fi, bi, xf, ff, x1, f1, fd]) t.dispose();
  });
});

describe('dispatches', () => {
  it('a forward conv2d with bias and activation is one dispatch; its training-step gradients two or three', async () => {
    forceConvKernel('register');
    const x = wg.randomNormal([2, 6, 6, 4], { seed: 1 });
    const f = wg.variable(wg.randomNormal([3, 3, 4, 8], { seed: 2 }));
    const b = wg.variable(wg.zeros([8]));
    let before = wg.memory().numDispatches;
    wg.conv2d(x, f, { bias: b, activation: 'relu', padding: 'same' }).dispose();
    expect(wg.memory().numDispatches - before).toBe(1);
    const tape = new wg.GradientTape();
    const y = tape.record(() => wg.conv2d(x, f, { bias: b, activation: 'relu', padding: 'same' }));
    const dy = wg.randomNormal([...y.shape], { seed: 3 });
    before = wg.memory().numDispatches;
    const grads = tape.gradient(y, [f, b], dy);
    // relu', the filter gradient (72 output pixels: one slice), the bias's sum.
    expect(wg.memory().numDispatches - before).toBe(3);
    for (const t of [x, f, b, y, dy, ...grads]) t?.dispose();
    forceConvKernel(undefined);
  });
});
