import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../src';
import { checkGradients, expectClose, randomArray } from './helpers';
import { expectLikeTf, expectThrowsBeforeWork, hessianRowSums, input, secondDerivativeRowSums } from './tf_reference';

// oneHot, argMax, gather and moments against TensorFlow.js's CPU backend, plain formulas and
// central differences.

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('oneHot', () => {
  it('int32 indices of any shape, out-of-range ones included, as TensorFlow.js', async () => {
    const ids = [[0, 3, 1], [-1, 4, 2]];
    const got = wg.oneHot(wg.tensor(ids, undefined, 'int32'), 4);
    const ref = tf.oneHot(tf.tensor2d(ids, undefined, 'int32'), 4);
    expect(got.shape).toEqual(ref.shape);
    expect(got.dtype).toBe('float32');
    expectClose(await got.data(), await ref.data(), 0, 0);
  });

  it('float32 indices holding integers give the same; a non-integer matches no column', async () => {
    const got = wg.oneHot(wg.tensor([2, 0.5, 1, NaN]), 3);
    expect(await got.array()).toEqual([[0, 0, 1], [0, 0, 0], [0, 1, 0], [0, 0, 0]]);
    expect(await wg.oneHot([1, 0], 2).array()).toEqual([[0, 1], [1, 0]]);
    expect(await wg.oneHot(new Int32Array([1]), 3).array()).toEqual([[0, 1, 0]]);
  });

  it('onValue and offValue, and the chained form, as TensorFlow.js', async () => {
    const ids = [1, 0, 2];
    const got = wg.tensor(ids, undefined, 'int32').oneHot(3, 5, -2);
    expectClose(await got.data(), await tf.oneHot(tf.tensor1d(ids, 'int32'), 3, 5, -2).data(), 0, 0);
  });

  it('takes no gradient (the indices are not differentiable)', () => {
    const ids = wg.tensor([0, 1]);
    const tape = new wg.GradientTape();
    tape.watch(ids);
    const y = tape.record(() => wg.sum(wg.oneHot(ids, 2)));
    expect(tape.gradient(y, ids)).toBeNull();
  });

  it('a bad depth: InvalidArgumentError before any work', () => {
    const ids = wg.tensor([0, 1], undefined, 'int32');
    expectThrowsBeforeWork(() => wg.oneHot(ids, 0), wg.InvalidArgumentError, /oneHot: depth must be a positive integer/);
    expectThrowsBeforeWork(() => wg.oneHot(ids, 2.5), wg.InvalidArgumentError, /depth/);
    expectThrowsBeforeWork(() => wg.oneHot([0, 1], 2 ** 25), wg.InvalidArgumentError, /float32 indices/);
  });
});

describe('argMax', () => {
  const values = randomArray(3 * 4 * 5, 1);
  for (const axis of [0, 1, 2, -1, -2]) {
    it(`axis ${axis} of a [3,4,5] tensor: int32 indices as TensorFlow.js`, async () => {
      const got = wg.argMax(wg.tensor(values, [3, 4, 5]), axis);
      const ref = tf.argMax(tf.tensor(values, [3, 4, 5]), axis);
      expect(got.shape).toEqual(ref.shape);
      expect(got.dtype).toBe('int32');
      expect(Array.from(await got.data())).toEqual(Array.from(await ref.data()));
    });
  }

  it('defaults to the last axis; ties go to the first index; a NaN is chosen only when first (as TensorFlow.js)', async () => {
    const rows = [[1, 3, 3], [NaN, 1, 2], [1, NaN, 2], [-Infinity, -Infinity, -5]];
    const got = await wg.tensor(rows).argMax().data();
    expect(Array.from(got)).toEqual(Array.from(await tf.argMax(tf.tensor(rows), 1).data()));
    expect(Array.from(got)).toEqual([1, 0, 2, 2]);
  });

  it('searches int32 tensors too, and its result indexes gather', async () => {
    const x = wg.tensor([[4, -2, 9], [7, 7, 1]], undefined, 'int32');
    const idx = wg.argMax(x);
    expect(await idx.array()).toEqual([2, 0]);
    expect(await wg.gather(wg.tensor([10, 20, 30]), idx).array()).toEqual([30, 10]);
  });

  it('takes no gradient: a function of x through argMax alone has none', () => {
    const x = wg.tensor([[1, 2], [3, 0]]);
    const tape = new wg.GradientTape();
    tape.watch(x);
    const y = tape.record(() => wg.sum(wg.oneHot(wg.argMax(x), 2)));
    expect(tape.gradient(y, x)).toBeNull();
  });

  it('a scalar, an empty or out-of-range axis: InvalidArgumentError before any work', () => {
    const x = wg.ones([2, 0]);
    const s = wg.scalar(1);
    const y = wg.ones([2, 2]);
    expectThrowsBeforeWork(() => wg.argMax(x), wg.InvalidArgumentError, /argMax: axis 1 of \[2,0\] is empty/);
    expectThrowsBeforeWork(() => wg.argMax(s), wg.InvalidArgumentError, /scalar/);
    expectThrowsBeforeWork(() => wg.argMax(y, 2), wg.InvalidArgumentError, /axis 2 is out of range/);
  });
});

