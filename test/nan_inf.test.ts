// NaN, ±Infinity and ±0 through every op, against TensorFlow.js's CPU backend: the same NaNs, the
// same infinities (sign included), and finite values within float32 tolerance. WGSL lets
// compilers assume finite math, so the kernels build NaN and infinities from bits and test for
// NaN with bit tests; this file is what holds them to it, on whatever adapter runs the tests.
// A table per op (input, webgrad, TensorFlow.js) is printed for the record.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../src';
import { forceMatmulKernel } from '../src/ops/matmul_kernel';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Special values first, then ordinary ones; ±90 overflow exp, ±1 and 0 are edges of log, pow, sign. */
const V = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -2.5, 3, 90, -90];

const show = (v: number) => (Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : String(Math.fround(v)));

/** Same NaN-ness, identical infinities, finite values within rtol/atol. */
function agrees(actual: number, expected: number, rtol: number, atol: number): boolean {
  if (Number.isNaN(expected) || Number.isNaN(actual)) return Number.isNaN(expected) && Number.isNaN(actual);
  if (!Number.isFinite(expected) || !Number.isFinite(actual)) return actual === expected;
  return Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
}

const tables: string[] = [];
afterAll(() => console.log(tables.join('\n\n')));

/**
 * Compares element by element and fails listing every disagreement; records the table (input,
 * webgrad, TensorFlow.js) unless `record` is false.
 */
function compare(op: string, inputs: string[], actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 2e-5, atol = 1e-6, record = true): void {
  expect(actual.length, op).toBe(expected.length);
  const width = Math.max(5, ...inputs.map((s) => s.length));
  const lines = [`${op}\n  ${'input'.padEnd(width)}  ${'webgrad'.padEnd(14)}  tfjs`];
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const ok = agrees(actual[i], expected[i], rtol, atol);
    const line = `  ${inputs[i].padEnd(width)}  ${show(actual[i]).padEnd(14)}  ${show(expected[i])}${ok ? '' : '   ✗'}`;
    lines.push(line);
    if (!ok) bad.push(line.trim());
  }
  if (record) tables.push(lines.join('\n'));
  expect(bad, `${op}: webgrad vs TensorFlow.js`).toEqual([]);
}

/** A binary op's table as a grid, a down and b across: webgrad's value, and TensorFlow.js's after ≠ where they differ. */
function recordGrid(op: string, actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number): void {
  const cell = (i: number) => {
    const [w, t] = [show(actual[i]), show(expected[i])];
    return ` ${(agrees(actual[i], expected[i], rtol, 1e-6) ? (w.length > 9 ? Number(w).toPrecision(4) : w) : `${w}≠${t}`).padStart(9)}`;
  };
  const lines = [`${op} (a down, b across; webgrad, which equals TensorFlow.js unless marked ≠)`, ` ${'a \\ b'.padStart(9)}${V.map((v) => ` ${show(v).padStart(9)}`).join('')}`];
  V.forEach((u, r) => lines.push(` ${show(u).padStart(9)}${V.map((_, c) => cell(r * V.length + c)).join('')}`));
  tables.push(lines.join('\n'));
}

const tfData = (t: tf.Tensor) => Float32Array.from(t.dataSync() as ArrayLike<number>);

describe('unary ops on NaN, ±Infinity, ±0 and ordinary values', () => {
  const cases: Array<[string, (x: wg.Tensor) => wg.Tensor, (x: tf.Tensor) => tf.Tensor, number?]> = [
    ['neg', wg.neg, tf.neg],
    ['square', wg.square, tf.square],
    ['sqrt', wg.sqrt, tf.sqrt],
    ['rsqrt', wg.rsqrt, tf.rsqrt],
    ['exp', wg.exp, tf.exp, 1e-5],
    ['log', wg.log, tf.log],
    ['abs', wg.abs, tf.abs],
    ['sign', wg.sign, tf.sign],
    ['relu', wg.relu, tf.relu],
    ['leakyRelu(0.2)', (x) => wg.leakyRelu(x, 0.2), (x) => tf.leakyRelu(x, 0.2)],
    ['elu', wg.elu, tf.elu],
    ['sigmoid', wg.sigmoid, tf.sigmoid],
    ['tanh', wg.tanh, tf.tanh],
    ['softplus', wg.softplus, tf.softplus],
    ['clipByValue(-1, 2)', (x) => wg.clipByValue(x, -1, 2), (x) => tf.clipByValue(x, -1, 2)],
    ['clone', (x) => wg.clone(x), (x) => tf.clone(x)],
  ];
  for (const [op, f, ref, rtol] of cases) {
    it(op, async () => {
      const x = wg.tensor(V);
      const y = f(x);
      compare(op, V.map(show), await y.data(), tf.tidy(() => tfData(ref(tf.tensor(V)))), rtol);
      x.dispose();
      y.dispose();
    });
  }

  it('gelu (TensorFlow.js has none: TensorFlow\'s definition ½x(1 + erf(x/√2)), in float64)', async () => {
    // erf to 1e-15 by its Taylor series (|z| < 3) or its asymptotic bound; ±1 beyond.
    const erf = (z: number): number => {
      if (Number.isNaN(z)) return NaN;
      if (Math.abs(z) > 6) return Math.sign(z);
      let term = z;
      let total = z;
      for (let n = 1; n < 200; n++) {
        term *= (-z * z) / n;
        total += term / (2 * n + 1);
      }
      return (2 / Math.sqrt(Math.PI)) * total;
    };
    const x = wg.tensor(V);
    const y = wg.gelu(x);
    compare('gelu', V.map(show), await y.data(), V.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))), 1e-5);
    x.dispose();
    y.dispose();
  });
});

