import { describe, expect, it } from 'vitest';
import * as wg from '../src';
import { checkGradients, expectClose, randomArray, size } from './helpers';

/** Reference reduction over `axes` (keepDims shape), by walking every input index. */
function reduceRef(x: Float32Array, shape: number[], axes: number[], op: 'sum' | 'max'): Float32Array {
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Float32Array(size(outShape)).fill(op === 'sum' ? 0 : -Infinity);
  for (let i = 0; i < x.length; i++) {
    let rem = i;
    let o = 0;
    let stride = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      const c = rem % shape[d];
      rem = Math.floor(rem / shape[d]);
      if (!axes.includes(d)) o += c * stride;
      stride *= outShape[d];
    }
    out[o] = op === 'sum' ? out[o] + x[i] : Math.max(out[o], x[i]);
  }
  return out;
}

describe('reductions', () => {
  const cases: Array<[number[], number[]]> = [
    [[257], [0]],
    [[3, 17], [0]],
    [[3, 17], [1]],
    [[2, 3, 5], [0, 2]], // scattered axes: gathered first
    [[4, 33, 3], [1]],
    [[129, 9], [0, 1]],
    [[1, 5000], [1]], // long axis, few outputs: the workgroup-per-output path
  ];
  for (const op of ['sum', 'max'] as const) {
    for (const [shape, axes] of cases) {
      it(`${op} of [${shape}] over axes [${axes}] matches the reference`, async () => {
        const x = randomArray(size(shape), 5, -2, 2);
        const y = wg[op](wg.tensor(x, shape), axes);
        expect(y.shape).toEqual(shape.filter((_, i) => !axes.includes(i)));
        expectClose(await y.data(), reduceRef(x, shape, axes, op), 1e-5, 1e-4);
      });
    }
  }

  it('keepDims keeps reduced axes as 1; negative axes count from the end', async () => {
    const x = wg.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(wg.sum(x, -1, true).shape).toEqual([2, 1]);
    expectClose(await wg.sum(x, -1, true).data(), [6, 15]);
    expectClose(await wg.mean(x, 0).data(), [2.5, 3.5, 4.5]);
    expectClose(await wg.max(x).data(), [6]);
    expect(wg.sum(x).shape).toEqual([]);
  });

  it('sum, mean and max VJPs match central differences on [3,17] (axis 1 and all)', async () => {
    const x = randomArray(51, 8, -2, 2);
    const w = randomArray(3, 9);
    await checkGradients((t) => wg.sum(wg.mul(wg.sum(t, 1), wg.tensor(w))), [x], [[3, 17]]);
    await checkGradients((t) => wg.mul(wg.mean(t), 3), [x], [[3, 17]]);
    await checkGradients((t) => wg.sum(wg.mul(wg.max(t, 1), wg.tensor(w))), [x], [[3, 17]]);
  });

  it('an out-of-range axis throws InvalidArgumentError', () => {
    expect(() => wg.sum(wg.zeros([2, 3]), 2)).toThrowError(wg.InvalidArgumentError);
  });
});

