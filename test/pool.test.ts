// Max and average pooling (NHWC) against TensorFlow.js's CPU backend, forward and gradient, across
// window sizes, strides, paddings and odd sizes; ties in max pooling send the gradient to the
// first largest value, as TensorFlow does.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../src';
import { checkGradients, expectClose, randomArray } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Pair = [number, number];
interface Case {
  x: [number, number, number, number];
  poolSize: number | Pair;
  strides?: number | Pair;
  padding: 'valid' | 'same';
}

const cases: Case[] = [
  { x: [2, 6, 6, 3], poolSize: 2, padding: 'valid' }, // strides default to the window
  { x: [1, 5, 7, 2], poolSize: 3, strides: 2, padding: 'same' }, // odd sizes: padding at the bottom and right
  { x: [2, 5, 6, 1], poolSize: [2, 3], strides: [1, 2], padding: 'same' },
  { x: [1, 7, 7, 4], poolSize: 3, strides: 1, padding: 'same' }, // overlapping windows
  { x: [1, 7, 5, 2], poolSize: 3, strides: 2, padding: 'valid' }, // rows and columns left over
  { x: [2, 7, 8, 8], poolSize: 3, strides: 3, padding: 'same' }, // disjoint windows, padded at the top, bottom and right; channels by fours
  { x: [1, 9, 6, 3], poolSize: [2, 1], strides: [3, 2], padding: 'valid' }, // disjoint windows with gaps between them
  { x: [3, 4, 4, 2], poolSize: 1, strides: 2, padding: 'valid' },
  { x: [1, 3, 2, 5], poolSize: [3, 2], padding: 'valid' }, // the window is the whole input
];

const label = (c: Case) => `x [${c.x}] poolSize ${JSON.stringify(c.poolSize)} strides ${JSON.stringify(c.strides ?? c.poolSize)} '${c.padding}'`;

for (const kind of ['maxPool', 'avgPool'] as const) {
  describe(`${kind} against TensorFlow.js`, () => {
    for (const [i, c] of cases.entries()) {
      // Values on a coarse grid, so that windows hold ties.
      const values = (n: number, seed: number) => (kind === 'maxPool' ? randomArray(n, seed).map((v) => Math.round(v * 3) / 3) : randomArray(n, seed));
      it(`${label(c)}: y and dx${kind === 'maxPool' ? ' (with ties)' : ''}`, async () => {
        const x = values(c.x.reduce((a, b) => a * b), 10 + i);
        const xt = wg.tensor(x, c.x);
        const tape = new wg.GradientTape();
        tape.watch(xt);
        const y = tape.record(() => wg[kind](xt, { poolSize: c.poolSize, strides: c.strides, padding: c.padding }));
        const dy = randomArray(y.size, 20 + i);
        const dx = tape.gradient(y, xt, wg.tensor(dy, [...y.shape]))!;
        const fn = (a: tf.Tensor) => tf[kind](a as tf.Tensor4D, c.poolSize, c.strides ?? c.poolSize, c.padding);
        const ty = fn(tf.tensor4d(x, c.x));
        expect(y.shape).toEqual(ty.shape);
        expectClose(await y.data(), ty.dataSync(), 1e-6, 1e-6);
        if (kind === 'avgPool' && c.padding === 'same') {
          // TensorFlow.js's CPU AvgPoolGrad divides by the whole window even where padding cut it
          // short, unlike its forward pass (and TensorFlow's AvgPoolGrad): central differences instead.
          await checkGradients((a, w) => wg.sum(wg.mul(wg.avgPool(a, { poolSize: c.poolSize, strides: c.strides, padding: c.padding }), w)), [x, dy], [c.x, [...y.shape]]);
          return;
        }
        const tdx = tf.grad(fn)(tf.tensor4d(x, c.x), tf.tensor(dy, ty.shape));
        expectClose(await dx.data(), tdx.dataSync(), 1e-6, 1e-6);
      });
    }

    it('an unbatched rank-3 x gives a rank-3 y', async () => {
      const x = randomArray(5 * 4 * 3, 30);
      const y = wg[kind](wg.tensor(x, [5, 4, 3]), { poolSize: 2, padding: 'same' });
      const ty = tf[kind](tf.tensor3d(x, [5, 4, 3]), 2, 2, 'same');
      expect(y.shape).toEqual(ty.shape);
      expectClose(await y.data(), ty.dataSync(), 1e-6, 1e-6);
    });
  });
}