describe('binary ops on every pair of those values', () => {
  const a = V.flatMap((u) => V.map(() => u));
  const b = V.flatMap(() => V);
  const labels = a.map((u, i) => `${show(u)}, ${show(b[i])}`);
  const bool = (t: tf.Tensor) => t.toFloat();
  const cases: Array<[string, (x: wg.Tensor, y: wg.Tensor | number) => wg.Tensor, (x: tf.Tensor, y: tf.Tensor) => tf.Tensor, number?]> = [
    ['add', wg.add, tf.add],
    ['sub', wg.sub, tf.sub],
    ['mul', wg.mul, tf.mul],
    ['div', wg.div, tf.div],
    ['maximum', wg.maximum, tf.maximum],
    ['minimum', wg.minimum, tf.minimum],
    ['greater', wg.greater, (x, y) => bool(tf.greater(x, y))],
    ['greaterEqual', wg.greaterEqual, (x, y) => bool(tf.greaterEqual(x, y))],
    ['less', wg.less, (x, y) => bool(tf.less(x, y))],
    ['lessEqual', wg.lessEqual, (x, y) => bool(tf.lessEqual(x, y))],
    ['equal', wg.equal, (x, y) => bool(tf.equal(x, y))],
    ['pow', wg.pow, tf.pow, 1e-5],
  ];
  for (const [op, f, ref, rtol] of cases) {
    it(op, async () => {
      const x = wg.tensor(a);
      const y = wg.tensor(b);
      const out = f(x, y);
      const expected = tf.tidy(() => tfData(ref(tf.tensor(a), tf.tensor(b))));
      const values = await out.data();
      recordGrid(op, values, expected, rtol ?? 2e-5);
      compare(op, labels, values, expected, rtol, 1e-6, false);
      // The same with b a number (a uniform in the kernel) and with b a broadcast row.
      const column = wg.tensor(V);
      for (const [k, v] of V.entries()) {
        const want = V.map((_, i) => expected[i * V.length + k]);
        const row = wg.tensor([v]);
        const byNumber = f(column, v);
        const byRow = f(column, row);
        compare(`${op} (b = ${show(v)}, a number)`, V.map(show), await byNumber.data(), want, rtol, 1e-6, false);
        compare(`${op} (b = [${show(v)}], broadcast)`, V.map(show), await byRow.data(), want, rtol, 1e-6, false);
        for (const t of [row, byNumber, byRow]) t.dispose();
      }
      column.dispose();
      for (const t of [x, y, out]) t.dispose();
    });
  }

  it('where: a condition that is NaN, ±0 or ±Infinity', async () => {
    const cond = wg.tensor(V);
    const x = wg.tensor(V);
    const y = wg.tensor([...V].reverse());
    const out = wg.where(cond, x, y);
    const expected = tf.tidy(() => tfData(tf.where(tf.notEqual(tf.tensor(V), 0), tf.tensor(V), tf.tensor([...V].reverse()))));
    compare('where(cond, x, reversed x)', V.map((v, i) => `${show(v)} ? ${show(V[i])} : ${show(V[V.length - 1 - i])}`), await out.data(), expected);
    for (const t of [cond, x, y, out]) t.dispose();
  });
});

