import { describe, expect, it } from 'vitest';
import * as wg from '../src';
import { checkGradients, expectClose, randomArray, rng } from './helpers';

const { losses } = wg;

// Plain-JS references in float64, written from the Keras 3 formulas.
const EPS = 1e-7;
// Keras clips in float32, where 1 − 1e-7 rounds to 1 − 2^-23 (so log(1 − p) bottoms out near −15.9).
const clip = (p: number) => Math.min(Math.max(p, Math.fround(EPS)), Math.fround(1 - EPS));
const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const rowsOf = (flat: ArrayLike<number>, c: number) => Array.from({ length: flat.length / c }, (_, r) => Array.from(flat).slice(r * c, r * c + c));
const logSumExp = (row: number[]) => {
  const m = Math.max(...row);
  return m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
};
const ref = {
  mse: (t: ArrayLike<number>, p: ArrayLike<number>) => meanOf(Array.from(p, (v, i) => (v - t[i]) ** 2)),
  mae: (t: ArrayLike<number>, p: ArrayLike<number>) => meanOf(Array.from(p, (v, i) => Math.abs(v - t[i]))),
  bceLogits: (t: ArrayLike<number>, x: ArrayLike<number>) =>
    meanOf(Array.from(x, (v, i) => Math.max(v, 0) - v * t[i] + Math.log1p(Math.exp(-Math.abs(v))))),
  bceProbs: (t: ArrayLike<number>, p: ArrayLike<number>) =>
    -meanOf(Array.from(p, (v, i) => t[i] * Math.log(clip(v)) + (1 - t[i]) * Math.log(1 - clip(v)))),
  cceLogits: (t: ArrayLike<number>, x: ArrayLike<number>, c: number) => {
    const ts = rowsOf(t, c);
    return meanOf(rowsOf(x, c).map((row, r) => {
      const lse = logSumExp(row);
      return row.reduce((s, v, k) => s + ts[r][k] * (lse - v), 0);
    }));
  },
  cceProbs: (t: ArrayLike<number>, p: ArrayLike<number>, c: number) => {
    const ts = rowsOf(t, c);
    return meanOf(rowsOf(p, c).map((row, r) => {
      const total = row.reduce((a, b) => a + b, 0);
      return -row.reduce((s, v, k) => s + ts[r][k] * Math.log(clip(v / total)), 0);
    }));
  },
  oneHot: (labels: ArrayLike<number>, c: number) => Float32Array.from({ length: labels.length * c }, (_, i) => (labels[Math.floor(i / c)] === i % c ? 1 : 0)),
};

/** Rows of a probability distribution (softmax of random values), float32. */
function distributions(rows: number, c: number, seed: number): Float32Array {
  const x = randomArray(rows * c, seed, -2, 2);
  const out = new Float32Array(rows * c);
  rowsOf(x, c).forEach((row, r) => {
    const lse = logSumExp(row);
    row.forEach((v, k) => (out[r * c + k] = Math.exp(v - lse)));
  });
  return out;
}

function classIndices(rows: number, c: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: rows }, () => Math.floor(r() * c));
}

const value = async (t: wg.Tensor) => (await t.data())[0];

describe('regression losses', () => {
  it('meanSquaredError and meanAbsoluteError match the formulas ([33,3])', async () => {
    const t = randomArray(99, 1);
    const p = randomArray(99, 2);
    const [tt, pt] = [wg.tensor(t, [33, 3]), wg.tensor(p, [33, 3])];
    expect(await value(losses.meanSquaredError(tt, pt))).toBeCloseTo(ref.mse(t, p), 5);
    expect(await value(losses.meanAbsoluteError(tt, pt))).toBeCloseTo(ref.mae(t, p), 5);
  });

  it('labels [N] against predictions [N,1] are aligned, as Keras does', async () => {
    const t = randomArray(17, 3);
    const p = randomArray(17, 4);
    const out = losses.meanSquaredError(wg.tensor(t, [17]), wg.tensor(p, [17, 1]));
    expect(out.shape).toEqual([]);
    expect(await value(out)).toBeCloseTo(ref.mse(t, p), 5);
  });

  it('mismatched shapes throw ShapeError', () => {
    expect(() => losses.meanSquaredError(wg.zeros([4, 2]), wg.zeros([4, 3]))).toThrow(wg.ShapeError);
    expect(() => losses.categoricalCrossentropy(wg.zeros([4, 2]), wg.zeros([4, 3]), { fromLogits: true })).toThrow(wg.ShapeError);
    expect(() => losses.sparseCategoricalCrossentropy(wg.zeros([3]), wg.zeros([4, 3]), { fromLogits: true })).toThrow(wg.ShapeError);
  });

  it('mse and mae gradients match central differences, for predictions and targets', async () => {
    await checkGradients((t, p) => losses.meanSquaredError(t, p), [randomArray(21, 5), randomArray(21, 6)], [[7, 3], [7, 3]]);
    // Keep |p − t| away from the kink of |·| at 0.
    const p0 = Float32Array.from(randomArray(21, 7), (v) => v + (v > 0 ? 0.5 : -0.5));
    await checkGradients((t, p) => losses.meanAbsoluteError(t, p), [new Float32Array(21), p0], [[7, 3], [7, 3]]);
  });

  it('fused mse and mae over 1000 elements (many per lane) and their exact gradients', async () => {
    const t = randomArray(1000, 8);
    const p = Float32Array.from(randomArray(1000, 9), (v, i) => (i % 10 === 0 ? t[i] : v));
    const [tt, pt] = [wg.tensor(t, [250, 4]), wg.tensor(p, [250, 4])];
    expect(await value(losses.meanSquaredError(tt, pt))).toBeCloseTo(ref.mse(t, p), 5);
    expect(await value(losses.meanAbsoluteError(tt, pt))).toBeCloseTo(ref.mae(t, p), 5);
    const tape = new wg.GradientTape({ persistent: true });
    tape.watch(pt);
    const mse = tape.record(() => losses.meanSquaredError(tt, pt));
    const mae = tape.record(() => losses.meanAbsoluteError(tt, pt));
    expectClose(await tape.gradient(mse, pt)!.data(), Array.from(p, (v, i) => (2 * (v - t[i])) / 1000), 1e-5, 1e-9);
    // d|d|/dd is sign(d), 0 where p = t (as TensorFlow's abs gradient).
    expectClose(await tape.gradient(mae, pt)!.data(), Array.from(p, (v, i) => Math.sign(v - t[i]) / 1000), 1e-6, 1e-9);
    tape.dispose();
  });
});

