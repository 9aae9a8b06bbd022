import { describe, expect, it } from 'vitest';
import * as wg from '../src';
import { checkGradients, expectClose, randomArray, size } from './helpers';

// Plain-TypeScript references, written from the formulas.
const erf = (x: number): number => {
  // Series/continued-fraction-free reference: numeric integration of 2/√π e^{-t²} (Simpson, 2000 steps).
  const n = 2000;
  const h = x / n;
  let s = 1 + Math.exp(-x * x);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-((i * h) ** 2));
  return (2 / Math.sqrt(Math.PI)) * (h / 3) * s;
};
const unaryRef = {
  neg: (x) => -x,
  square: (x) => x * x,
  sqrt: (x) => Math.sqrt(x),
  exp: (x) => Math.exp(x),
  log: (x) => Math.log(x),
  abs: (x) => Math.abs(x),
  sign: (x) => Math.sign(x),
  relu: (x) => Math.max(x, 0),
  leakyRelu: (x) => (x > 0 ? x : 0.2 * x),
  elu: (x) => (x > 0 ? x : Math.exp(x) - 1),
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: (x) => Math.tanh(x),
  softplus: (x) => Math.log1p(Math.exp(x)),
} satisfies Record<string, (x: number) => number>;
const positiveOnly = new Set<UnaryName>(['sqrt', 'log']);
type UnaryName = keyof typeof unaryRef;
const unaryFn = (name: UnaryName): ((x: wg.Tensor) => wg.Tensor) => wg[name];

describe('elementwise kernels over several blocks of 4096 floats and a ragged tail', () => {
  // The kernels work on vec4s, 1024 per workgroup: 3 whole blocks, then 5 floats (one vec4 and one lane).
  const n = 3 * 4096 + 5;
  it('tanh and its VJP match the formulas on every element', async () => {
    const x = randomArray(n, 31, -3, 3);
    const dy = randomArray(n, 32, -1, 1);
    const xt = wg.tensor(x);
    const tape = new wg.GradientTape();
    tape.watch(xt);
    const y = tape.record(() => wg.tanh(xt));
    const dx = tape.gradient(y, xt, wg.tensor(dy))!;
    expectClose(await y.data(), Array.from(x, Math.tanh), 2e-6, 2e-6);
    expectClose(await dx.data(), Array.from(x, (v, i) => dy[i] * (1 - Math.tanh(v) ** 2)), 2e-5, 2e-6);
  });
  it('binary ops on vec4s: same shapes, a repeating row on either side, a scalar on either side', async () => {
    const a = randomArray(n, 35, -2, 2);
    const b = randomArray(n, 36, 0.5, 2);
    const at = wg.tensor(a);
    expectClose(await wg.sub(at, wg.tensor(b)).data(), Array.from(a, (v, i) => v - b[i]));
    expectClose(await wg.div(3, at).data(), Array.from(a, (v) => 3 / v), 1e-5);
    expectClose(await wg.maximum(at, 0.5).data(), Array.from(a, (v) => Math.max(v, 0.5)));
    const rows = 193; // × 64 columns: 12,352 floats, 3 blocks and a part
    const m = randomArray(rows * 64, 37, -2, 2);
    const row = randomArray(64, 38, 0.5, 2);
    const mt = wg.tensor(m, [rows, 64]);
    const rt = wg.tensor(row, [64]);
    expectClose(await wg.mul(mt, rt).data(), Array.from(m, (v, i) => v * row[i % 64]));
    expectClose(await wg.sub(rt, mt).data(), Array.from(m, (v, i) => row[i % 64] - v));
  });
  it('an sgd update with momentum changes every element, and only by the rule', async () => {
    const w0 = randomArray(n, 33);
    const g = randomArray(n, 34);
    const v = wg.variable(wg.tensor(w0));
    const opt = wg.optimizers.sgd({ learningRate: 0.5, momentum: 0.9 });
    opt.applyGradients([wg.tensor(g)], [v]);
    opt.applyGradients([wg.tensor(g)], [v]);
    // m1 = −lr·g, m2 = μ·m1 − lr·g; w2 = w0 + m1 + m2 = w0 − lr·g·(2 + μ)
    expectClose(await v.data(), Array.from(w0, (w, i) => w - 0.5 * g[i] * 2.9), 1e-5, 1e-6);
    opt.dispose();
  });
});

