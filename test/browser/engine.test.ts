// The engine's core checks inside a real page: Chromium's WebGPU (SwiftShader without a GPU),
// the bundled library as a browser loads it, not Node's Dawn.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose, randomArray } from '../helpers';
import { type BrowserSession, type OpenPage, startBrowser } from './harness';

type Wg = typeof import('../../src/index');
declare const wg: Wg;

let session: BrowserSession;
let check: OpenPage;

beforeAll(async () => {
  session = await startBrowser();
  check = await session.open('check.html');
  await check.page.waitForFunction(() => document.body.dataset.ready === 'true');
  await check.page.evaluate(async () => {
    await wg.init();
  });
});

afterAll(async () => {
  await session?.close();
});

describe('webgrad in headless Chromium', () => {
  it('runs on the page adapter', async () => {
    const adapter = await check.page.evaluate(async () => (await wg.init()).adapter);
    expect(adapter.length).toBeGreaterThan(0);
  });

  it('GradientTape: d/dw [Σ w·x² + Σ tanh(w)] = x² + 1 − tanh²(w)', async () => {
    const x = randomArray(37, 1);
    const w = randomArray(37, 2);
    const [value, grad] = await check.page.evaluate(
      async (xs: number[], ws: number[]) => {
        const xt = wg.tensor(xs);
        const wv = wg.variable(wg.tensor(ws));
        const tape = new wg.GradientTape();
        const y = tape.record(() => wg.add(wg.sum(wg.mul(wv, wg.square(xt))), wg.sum(wg.tanh(wv))));
        const [g] = tape.gradient(y, [wv]);
        const out = [Array.from(await y.data()), Array.from(await g!.data())];
        for (const t of [xt, wv, y, g!]) t.dispose();
        return out;
      },
      Array.from(x),
      Array.from(w),
    );
    const expectedValue = x.reduce((s, xi, i) => s + w[i] * xi * xi + Math.tanh(w[i]), 0);
    expectClose(value, [expectedValue], 1e-5, 1e-5);
    expectClose(grad, Array.from(x, (xi, i) => xi * xi + 1 - Math.tanh(w[i]) ** 2), 1e-5, 1e-6);
  });

  it('GradientTape through matmul: d/dW Σ (XW)² = 2 Xᵀ(XW)', async () => {
    const [n, k, m] = [9, 7, 5];
    const X = randomArray(n * k, 3);
    const W = randomArray(k * m, 4);
    const grad = await check.page.evaluate(
      async (xs: number[], ws: number[], dims: number[]) => {
        const [n, k, m] = dims;
        const xt = wg.tensor(xs, [n, k]);
        const wv = wg.variable(wg.tensor(ws, [k, m]));
        const tape = new wg.GradientTape();
        const y = tape.record(() => wg.sum(wg.square(wg.matmul(xt, wv))));
        const [g] = tape.gradient(y, [wv]);
        const out = Array.from(await g!.data());
        for (const t of [xt, wv, y, g!]) t.dispose();
        return out;
      },
      Array.from(X),
      Array.from(W),
      [n, k, m],
    );
    const XW = new Float64Array(n * m);
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) for (let p = 0; p < k; p++) XW[i * m + j] += X[i * k + p] * W[p * m + j];
    const expected = new Float64Array(k * m);
    for (let p = 0; p < k; p++) for (let j = 0; j < m; j++) for (let i = 0; i < n; i++) expected[p * m + j] += 2 * X[i * k + p] * XW[i * m + j];
    expectClose(grad, expected, 1e-4, 1e-4);
  });

  it('a regularized model.fit lowers its loss, and reports the penalty part', async () => {
    const history = await check.page.evaluate(async () => {
      // y = 2·x₀ − x₁ + 0.5 on 64 points; L2 on the kernels.
      const n = 64;
      const xs = Float32Array.from({ length: n * 2 }, (_, i) => Math.sin(i * 1.7));
      const ys = Float32Array.from({ length: n }, (_, i) => 2 * xs[2 * i] - xs[2 * i + 1] + 0.5);
      const model = wg.sequential({
        layers: [
          wg.layers.dense({ units: 16, activation: 'relu', inputShape: [2], kernelRegularizer: wg.regularizers.l2(1e-3) }),
          wg.layers.dense({ units: 1, kernelRegularizer: wg.regularizers.l2(1e-3) }),
        ],
      });
      model.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.05 }), loss: 'meanSquaredError' });
      const x = wg.tensor(xs, [n, 2]);
      const y = wg.tensor(ys, [n, 1]);
      const h = await model.fit(x, y, { epochs: 15, batchSize: 16, shuffle: false });
      const penalties = model.losses.length;
      x.dispose();
      y.dispose();
      return { loss: h.history.loss, reg: h.history.regularizationLoss, penalties };
    });
    expect(history.loss).toHaveLength(15);
    expect(history.penalties).toBe(2);
    expect(history.loss.every(Number.isFinite)).toBe(true);
    expect(history.loss.at(-1)!).toBeLessThan(0.5 * history.loss[0]);
    for (const [i, r] of history.reg.entries()) {
      expect(r).toBeGreaterThan(0);
      expect(r).toBeLessThan(history.loss[i]);
    }
  });

  it('logs no errors', () => {
    expect(check.errors).toEqual([]);
  });
});