describe('binaryCrossentropy', () => {
  it('from logits matches max(x,0) − x·y + log(1 + e^−|x|)', async () => {
    const t = Float32Array.from(randomArray(66, 8), (v) => (v > 0 ? 1 : 0));
    const x = randomArray(66, 9, -5, 5);
    const out = losses.binaryCrossentropy(wg.tensor(t, [33, 2]), wg.tensor(x, [33, 2]), { fromLogits: true });
    expect(await value(out)).toBeCloseTo(ref.bceLogits(t, x), 5);
  });

  it('from probabilities clips to [1e-7, 1 − 1e-7] (p = 0 and 1 stay finite)', async () => {
    const t = Float32Array.from([1, 0, 1, 0, 0.3, 0.7]);
    const p = Float32Array.from([0, 1, 1, 0, 0.25, 0.9]);
    const out = await value(losses.binaryCrossentropy(wg.tensor(t, [6, 1]), wg.tensor(p, [6, 1])));
    expect(Number.isFinite(out)).toBe(true);
    expect(out).toBeCloseTo(ref.bceProbs(t, p), 4);
  });

  it('extreme logits (±100) give finite, exact losses and gradients', async () => {
    const t = Float32Array.from([1, 0, 0, 1]);
    const x = Float32Array.from([100, -100, 100, -100]);
    const xt = wg.tensor(x, [4, 1]);
    const tape = new wg.GradientTape();
    tape.watch(xt);
    const loss = tape.record(() => losses.binaryCrossentropy(wg.tensor(t, [4, 1]), xt, { fromLogits: true }));
    expect(await value(loss)).toBeCloseTo(ref.bceLogits(t, x), 3);
    // d/dx = (σ(x) − y) / n
    const g = await tape.gradient(loss, xt)!.data();
    expectClose(g, [0, 0, 0.25, -0.25], 1e-6, 1e-6);
  });

  it('gradients match central differences (logits and probabilities)', async () => {
    const t = wg.tensor(Float32Array.from(randomArray(12, 10), (v) => (v > 0 ? 1 : 0)), [6, 2]);
    await checkGradients((x) => losses.binaryCrossentropy(t, x, { fromLogits: true }), [randomArray(12, 11, -3, 3)], [[6, 2]]);
    await checkGradients((p) => losses.binaryCrossentropy(t, p), [randomArray(12, 12, 0.15, 0.85)], [[6, 2]], { h: 3e-3 });
  });

  it('rejects a non-boolean fromLogits', () => {
    // @ts-expect-error a number for a boolean: rejected, not coerced
    expect(() => losses.binaryCrossentropy(wg.zeros([2, 1]), wg.zeros([2, 1]), { fromLogits: 1 })).toThrow(wg.InvalidArgumentError);
  });
});

