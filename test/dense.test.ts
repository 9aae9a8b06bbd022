import { describe, expect, it } from 'vitest';
import * as wg from '../src';
import { dense, type DenseActivation } from '../src/ops/dense';
import { checkGradients, expectClose, randomArray } from './helpers';

// References in plain TypeScript: x·W + b by a triple loop, activations from their formulas.
function affineRef(x: Float32Array, w: Float32Array, b: Float32Array, m: number, k: number, n: number): number[] {
  const out = Array.from({ length: m * n }, (_, e) => b[e % n]);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) out[i * n + j] += x[i * k + p] * w[p * n + j];
  return out;
}

const [m, k, n] = [6, 5, 3];
const x = randomArray(m * k, 11, -2, 2);
const w = randomArray(k * n, 12);
const b = randomArray(n, 13);
const z = affineRef(x, w, b, m, k, n);

/** y = f(x·W + b), and how many dispatches it took. */
function run(activation: DenseActivation | ((y: wg.Tensor) => wg.Tensor), alpha?: number, shape = [m, k]): { y: wg.Tensor; dispatches: number } {
  const [xt, wt, bt] = [wg.tensor(x, shape), wg.tensor(w, [k, n]), wg.tensor(b)];
  const before = wg.memory().numDispatches;
  const y = dense(xt, wt, bt, activation, alpha);
  const dispatches = wg.memory().numDispatches - before;
  for (const t of [xt, wt, bt]) t.dispose();
  return { y, dispatches };
}

describe('dense op', () => {
  const cases: Array<[DenseActivation, number | undefined, (v: number) => number, boolean]> = [
    ['linear', undefined, (v) => v, true],
    ['relu', undefined, (v) => Math.max(v, 0), true],
    ['leakyRelu', undefined, (v) => (v > 0 ? v : 0.2 * v), true],
    ['leakyRelu', 0.05, (v) => (v > 0 ? v : 0.05 * v), true],
    ['leakyRelu', -0.5, (v) => (v > 0 ? v : -0.5 * v), false],
    ['elu', undefined, (v) => (v > 0 ? v : Math.exp(v) - 1), true],
    ['elu', 0.5, (v) => (v > 0 ? v : 0.5 * (Math.exp(v) - 1)), true],
    ['sigmoid', undefined, (v) => 1 / (1 + Math.exp(-v)), true],
    ['tanh', undefined, Math.tanh, true],
    ['softplus', undefined, (v) => Math.log1p(Math.exp(v)), false],
  ];
  for (const [activation, alpha, f, fused] of cases) {
    it(`${activation}${alpha === undefined ? '' : ` (alpha ${alpha})`} matches f(x·W + b), ${fused ? 'in the matmul kernel alone' : 'in a dispatch of its own after it'}`, async () => {
      const plain = run('linear');
      const { y, dispatches } = run(activation, alpha);
      expect(y.shape).toEqual([m, n]);
      expectClose(await y.data(), z.map(f), 1e-5, 1e-5);
      expect(dispatches).toBe(plain.dispatches + (fused ? 0 : 1));
      y.dispose();
      plain.y.dispose();
    });
  }

  it('softmax and a function run after the matmul, over the last axis', async () => {
    const soft = run('softmax');
    const rows = Array.from({ length: m }, (_, r) => {
      const e = z.slice(r * n, (r + 1) * n).map(Math.exp);
      const s = e.reduce((p, q) => p + q, 0);
      return e.map((v) => v / s);
    });
    expectClose(await soft.y.data(), rows.flat(), 1e-5, 1e-6);
    const doubled = run((t) => wg.mul(t, 2));
    expectClose(await doubled.y.data(), z.map((v) => 2 * v), 1e-5, 1e-5);
    for (const t of [soft.y, doubled.y]) t.dispose();
  });

  it('applies to the last axis of a rank-3 input and of a rank-1 input', async () => {
    const r3 = run('tanh', undefined, [2, m / 2, k]);
    expect(r3.y.shape).toEqual([2, m / 2, n]);
    expectClose(await r3.y.data(), z.map(Math.tanh), 1e-5, 1e-5);
    const [x1, wt] = [wg.tensor(x.slice(0, k)), wg.tensor(w, [k, n])];
    const r1 = dense(x1, wt, null, 'relu');
    expect(r1.shape).toEqual([n]);
    expectClose(await r1.data(), affineRef(x.slice(0, k), w, new Float32Array(n), 1, k, n).map((v) => Math.max(v, 0)), 1e-5, 1e-5);
    for (const t of [r3.y, x1, wt, r1]) t.dispose();
  });

  it('gradients match central differences, fused (elu, alpha 0.5) and not (softplus), rank 3', async () => {
    const shapes = [[2, 3, k], [k, n], [n]];
    const inputs = [randomArray(2 * 3 * k, 21), randomArray(k * n, 22), randomArray(n, 23)];
    const weights = wg.tensor(randomArray(2 * 3 * n, 24), [2, 3, n]);
    for (const [activation, alpha] of [['elu', 0.5], ['softplus', undefined]] as const) {
      await checkGradients((xt, wt, bt) => wg.sum(wg.mul(dense(xt, wt, bt, activation, alpha), weights)), inputs, shapes);
    }
    weights.dispose();
  });

  it('a kernel that is not rank 2, an input of another width or a non-finite alpha throws before any dispatch', () => {
    wg.tidy(() => {
      const before = wg.memory().numDispatches;
      expect(() => dense(wg.zeros([2, k]), wg.zeros([k]), null)).toThrow(wg.ShapeError);
      expect(() => dense(wg.zeros([2, k + 1]), wg.zeros([k, n]), null)).toThrow(/dense: x \[2,6\] does not end in the kernel's input dimension 5/);
      expect(() => dense(wg.zeros([2, k]), wg.zeros([k, n]), null, 'elu', NaN)).toThrow(wg.InvalidArgumentError);
      expect(wg.memory().numDispatches).toBe(before);
    });
  });
});