describe('pooling', () => {
  it("avgPool with 'same' padding averages only the positions inside x", async () => {
    // Window 3, stride 2 over 4 columns: padded by one at the right only, so the last window holds 2 columns.
    const y = wg.avgPool(wg.tensor([1, 2, 3, 4], [1, 1, 4, 1]), { poolSize: [1, 3], strides: [1, 2], padding: 'same' });
    expect(Array.from(await y.data())).toEqual([2, 3.5]);
  });

  it('maxPool sends the gradient to the first of equal values, row by row', async () => {
    const x = wg.tensor([5, 5, 5, 5], [1, 2, 2, 1]);
    const tape = new wg.GradientTape();
    tape.watch(x);
    const y = tape.record(() => wg.maxPool(x, { poolSize: 2 }));
    expect(Array.from(await tape.gradient(y, x)!.data())).toEqual([1, 0, 0, 0]);
  });

  it('maxPool outside a tape writes no argmax: one dispatch, and the same values', async () => {
    const x = wg.tensor(randomArray(2 * 6 * 6 * 3, 40), [2, 6, 6, 3]);
    const before = wg.memory();
    const y = wg.maxPool(x, { poolSize: 2 });
    const after = wg.memory();
    expect(after.numDispatches - before.numDispatches).toBe(1);
    expect(after.numTensors - before.numTensors).toBe(1);
    const ty = tf.maxPool(tf.tensor4d(await x.data(), [2, 6, 6, 3]), 2, 2, 'valid');
    expectClose(await y.data(), ty.dataSync(), 0, 0);
  });

  it('gradients of gradients: d/dw of |∂⟨pool(x), w²⟩/∂x|² matches central differences (max and average)', async () => {
    const x = randomArray(1 * 5 * 5 * 2, 50);
    for (const kind of ['maxPool', 'avgPool'] as const) {
      const f = (w: wg.Tensor) => {
        const xt = wg.tensor(x, [1, 5, 5, 2]);
        const inner = new wg.GradientTape();
        inner.watch(xt);
        const y = inner.record(() => wg.sum(wg.mul(wg[kind](xt, { poolSize: 3, strides: 2, padding: 'same' }), wg.square(w))));
        return wg.sum(wg.square(inner.gradient(y, xt)!));
      };
      await checkGradients(f, [randomArray(3 * 3 * 2, 51)], [[1, 3, 3, 2]]);
    }
  });

  describe('typed errors before any GPU work, leaving no tensor behind', () => {
    const z = (...shape: number[]) => wg.zeros(shape);
    const cases: Array<[string, (t: typeof z) => unknown, new (...a: never[]) => Error, RegExp]> = [
      ['a window larger than a valid input', (t) => wg.maxPool(t(1, 2, 5, 1), { poolSize: 3 }), wg.ShapeError, /maxPool: the 3×3 window is larger than the 2×5 input with padding 'valid' \(x \[1,2,5,1\], poolSize \[3,3\]\)/],
      ['an unbatched x smaller than a valid window', (t) => wg.avgPool(t(2, 5, 1), { poolSize: 3 }), wg.ShapeError, /avgPool: the 3×3 window is larger than the 2×5 input with padding 'valid' \(x \[2,5,1\]/],
      ['x of rank 2', (t) => wg.avgPool(t(4, 4), { poolSize: 2 }), wg.ShapeError, /avgPool: x must have rank 4 .*x \[4,4\]/],
      ['no poolSize', (t) => wg.maxPool(t(1, 4, 4, 1), {} as wg.PoolOptions), wg.InvalidArgumentError, /maxPool: poolSize must be a positive integer or a pair/],
      ['a zero stride', (t) => wg.avgPool(t(1, 4, 4, 1), { poolSize: 2, strides: 0 }), wg.InvalidArgumentError, /avgPool: strides must be a positive integer/],
      ['an unknown padding', (t) => wg.maxPool(t(1, 4, 4, 1), { poolSize: 2, padding: 'full' as 'same' }), wg.InvalidArgumentError, /padding must be 'valid' or 'same'/],
    ];
    for (const [what, run, type, message] of cases) {
      it(`${what}: ${type.name}`, () => {
        // A first attempt makes the inputs; the counted one reuses them.
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
  });
});
