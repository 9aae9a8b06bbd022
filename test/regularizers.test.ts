import { describe, expect, it } from 'vitest';
import * as wg from '../src';
import { checkGradients, expectClose, randomArray } from './helpers';

// Plain references, written from the Keras 3 formulas.
const l1Ref = (w: Float32Array, f: number): number => f * w.reduce((s, v) => s + Math.abs(v), 0);
const l2Ref = (w: Float32Array, f: number): number => f * w.reduce((s, v) => s + v * v, 0);

/** Keras 3 OrthogonalRegularizer: rows (or columns) scaled to unit norm, mean |cosine| of distinct pairs. */
function orthogonalRef(w: Float32Array, rows: number, cols: number, factor: number, mode: 'rows' | 'columns'): number {
  const vecs: number[][] = [];
  if (mode === 'rows') for (let i = 0; i < rows; i++) vecs.push(Array.from(w.subarray(i * cols, (i + 1) * cols)));
  else for (let j = 0; j < cols; j++) vecs.push(Array.from({ length: rows }, (_, i) => w[i * cols + j]));
  const unit = vecs.map((v) => {
    const inv = Math.min(1 / Math.sqrt(v.reduce((s, x) => s + x * x, 0)), 1e7);
    return v.map((x) => x * inv);
  });
  const n = unit.length;
  let total = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) total += Math.abs(unit[i].reduce((s, x, k) => s + x * unit[j][k], 0));
  return (factor * 0.5 * total) / ((n * (n - 1)) / 2);
}

async function value(t: wg.Tensor): Promise<number> {
  expect(t.shape).toEqual([]);
  return (await t.data())[0];
}

describe('regularizers: values', () => {
  // 9000 elements span three 4096-element chunks of the penalty kernel; 1 element is the smallest.
  for (const shape of [[1], [5, 7], [100, 90]]) {
    const n = shape.reduce((a, b) => a * b, 1);
    it(`l1, l2 and l1l2 match l·Σ|w| and l·Σw² on shape [${shape}]`, async () => {
      const w = randomArray(n, n, -2, 2);
      const t = wg.tensor(w, shape);
      // Relative tolerances: sums of thousands of float32 terms are good to a few ulps.
      expectClose([await value(wg.regularizers.l1(0.3).apply(t))], [l1Ref(w, 0.3)], 1e-5);
      expectClose([await value(wg.regularizers.l2({ l2: 0.7 }).apply(t))], [l2Ref(w, 0.7)], 1e-5);
      const both = await value(wg.regularizers.l1l2({ l1: 0.25, l2: 0.125 }).apply(t));
      expectClose([both], [l1Ref(w, 0.25) + l2Ref(w, 0.125)], 1e-5);
    });
  }

  it('defaults are 0.01 (l1, l2, and both factors of l1l2), as in Keras', async () => {
    const w = wg.tensor([[1, -2], [3, -4]]);
    expectClose([await value(wg.regularizers.l1().apply(w))], [0.1]);
    expectClose([await value(wg.regularizers.l2().apply(w))], [0.3]);
    expectClose([await value(wg.regularizers.l1l2().apply(w))], [0.4]);
    expectClose([await value(wg.regularizers.l1l2({ l2: 0 }).apply(w))], [0.1]);
  });

  it('an infinite weight under an L2-only penalty gives +Infinity, not NaN (zero factors drop their term)', async () => {
    expect(await value(wg.regularizers.l2(0.5).apply(wg.tensor([Infinity, 1])))).toBe(Infinity);
  });

  it('orthogonal matches the Keras 3 formula in rows and columns mode', async () => {
    const w = randomArray(4 * 6, 11);
    const t = wg.tensor(w, [4, 6]);
    for (const mode of ['rows', 'columns'] as const) {
      const got = await value(wg.regularizers.orthogonal({ factor: 0.2, mode }).apply(t));
      expectClose([got], [orthogonalRef(w, 4, 6, 0.2, mode)], 1e-4, 1e-6);
    }
    // Orthonormal rows have no penalty; identical rows the full factor.
    expectClose([await value(wg.regularizers.orthogonal({ factor: 0.5 }).apply(wg.tensor([[2, 0, 0], [0, 0, 3]])))], [0], 0, 1e-7);
    expectClose([await value(wg.regularizers.orthogonal({ factor: 0.5 }).apply(wg.tensor([[1, 2], [1, 2], [1, 2]])))], [0.5], 1e-5);
  });

  it('getConfig and className follow Keras', () => {
    expect(wg.regularizers.l1(0.5).getConfig()).toEqual({ l1: 0.5 });
    expect(wg.regularizers.l2(0.25).getConfig()).toEqual({ l2: 0.25 });
    expect(wg.regularizers.l1l2({ l1: 0.5 }).getConfig()).toEqual({ l1: 0.5, l2: 0.01 });
    expect(wg.regularizers.orthogonal().getConfig()).toEqual({ factor: 0.01, mode: 'rows' });
    expect((['l1', 'l2', 'l1l2'] as const).map((n) => wg.regularizers.get(n)!)).toSatisfy((rs: wg.regularizers.Regularizer[]) =>
      rs.map((r) => r.className).join() === 'L1,L2,L1L2');
    expect(wg.regularizers.orthogonal().className).toBe('OrthogonalRegularizer');
  });

  it('reads nothing back: apply returns a GPU scalar in 2 dispatches (l1l2 is one fused pass)', () => {
    const w = wg.tensor(randomArray(9000, 5), [9000]);
    const before = wg.memory().numDispatches;
    const p = wg.regularizers.l1l2().apply(w);
    expect(wg.memory().numDispatches - before).toBe(2);
    expect(p).toBeInstanceOf(wg.Tensor);
  });
});

