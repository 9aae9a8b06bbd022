import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../src';
import { composedRules } from '../src/autodiff/composed_rules';
import type { TapeNode, VjpRule } from '../src/ops/primitive';
import { vjpRules } from '../src/ops/rules';
import { checkGradients, expectClose, randomArray, size } from './helpers';
import { expectLikeTf, expectThrowsBeforeWork, hessianRowSums, input, secondDerivativeRowSums } from './tf_reference';

// The fused masked softmax of attention scores, against TensorFlow.js's CPU backend: plain
// softmax(scale·x), softmax(scale·x + mask) for an additive mask, and Keras 3's masked Softmax
// (where(mask, x, −1e9), softmax, times the mask) for a boolean one.

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const scoresShape = [2, 3, 4, 5]; // [batch, heads, queries, keys]

/** A 0/1 mask of `shape` with every row of `fullyMasked` left out entirely (rows of the last axis). */
function booleanMask(shape: number[], seed: number, fullyMasked: number[] = []): Input {
  const r = randomArray(size(shape), seed);
  const len = shape[shape.length - 1];
  const values = Float32Array.from(r, (v, i) => (fullyMasked.includes(Math.floor(i / len)) ? 0 : v > -0.4 ? 1 : 0));
  return { values, shape };
}
type Input = ReturnType<typeof input>;

/** Keras 3's Softmax layer with a mask, in TensorFlow.js ops. */
function kerasMaskedSoftmax(x: tf.Tensor, mask: tf.Tensor, scale: number): tf.Tensor {
  const m = tf.broadcastTo(mask, x.shape);
  const z = tf.where(tf.greater(m, 0), tf.mul(x, scale), tf.fill(x.shape, -1e9));
  return tf.mul(tf.softmax(z), m);
}