describe('categoricalCrossentropy', () => {
  it('from logits (fused kernel) matches Σ y (lse − x), 130 rows × 17 classes', async () => {
    const t = distributions(130, 17, 13);
    const x = randomArray(130 * 17, 14, -6, 6);
    const out = losses.categoricalCrossentropy(wg.tensor(t, [130, 17]), wg.tensor(x, [130, 17]), { fromLogits: true });
    expect(out.shape).toEqual([]);
    expect(await value(out)).toBeCloseTo(ref.cceLogits(t, x, 17), 4);
  });

  it('from probabilities normalises, clips and matches Keras', async () => {
    const t = distributions(9, 5, 15);
    const p = Float32Array.from(distributions(9, 5, 16), (v, i) => (i % 7 === 0 ? 0 : v * 2));
    const out = losses.categoricalCrossentropy(wg.tensor(t, [9, 5]), wg.tensor(p, [9, 5]));
    expect(await value(out)).toBeCloseTo(ref.cceProbs(t, p, 5), 4);
  });

  it('extreme logits (±100) stay finite: loss and gradient softmax − y', async () => {
    const x = Float32Array.from([100, -100, 0, -100, 100, 100, -100, -100, -100]);
    const t = Float32Array.from([0, 1, 0, 1, 0, 0, 0, 0, 1]);
    const xt = wg.tensor(x, [3, 3]);
    const tape = new wg.GradientTape();
    tape.watch(xt);
    const loss = tape.record(() => losses.categoricalCrossentropy(wg.tensor(t, [3, 3]), xt, { fromLogits: true }));
    expect(await value(loss)).toBeCloseTo(ref.cceLogits(t, x, 3), 3);
    const g = await tape.gradient(loss, xt)!.data();
    const expected = rowsOf(x, 3).flatMap((row, r) => {
      const lse = logSumExp(row);
      return row.map((v, k) => (Math.exp(v - lse) - t[r * 3 + k]) / 3);
    });
    expectClose(g, expected, 1e-5, 1e-6);
  });

  it('gradients match central differences for logits, labels and probabilities', async () => {
    const t = distributions(5, 4, 17);
    await checkGradients((l, x) => losses.categoricalCrossentropy(l, x, { fromLogits: true }), [t, randomArray(20, 18, -3, 3)], [[5, 4], [5, 4]]);
    const tt = wg.tensor(t, [5, 4]);
    await checkGradients((p) => losses.categoricalCrossentropy(tt, p), [randomArray(20, 19, 0.2, 1)], [[5, 4]], { h: 3e-3 });
  });
});

describe('sparseCategoricalCrossentropy', () => {
  it('from logits (fused kernel) matches lse − x_y, labels [N] and [N,1]', async () => {
    const labels = classIndices(70, 11, 20);
    const x = randomArray(70 * 11, 21, -6, 6);
    const expected = ref.cceLogits(ref.oneHot(labels, 11), x, 11);
    for (const shape of [[70], [70, 1]]) {
      const out = losses.sparseCategoricalCrossentropy(wg.tensor(labels, shape), wg.tensor(x, [70, 11]), { fromLogits: true });
      expect(await value(out)).toBeCloseTo(expected, 4);
    }
  });

  it('from probabilities matches the categorical formula on one-hot labels', async () => {
    const labels = classIndices(12, 6, 22);
    const p = distributions(12, 6, 23);
    const out = losses.sparseCategoricalCrossentropy(wg.tensor(labels, [12]), wg.tensor(p, [12, 6]));
    expect(await value(out)).toBeCloseTo(ref.cceProbs(ref.oneHot(labels, 6), p, 6), 4);
  });

  it('extreme logits (±100) stay finite', async () => {
    const out = losses.sparseCategoricalCrossentropy(wg.tensor([0, 2]), wg.tensor([[100, -100, -100], [100, -100, -100]]), { fromLogits: true });
    expect(await value(out)).toBeCloseTo(100, 3); // row 0: 0; row 1: lse − x_2 = 200
  });

  it('a label outside [0, C) makes the loss NaN rather than a wrong number', async () => {
    const out = losses.sparseCategoricalCrossentropy(wg.tensor([1, 3]), wg.tensor([[1, 2, 3], [1, 2, 3]]), { fromLogits: true });
    expect(Number.isNaN(await value(out))).toBe(true);
  });

  it('gradients match central differences (logits and probabilities)', async () => {
    const labels = wg.tensor(classIndices(6, 5, 24));
    await checkGradients((x) => losses.sparseCategoricalCrossentropy(labels, x, { fromLogits: true }), [randomArray(30, 25, -3, 3)], [[6, 5]]);
    await checkGradients((p) => losses.sparseCategoricalCrossentropy(labels, p), [randomArray(30, 26, 0.2, 1)], [[6, 5]], { h: 3e-3 });
  });
});

describe('loss names', () => {
  it('resolve TensorFlow.js and Keras spellings; an unknown name throws InvalidArgumentError', async () => {
    const t = wg.tensor([[0, 1]]);
    const p = wg.tensor([[0.3, 0.7]]);
    expect(await value(losses.getLoss('mse')(t, p))).toBeCloseTo(ref.mse([0, 1], [0.3, 0.7]), 6);
    expect(await value(losses.getLoss('categorical_crossentropy')(t, p))).toBeCloseTo(-Math.log(0.7), 5);
    expect(() => losses.getLoss('meanSquareError')).toThrow(wg.InvalidArgumentError);
    expect(() => losses.getLoss('toString')).toThrow(wg.InvalidArgumentError);
  });
});