describe('gather on any axis', () => {
  it('negative axes and int32 indices: value and gradient as TensorFlow.js', async () => {
    const ids = [[2, 0], [1, 2], [2, 2]];
    for (const axis of [0, 1, -1, -3]) {
      const shape = [3, 3, 3];
      await expectLikeTf(
        (x) => x.gather(wg.tensor(ids, undefined, 'int32'), axis),
        (x) => tf.gather(x, tf.tensor2d(ids, undefined, 'int32'), axis),
        [input(shape, 50 + axis)],
      );
    }
  });

  it('a gradient of a gradient through gather with int32 indices (repeats included)', async () => {
    const ids = [3, 0, 3, 1];
    const w = Array.from(randomArray(4 * 2, 51));
    const x = randomArray(5 * 2, 52);
    const f = (v: wg.Tensor) => {
      const rows = wg.gather(v, wg.tensor(ids, undefined, 'int32'));
      return wg.sum(wg.mul(wg.mul(wg.square(rows), rows), wg.tensor(w, [4, 2])));
    };
    const reference = (v: number[]) => ids.reduce((acc, r, j) => acc + w[2 * j] * v[2 * r] ** 3 + w[2 * j + 1] * v[2 * r + 1] ** 3, 0);
    expectClose(await secondDerivativeRowSums(f, x, [5, 2]), hessianRowSums(reference, x), 1e-3, 1e-3);
  });
});

describe('moments', () => {
  for (const [axes, keepDims] of [[undefined, false], [0, false], [-1, true], [[0, 2], false], [[1, -1], true]] as Array<[number | number[] | undefined, boolean]>) {
    it(`axes ${JSON.stringify(axes)}, keepDims ${keepDims}: mean and biased variance as TensorFlow.js, gradients included`, async () => {
      const x = input([3, 4, 5], 60, -2, 3);
      await expectLikeTf((t) => wg.moments(t, axes, keepDims).mean, (t) => tf.moments(t, axes, keepDims).mean, [x], { rtol: 1e-5, atol: 1e-5 });
      await expectLikeTf((t) => wg.moments(t, axes, keepDims).variance, (t) => tf.moments(t, axes, keepDims).variance, [x], { rtol: 1e-4, atol: 1e-5 });
    });
  }

  it('variance gradients agree with central differences: 2(x − mean)/n', async () => {
    const w = wg.tensor(randomArray(4, 61), [4]);
    await checkGradients((x) => wg.sum(wg.mul(wg.moments(x, 0).variance, w)), [randomArray(12, 62)], [[3, 4]]);
  });

  it('a bad axis or keepDims: typed errors before any work', () => {
    const x = wg.ones([2, 3]);
    expectThrowsBeforeWork(() => wg.moments(x, 2), wg.InvalidArgumentError, /axis 2 is out of range/);
    // @ts-expect-error keepDims must be a boolean
    expectThrowsBeforeWork(() => wg.moments(x, 0, 'yes'), wg.InvalidArgumentError, /keepDims must be a boolean/);
    x.dispose();
  });
});