describe('maskedSoftmax', () => {
  it('without a mask: softmax over the last axis, scaled, as TensorFlow.js', async () => {
    await expectLikeTf((x) => wg.maskedSoftmax(x), (x) => tf.softmax(x), [input(scoresShape, 1, -3, 3)]);
    await expectLikeTf((x) => wg.maskedSoftmax(x, null, { scale: 0.35 }), (x) => tf.softmax(tf.mul(x, 0.35)), [input([7, 13], 2, -5, 5)]);
  });

  for (const maskShape of [[4, 5], [2, 1, 4, 5], [2, 3, 4, 5], [2, 1, 1, 5], [4, 1]]) {
    it(`a boolean mask ${JSON.stringify(maskShape)} broadcast over [b,h,q,k] scores, fully masked rows included: as Keras 3 in TensorFlow.js`, async () => {
      const mask = booleanMask(maskShape, 3, [1]);
      await expectLikeTf(
        (x, m) => wg.maskedSoftmax(x, m, { scale: 0.5 }),
        (x, m) => kerasMaskedSoftmax(x, m, 0.5),
        [input(scoresShape, 4, -3, 3), mask],
        { differentiate: [0] },
      );
    });
  }

  it('an additive mask: softmax(scale·x + mask) with gradients for both, as TensorFlow.js', async () => {
    const mask = input([1, 3, 1, 5], 5, -4, 0);
    await expectLikeTf((x, m) => wg.maskedSoftmax(x, m, { maskMode: 'additive', scale: 0.7 }), (x, m) => tf.softmax(tf.add(tf.mul(x, 0.7), m)), [input(scoresShape, 6, -3, 3), mask]);
    await expectLikeTf((x, m) => wg.maskedSoftmax(x, m, { maskMode: 'additive' }), (x, m) => tf.softmax(tf.add(x, m)), [input([3, 6], 7), input([3, 6], 8)]);
  });

  it('a causal mask: −Infinity added above the diagonal gives what a 0/1 lower triangle gives', async () => {
    const T = 6;
    const lower = Float32Array.from({ length: T * T }, (_, i) => (i % T <= Math.floor(i / T) ? 1 : 0));
    const x = wg.tensor(randomArray(2 * T * T, 9, -2, 2), [2, T, T]);
    const viaBoolean = wg.maskedSoftmax(x, wg.tensor(lower, [T, T]));
    const viaAdditive = wg.maskedSoftmax(x, wg.tensor(lower.map((v) => (v ? 0 : -Infinity)), [T, T]), { maskMode: 'additive' });
    const viaInt = wg.maskedSoftmax(x, wg.tensor(Int32Array.from(lower), [T, T]));
    const ref = await viaBoolean.data();
    expectClose(await viaAdditive.data(), ref, 1e-6, 1e-7);
    expectClose(await viaInt.data(), ref, 0, 0);
    expect(ref[1]).toBe(0); // row 0 sees only key 0
    expect(ref[0]).toBeCloseTo(1, 6);
  });

  it('one dispatch forward and one backward', async () => {
    const x = wg.tensor(randomArray(size(scoresShape), 10), scoresShape);
    const m = wg.tensor(booleanMask([4, 5], 11).values, [4, 5]);
    const tape = new wg.GradientTape();
    tape.watch(x);
    const before = wg.memory().numDispatches;
    const y = tape.record(() => wg.maskedSoftmax(x, m, { scale: 0.5 }));
    expect(wg.memory().numDispatches - before).toBe(1);
    const dy = wg.tensor(randomArray(size(scoresShape), 12), scoresShape);
    const mid = wg.memory().numDispatches;
    const dx = tape.gradient(y, x, dy);
    expect(wg.memory().numDispatches - mid).toBe(1);
    expect(dx!.shape).toEqual(scoresShape);
  });

  it('gradients agree with central differences (boolean and additive masks, scaled)', async () => {
    const w = wg.tensor(randomArray(3 * 7, 13), [3, 7]);
    const bm = wg.tensor(booleanMask([3, 7], 14).values, [3, 7]);
    await checkGradients((x) => wg.sum(wg.mul(wg.maskedSoftmax(x, bm, { scale: 1.3 }), w)), [randomArray(21, 15, -2, 2)], [[3, 7]]);
    await checkGradients(
      (x, m) => wg.sum(wg.mul(wg.maskedSoftmax(x, m, { maskMode: 'additive', scale: 0.6 }), w)),
      [randomArray(21, 16, -2, 2), randomArray(7, 17, -1, 1)],
      [[3, 7], [7]],
    );
  });

  it('the fused VJP and the one made of recorded ops (for gradients of gradients) agree', async () => {
    const x = wg.tensor(randomArray(4 * 6, 18, -2, 2), [4, 6]);
    const mask = wg.tensor(randomArray(6, 19, -1, 0), [6]);
    const ct = wg.tensor(randomArray(4 * 6, 20), [4, 6]);
    const y = wg.maskedSoftmax(x, mask, { maskMode: 'additive', scale: 0.8 });
    const node: TapeNode<'maskedSoftmax'> = { prim: 'maskedSoftmax', params: { mask: 'additive', scale: 0.8, log: false }, inputs: [x, mask], output: y, needs: [true, true] };
    const fused = (vjpRules.maskedSoftmax as VjpRule<'maskedSoftmax'>)(ct, node);
    const composed = (composedRules.maskedSoftmax as VjpRule<'maskedSoftmax'>)(ct, node);
    for (const k of [0, 1]) expectClose(await composed[k]!.data(), await fused[k]!.data(), 1e-5, 1e-6);
  });

  it('second derivatives as central differences of the float64 function', async () => {
    const x = randomArray(2 * 4, 21, -1.5, 1.5);
    const keep = [1, 0, 1, 1];
    const w = Array.from(randomArray(8, 22));
    const f = (v: wg.Tensor) => wg.sum(wg.mul(wg.maskedSoftmax(v, wg.tensor(keep), { scale: 0.9 }), wg.tensor(w, [2, 4])));
    const reference = (v: number[]) => [0, 4].reduce((acc, r) => {
      const e = v.slice(r, r + 4).map((u, j) => (keep[j] ? Math.exp(0.9 * u) : 0));
      const total = e.reduce((a, b) => a + b, 0);
      return acc + e.reduce((a, ej, j) => a + (ej / total) * w[r + j], 0);
    }, 0);
    expectClose(await secondDerivativeRowSums(f, x, [2, 4]), hessianRowSums(reference, x), 1e-3, 1e-3);
  });

  it('a mask that does not broadcast to the scores, a bad mode or scale, a scalar: typed errors before any work', () => {
    const x = wg.ones([2, 3, 4]);
    const wide = wg.ones([2, 2, 3, 4]);
    const wrong = wg.ones([3, 3]);
    const s = wg.scalar(1);
    expectThrowsBeforeWork(() => wg.maskedSoftmax(x, wide), wg.ShapeError, /maskedSoftmax: the mask \[2,2,3,4\] must broadcast to the scores \[2,3,4\]/);
    expectThrowsBeforeWork(() => wg.maskedSoftmax(x, wrong), wg.ShapeError, /maskedSoftmax/);
    // @ts-expect-error an unknown mode
    expectThrowsBeforeWork(() => wg.maskedSoftmax(x, wrong, { maskMode: 'multiplicative' }), wg.InvalidArgumentError, /maskMode/);
    expectThrowsBeforeWork(() => wg.maskedSoftmax(x, null, { scale: NaN }), wg.InvalidArgumentError, /scale/);
    expectThrowsBeforeWork(() => wg.maskedSoftmax(s), wg.ShapeError, /rank 1 to 8/);
  });
});