/** Rows for reductions and softmax: NaN at each place, all −∞, ∞ − ∞, ∞ with finite values, ±0. */
const ROWS = [
  [NaN, 1, 2],
  [1, NaN, 2],
  [1, 2, NaN],
  [-Infinity, -Infinity, -Infinity],
  [Infinity, Infinity, Infinity],
  [Infinity, -Infinity, 0],
  [Infinity, 1, 2],
  [-Infinity, 1, 2],
  [0, -0, 0],
  [90, -90, 3],
];
const rowLabels = ROWS.map((r) => `[${r.map(show).join(', ')}]`);

describe('reductions, softmax, matmul, losses and gather', () => {
  const reductions: Array<[string, (x: wg.Tensor, axis?: number | number[]) => wg.Tensor, (x: tf.Tensor, axis?: number | number[]) => tf.Tensor]> = [
    ['sum', (x, axis) => wg.sum(x, axis), (x, axis) => tf.sum(x, axis)],
    ['max', (x, axis) => wg.max(x, axis), (x, axis) => tf.max(x, axis)],
    ['mean', (x, axis) => wg.mean(x, axis), (x, axis) => tf.mean(x, axis)],
  ];
  for (const [op, f, ref] of reductions) {
    it(`${op}: over rows, over a long axis (one workgroup per output), over scattered axes`, async () => {
      const x = wg.tensor(ROWS);
      const y = f(x, 1);
      compare(`${op} over each row`, rowLabels, await y.data(), tf.tidy(() => tfData(ref(tf.tensor(ROWS), 1))));
      // 300 values per row: the 'wide' entry point, a tree in workgroup memory.
      const long = [
        Array.from({ length: 300 }, () => -Infinity),
        Array.from({ length: 300 }, (_, i) => (i === 257 ? NaN : i)),
        Array.from({ length: 300 }, (_, i) => (i === 3 ? Infinity : i === 200 ? -Infinity : 1)),
        Array.from({ length: 300 }, (_, i) => (i === 299 ? Infinity : -i)),
      ];
      const lx = wg.tensor(long);
      const ly = f(lx, 1);
      compare(`${op} over 300 values`, ['300 × -Infinity', 'NaN at 257 of 0 … 299', 'Infinity at 3, -Infinity at 200', 'Infinity at 299 of 0 … -298'], await ly.data(), tf.tidy(() => tfData(ref(tf.tensor(long), 1))));
      // Axes 0 and 2 of [2, 5, 3]: gathered by a strided copy, then reduced.
      const cube = ROWS.flat();
      const cx = wg.tensor(cube, [2, 5, 3]);
      const cy = f(cx, [0, 2]);
      compare(`${op} over axes 0 and 2 of the rows as [2, 5, 3]`, [0, 1, 2, 3, 4].map((i) => `middle index ${i}`), await cy.data(), tf.tidy(() => tfData(ref(tf.tensor(cube, [2, 5, 3]), [0, 2]))));
      for (const t of [x, y, lx, ly, cx, cy]) t.dispose();
    });
  }

  for (const op of ['softmax', 'logSoftmax'] as const) {
    it(op, async () => {
      const x = wg.tensor(ROWS);
      const y = wg[op](x);
      const labels = ROWS.flatMap((r, i) => r.map((_, j) => `${rowLabels[i]}[${j}]`));
      compare(op, labels, await y.data(), tf.tidy(() => tfData(tf[op](tf.tensor(ROWS)))), 1e-5);
      x.dispose();
      y.dispose();
    });
  }

  it('addN of three tensors', async () => {
    const ts = [V, [...V].reverse(), V.map((_, i) => V[(i + 5) % V.length])];
    const out = wg.addN(ts.map((t) => wg.tensor(t)));
    compare('addN', V.map((_, i) => ts.map((t) => show(t[i])).join(' + ')), await out.data(), tf.tidy(() => tfData(tf.addN(ts.map((t) => tf.tensor(t))))));
    out.dispose();
  });

  for (const kernel of ['matmul', 'matmul_tiled'] as const) {
    it(`matmul (${kernel}), plain and with a fused bias and relu`, async () => {
      forceMatmulKernel(kernel);
      try {
        const A = [[NaN, 1, 0], [Infinity, 1, 2], [-Infinity, 0, 1], [1, 2, 3], [0, 0, 0], [Infinity, -Infinity, 1]];
        const B = [[1, 0], [2, Infinity], [0, 1]];
        const bias = [0.5, -Infinity];
        const labels = A.flatMap((r) => [0, 1].map((j) => `row [${r.map(show).join(', ')}] · column ${j}`));
        const a = wg.tensor(A);
        const b = wg.tensor(B);
        const bt = wg.tensor(bias);
        const c = wg.matmul(a, b);
        compare(`matmul (${kernel})`, labels, await c.data(), tf.tidy(() => tfData(tf.matMul(tf.tensor(A), tf.tensor(B)))));
        const fused = wg.matmul(a, b, { bias: bt, activation: 'relu' });
        compare(
          `matmul (${kernel}) + [0.5, -Infinity], relu`,
          labels,
          await fused.data(),
          tf.tidy(() => tfData(tf.fused.matMul({ a: tf.tensor(A), b: tf.tensor(B), bias: tf.tensor(bias), activation: 'relu' }))),
        );
        for (const t of [a, b, bt, c, fused]) t.dispose();
      } finally {
        forceMatmulKernel(undefined);
      }
    });
  }

  it('losses: mean squared and absolute error, cross-entropies from logits', async () => {
    const pairs: Array<[number[], number[]]> = [
      [[0, 0], [1, NaN]],
      [[0, 0], [Infinity, 1]],
      [[Infinity, 1], [Infinity, 1]],
      [[Infinity, 0], [-Infinity, 0]],
      [[1, 2], [3, -1]],
    ];
    const pairLabels = pairs.map(([t, p]) => `y [${t.map(show)}], pred [${p.map(show)}]`);
    const run = async (f: (t: wg.Tensor, p: wg.Tensor) => wg.Tensor) =>
      Promise.all(pairs.map(async ([t, p]) => {
        const [tt, pt] = [wg.tensor(t), wg.tensor(p)];
        const out = f(tt, pt);
        const [v] = await out.data();
        for (const x of [tt, pt, out]) x.dispose();
        return v;
      }));
    const ref = (f: (t: tf.Tensor, p: tf.Tensor) => tf.Tensor) => pairs.map(([t, p]) => tf.tidy(() => tfData(f(tf.tensor(t), tf.tensor(p)))[0]));
    compare('meanSquaredError', pairLabels, await run(wg.losses.meanSquaredError), ref((t, p) => tf.losses.meanSquaredError(t, p)));
    compare('meanAbsoluteError', pairLabels, await run(wg.losses.meanAbsoluteError), ref((t, p) => tf.losses.absoluteDifference(t, p)));
    compare('binaryCrossentropy from logits', pairLabels, await run((t, p) => wg.losses.binaryCrossentropy(t, p, { fromLogits: true })), ref((t, p) => tf.losses.sigmoidCrossEntropy(t, p)));

    // Softmax cross-entropy of each row of logits against a one-hot label.
    const classes = ROWS.map((r, i) => [1, 2, 0, 1, 0, 2, 1, 1, 0, 2][i] % r.length);
    const oneHot = classes.map((c) => [0, 1, 2].map((j) => (j === c ? 1 : 0)));
    const ce = async (sparse: boolean) =>
      Promise.all(ROWS.map(async (r, i) => {
        const [x, t] = [wg.tensor([r]), sparse ? wg.tensor([classes[i]]) : wg.tensor([oneHot[i]])];
        const out = sparse ? wg.losses.sparseCategoricalCrossentropy(t, x, { fromLogits: true }) : wg.losses.categoricalCrossentropy(t, x, { fromLogits: true });
        const [v] = await out.data();
        for (const u of [x, t, out]) u.dispose();
        return v;
      }));
    const ceLabels = ROWS.map((_, i) => `${rowLabels[i]}, class ${classes[i]}`);
    compare('categoricalCrossentropy from logits', ceLabels, await ce(false), ROWS.map((r, i) => tf.tidy(() => tfData(tf.losses.softmaxCrossEntropy(tf.tensor([oneHot[i]]), tf.tensor([r])))[0])), 1e-5);
    // TensorFlow.js has no sparse form; TensorFlow's sparse op is lse(x) − x_label (float64 here),
    // which, unlike the one-hot product, keeps a −∞ logit of another class from making NaN.
    const lse = (r: number[]) => {
      const m = r.some(Number.isNaN) ? NaN : Math.max(...r);
      return m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0));
    };
    compare('sparseCategoricalCrossentropy from logits (TensorFlow\'s definition, float64)', ceLabels, await ce(true), ROWS.map((r, i) => lse(r) - r[classes[i]]), 1e-5);
  });

  it('gather copies NaN and infinities as they are', async () => {
    const x = wg.tensor(V, [V.length, 1]);
    const indices = [0, 1, 2, 4, 11, 0];
    const y = wg.gather(x, indices);
    compare('gather', indices.map((i) => `row ${i}`), await y.data(), tf.tidy(() => tfData(tf.gather(tf.tensor(V, [V.length, 1]), tf.tensor(indices, undefined, 'int32')))));
    x.dispose();
    y.dispose();
  });
});