describe('shape ops', () => {
  it('reshape is a view with −1 inferred, and its VJP reshapes back', async () => {
    const x = wg.tensor([1, 2, 3, 4, 5, 6]);
    const y = wg.reshape(x, [-1, 3]);
    expect(y.shape).toEqual([2, 3]);
    expect(await y.array()).toEqual([[1, 2, 3], [4, 5, 6]]);
    const before = wg.memory().numDispatches;
    wg.reshape(x, [3, 2]);
    expect(wg.memory().numDispatches).toBe(before);
    await checkGradients((t) => wg.sum(wg.mul(wg.reshape(t, [2, 3]), wg.tensor([[1, 2, 3], [4, 5, 6]]))), [randomArray(6, 1)], [[6]]);
  });

  it('reshape to a different size throws ShapeError with both shapes', () => {
    expect(() => wg.reshape(wg.zeros([2, 3]), [4, 2])).toThrowError(/reshape.*\[2,3\].*\[4,2\]/);
  });

  it('transpose permutes like the reference, default reverses', async () => {
    const shape = [2, 3, 4];
    const x = randomArray(24, 3);
    const y = wg.transpose(wg.tensor(x, shape), [2, 0, 1]);
    expect(y.shape).toEqual([4, 2, 3]);
    const ref = new Float32Array(24);
    for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 4; c++) ref[c * 6 + a * 3 + b] = x[a * 12 + b * 4 + c];
    expectClose(await y.data(), ref);
    expect(wg.transpose(wg.zeros([3, 5])).shape).toEqual([5, 3]);
    await checkGradients((t) => wg.sum(wg.mul(wg.transpose(t, [2, 0, 1]), wg.tensor(randomArray(24, 4), [4, 2, 3]))), [x], [shape]);
  });

  it('broadcastTo repeats and its VJP sums back', async () => {
    const y = wg.broadcastTo(wg.tensor([[1], [2]]), [3, 2, 4]);
    expect(y.shape).toEqual([3, 2, 4]);
    expectClose(await y.data(), Array.from({ length: 24 }, (_, i) => (Math.floor(i / 4) % 2) + 1));
    await checkGradients((t) => wg.sum(wg.mul(wg.broadcastTo(t, [3, 2, 4]), wg.tensor(randomArray(24, 5), [3, 2, 4]))), [randomArray(2, 6)], [[2, 1]]);
  });

  it('softmax and logSoftmax match the formula, stay finite for huge logits, and have correct VJPs', async () => {
    const rows = [[1, 2, 3], [1000, 1000, -1000]];
    const ref = rows.map((r) => {
      const m = Math.max(...r);
      const s = r.reduce((a, v) => a + Math.exp(v - m), 0);
      return r.map((v) => v - m - Math.log(s));
    });
    expectClose(await wg.logSoftmax(wg.tensor(rows)).data(), ref.flat(), 1e-6, 1e-6);
    expectClose(await wg.softmax(wg.tensor(rows)).data(), ref.flat().map(Math.exp), 1e-6, 1e-7);
    const w = randomArray(12, 7);
    await checkGradients((t) => wg.sum(wg.mul(wg.logSoftmax(t), wg.tensor(w, [3, 4]))), [randomArray(12, 8, -3, 3)], [[3, 4]]);
    await checkGradients((t) => wg.sum(wg.mul(wg.softmax(t, 0), wg.tensor(w, [3, 4]))), [randomArray(12, 9, -3, 3)], [[3, 4]]);
  });

  it('addN sums same-shape tensors and rejects mixed shapes', async () => {
    expectClose(await wg.addN([wg.tensor([1, 2]), wg.tensor([3, 4]), wg.tensor([5, 6])]).data(), [9, 12]);
    expect(() => wg.addN([wg.zeros([2]), wg.zeros([3])])).toThrowError(wg.ShapeError);
  });
});

describe('stack and addN', () => {
  it('stack puts same-shape tensors on a new leading axis, without a dispatch, and its VJP splits', async () => {
    const a = wg.tensor([[1, 2], [3, 4]]);
    const b = wg.tensor([[5, 6], [7, 8]]);
    const before = wg.memory().numDispatches;
    const s = wg.stack([a, b]);
    expect(wg.memory().numDispatches).toBe(before);
    expect(s.shape).toEqual([2, 2, 2]);
    expectClose(await s.data(), [1, 2, 3, 4, 5, 6, 7, 8]);
    const w = randomArray(8, 3);
    await checkGradients((x, y) => wg.sum(wg.mul(wg.stack([x, y]), wg.tensor(w, [2, 2, 2]))), [randomArray(4, 1), randomArray(4, 2)], [[2, 2], [2, 2]]);
    expect(() => wg.stack([a, wg.zeros([3])])).toThrowError(wg.ShapeError);
  });

  it('addN of many scalars is one dispatch, with the right gradient', async () => {
    const vs = Array.from({ length: 9 }, (_, i) => wg.variable(wg.scalar(i)));
    const before = wg.memory().numDispatches;
    const total = wg.addN(vs);
    expect(wg.memory().numDispatches).toBe(before + 1);
    expectClose(await total.data(), [36]);
    const tape = new wg.GradientTape();
    const y = tape.record(() => wg.mul(wg.addN(vs), 2));
    for (const g of tape.gradient(y, vs)) expectClose(await g!.data(), [2]);
  });
});