describe('regularizers: invalid arguments', () => {
  const badFactors: number[] = [
    -0.1, NaN, Infinity, -Infinity,
    // @ts-expect-error a numeric string: rejected, not coerced
    '0.1',
  ];
  for (const bad of badFactors) {
    it(`rejects the factor ${String(bad)} with InvalidArgumentError`, () => {
      expect(() => wg.regularizers.l1(bad)).toThrow(wg.InvalidArgumentError);
      expect(() => wg.regularizers.l2({ l2: bad })).toThrow(wg.InvalidArgumentError);
      expect(() => wg.regularizers.l1l2({ l1: 0.1, l2: bad })).toThrow(wg.InvalidArgumentError);
      expect(() => wg.regularizers.orthogonal({ factor: bad })).toThrow(wg.InvalidArgumentError);
    });
  }

  it('rejects an unknown orthogonal mode, a non-rank-2 orthogonal input, an unknown name and a non-tensor', () => {
    // @ts-expect-error an unknown mode: rejected at run time too
    expect(() => wg.regularizers.orthogonal({ mode: 'diagonal' })).toThrow(wg.InvalidArgumentError);
    expect(() => wg.regularizers.orthogonal().apply(wg.tensor([1, 2, 3]))).toThrow(wg.ShapeError);
    // @ts-expect-error an unknown name: rejected at run time too
    expect(() => wg.regularizers.get('l3')).toThrow(wg.InvalidArgumentError);
    // @ts-expect-error an array is not a Tensor: rejected at run time too
    expect(() => wg.regularizers.l2().apply([1, 2])).toThrow(wg.InvalidArgumentError);
  });

  it('a factor of 0 is valid and gives 0', async () => {
    expect(await value(wg.regularizers.l1(0).apply(wg.tensor([1, -2])))).toBe(0);
  });
});

describe('regularizers: gradients', () => {
  it('d/dw (l1·Σ|w| + l2·Σw²) = l1·sign(w) + 2·l2·w, with sign(0) = 0', async () => {
    const w = randomArray(9000, 3, -1, 1);
    w[7] = 0;
    const v = wg.variable(wg.tensor(w, [30, 300]));
    const tape = new wg.GradientTape();
    const p = tape.record(() => wg.regularizers.l1l2({ l1: 0.3, l2: 0.05 }).apply(v));
    const g = tape.gradient(p, v)!;
    expectClose(await g.data(), Array.from(w, (x) => 0.3 * Math.sign(x) + 2 * 0.05 * x), 1e-5, 1e-6);
    expect((await g.data())[7]).toBe(0);
  });

  it('the penalty gradient adds into a gradient the weight already has (same weight used elsewhere)', async () => {
    const w = randomArray(9000, 4);
    const v = wg.variable(wg.tensor(w, [100, 90]));
    const tape = new wg.GradientTape();
    const total = tape.record(() => wg.add(wg.sum(wg.mul(v, 3)), wg.regularizers.l2(0.5).apply(v)));
    const g = tape.gradient(total, v)!;
    expectClose(await g.data(), Array.from(w, (x) => 3 + x), 1e-5, 1e-6);
  });

  it('a regularizer of a computed (non-leaf) tensor passes its gradient on', async () => {
    await checkGradients((x) => wg.regularizers.l1l2({ l1: 0.2, l2: 0.3 }).apply(wg.mul(x, x)), [randomArray(12, 8)], [[3, 4]]);
  });

  it('orthogonal gradient matches central differences (rows and columns)', async () => {
    for (const mode of ['rows', 'columns'] as const) {
      await checkGradients((x) => wg.regularizers.orthogonal({ factor: 1, mode }).apply(x), [randomArray(15, 9 + mode.length)], [[3, 5]], {
        h: 1e-3,
      });
    }
  });
});

describe('the multi-tensor penalty kernel on ragged sizes', () => {
  it('sizes that are not multiples of 4 or of a chunk give the formula and its gradient', async () => {
    const { penaltyTerms } = await import('../src/ops/penalty');
    const sizes = [1, 3, 4097, 5, 8191, 6];
    const values = sizes.map((n, i) => Float32Array.from({ length: n }, (_, j) => Math.sin(7 * i + 0.37 * j) * (j % 5 === 0 ? 0 : 1)));
    const factors = sizes.map((_, i) => ({ l1: 0.01 * (i + 1), l2: 0.003 * (6 - i) }));
    const vars = values.map((v) => wg.variable(wg.tensor(v)));
    const tape = new wg.GradientTape();
    const terms = tape.record(() => penaltyTerms(vars, factors));
    for (let i = 0; i < sizes.length; i++) {
      const v = values[i];
      const want = factors[i].l1 * v.reduce((s, x) => s + Math.abs(x), 0) + factors[i].l2 * v.reduce((s, x) => s + x * x, 0);
      const [got] = await terms[i].data();
      expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want)));
    }
    const total = tape.record(() => wg.addN(terms));
    const grads = tape.gradient(total, vars);
    for (let i = 0; i < sizes.length; i++) {
      const g = await grads[i]!.data();
      const want = Array.from(values[i], (x) => factors[i].l1 * Math.sign(x) + 2 * factors[i].l2 * x);
      for (let j = 0; j < want.length; j++) expect(Math.abs(g[j] - want[j])).toBeLessThanOrEqual(1e-6);
    }
  });
});