describe('unary ops', () => {
  for (const name of Object.keys(unaryRef) as UnaryName[]) {
    it(`${name} forward matches the formula on 257 values`, async () => {
      const x = randomArray(257, 1, positiveOnly.has(name) ? 0.1 : -4, 4);
      const y = unaryFn(name)(wg.tensor(x));
      expectClose(await y.data(), Array.from(x, unaryRef[name]), 2e-6, 2e-6);
    });
    if (name !== 'sign') {
      it(`${name} VJP matches central differences (shape [3,17])`, async () => {
        // Keep away from kinks (0 for relu-like ops, abs) where finite differences straddle.
        const x = randomArray(51, 2, positiveOnly.has(name) ? 0.5 : -2, 2).map((v) => (Math.abs(v) < 0.05 ? 0.3 : v));
        const w = randomArray(51, 3);
        await checkGradients((t) => wg.sum(wg.mul(unaryFn(name)(t), wg.tensor(w, [3, 17]))), [x], [[3, 17]]);
      });
    }
  }

  it('activations stay finite for large |x| (sigmoid, tanh, softplus, gelu, elu)', async () => {
    const x = wg.tensor([-1000, -90, 90, 1000]);
    for (const [f, ref] of [
      [wg.sigmoid, [0, 0, 1, 1]],
      [wg.tanh, [-1, -1, 1, 1]],
      [wg.softplus, [0, 0, 90, 1000]],
      [wg.gelu, [-0, -0, 90, 1000]],
      [wg.elu, [-1, -1, 90, 1000]],
    ] as const) {
      expectClose(await f(x).data(), ref, 1e-6, 1e-6);
    }
  });

  it('leakyRelu and elu take alpha', async () => {
    const x = wg.tensor([-2, 3]);
    expectClose(await wg.leakyRelu(x, 0.1).data(), [-0.2, 3]);
    expectClose(await wg.elu(x, 2).data(), [2 * (Math.exp(-2) - 1), 3], 1e-6);
  });
});

const binaryRef = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  maximum: (a, b) => Math.max(a, b),
  minimum: (a, b) => Math.min(a, b),
} satisfies Record<string, (a: number, b: number) => number>;
type BinaryName = keyof typeof binaryRef;
const binaryFn = (name: BinaryName): ((a: wg.Tensor, b: wg.Tensor) => wg.Tensor) => wg[name];

/** Reference broadcasting: index each operand by the output coordinate, 1-dims pinned to 0. */
function broadcastRef(f: (a: number, b: number) => number, a: Float32Array, as: number[], b: Float32Array, bs: number[]) {
  const rank = Math.max(as.length, bs.length);
  const pa = [...Array(rank - as.length).fill(1), ...as];
  const pb = [...Array(rank - bs.length).fill(1), ...bs];
  const out = pa.map((d, i) => Math.max(d, pb[i]));
  const n = size(out);
  const res = new Float32Array(n);
  const flat = (shape: number[], coord: number[]) => coord.reduce((acc, c, i) => acc * shape[i] + (shape[i] === 1 ? 0 : c), 0);
  for (let i = 0; i < n; i++) {
    const coord: number[] = [];
    let rem = i;
    for (let d = rank - 1; d >= 0; d--) {
      coord[d] = rem % out[d];
      rem = Math.floor(rem / out[d]);
    }
    res[i] = f(a[flat(pa, coord)], b[flat(pb, coord)]);
  }
  return { out, res };
}

describe('binary ops with broadcasting', () => {
  const cases: Array<[number[], number[]]> = [
    [[33], [33]],
    [[3, 17], [17]], // b repeats as a trailing block
    [[1, 17], [4, 3, 17]], // a repeats as a trailing block
    [[3, 1], [1, 17]],
    [[2, 3, 5], [3, 1]],
    [[1], [129]],
    [[], [4, 3]],
  ];
  for (const name of Object.keys(binaryRef) as BinaryName[]) {
    for (const [as, bs] of cases) {
      it(`${name} [${as}] with [${bs}] matches the reference`, async () => {
        const a = randomArray(size(as), 11, -3, 3);
        const b = randomArray(size(bs), 12, 0.5, 3);
        const { out, res } = broadcastRef(binaryRef[name], a, as, b, bs);
        const y = binaryFn(name)(wg.tensor(a, as), wg.tensor(b, bs));
        expect(y.shape).toEqual(out);
        expectClose(await y.data(), res, 1e-6, 1e-6);
      });
    }
    it(`${name} VJP un-broadcasts: [3,1] with [1,17] against central differences`, async () => {
      const a = randomArray(3, 21, -2, 2);
      const b = randomArray(17, 22, 0.5, 2).map((v, i) => v + (i % 2 ? 2.5 : 0)); // keep max/min off ties
      const w = randomArray(51, 23);
      await checkGradients(
        (x, y) => wg.sum(wg.mul(binaryFn(name)(x, y), wg.tensor(w, [3, 17]))),
        [a, b],
        [[3, 1], [1, 17]],
      );
    });
  }

  it('accepts JS numbers on either side', async () => {
    const x = wg.tensor([1, 2, 4]);
    expectClose(await wg.sub(10, x).data(), [9, 8, 6]);
    expectClose(await wg.div(x, 4).data(), [0.25, 0.5, 1]);
    expectClose(await x.mul(3).add(1).data(), [4, 7, 13]);
  });

  it('comparisons give 1 and 0', async () => {
    const a = wg.tensor([1, 2, 3]);
    const b = wg.tensor([2, 2, 2]);
    expectClose(await wg.greater(a, b).data(), [0, 0, 1]);
    expectClose(await wg.greaterEqual(a, b).data(), [0, 1, 1]);
    expectClose(await wg.less(a, b).data(), [1, 0, 0]);
    expectClose(await wg.lessEqual(a, b).data(), [1, 1, 0]);
    expectClose(await wg.equal(a, b).data(), [0, 1, 0]);
  });

  it('a shape mismatch throws ShapeError naming the op and both shapes', () => {
    expect(() => wg.add(wg.zeros([3, 4]), wg.zeros([5]))).toThrowError(wg.ShapeError);
    expect(() => wg.add(wg.zeros([3, 4]), wg.zeros([5]))).toThrowError(/add.*\[3,4\].*\[5\]/);
  });
});
