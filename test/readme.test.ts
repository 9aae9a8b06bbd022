import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type * as wg from '../src';
import { expectClose } from './helpers';
import { PACKAGE_NAME, readmeCode } from './readme_code';

// The README's code, run as written with the package name mapped to src, so the front page
// stays true; what it prints and computes is checked against formulas.
interface ReadmeScript {
  w: wg.Variable;
  dw: wg.Tensor | null;
  loss: wg.Tensor;
  history: wg.History;
  model: wg.Sequential;
  penalty: wg.Tensor;
  penaltyGrads: Array<wg.Tensor | null>;
  restored: wg.Sequential;
  xTrain: wg.Tensor;
  xImages: wg.Tensor;
  kinds: number[];
  conv: wg.Layer;
  cnn: wg.Sequential;
  cnnHistory: wg.History;
  cnnPenalty: wg.Tensor;
  convGrads: Array<wg.Tensor | null>;
  pair: wg.Functional;
  shared: wg.layers.Dense;
  pairHistory: wg.History;
  sharedPenalty: wg.Tensor;
  dShared: wg.Tensor | null;
}

const dir = mkdtempSync(join(tmpdir(), 'webgrad-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runReadme(): Promise<{ script: ReadmeScript; printed: unknown[][]; epochLines: string[] }> {
  const src = fileURLToPath(new URL('../src/index.ts', import.meta.url));
  const code = readmeCode().replaceAll(`'${PACKAGE_NAME}'`, JSON.stringify(src));
  const file = join(dir, 'readme.mjs');
  writeFileSync(file, `${code}\nexport { w, dw, loss, history, model, penalty, penaltyGrads, restored, xTrain, xImages, kinds, conv, cnn, cnnHistory, cnnPenalty, convGrads, pair, shared, pairHistory, sharedPenalty, dShared };\n`);
  const printed: unknown[][] = [];
  const epochLines: string[] = [];
  // fit's own progress (verbose 1: one line per epoch outside a terminal) is kept apart.
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('Epoch ')) epochLines.push(args[0]);
    else printed.push(args);
  });
  try {
    return { script: (await import(/* @vite-ignore */ file)) as ReadmeScript, printed, epochLines };
  } finally {
    log.mockRestore();
  }
}

describe('README code', () => {
  let run: Awaited<ReturnType<typeof runReadme>>;

  it('runs as one script and prints what it computes', async () => {
    run = await runReadme();
    expect(run.printed).toHaveLength(7);
    expect(run.epochLines).toHaveLength(20);
    expect(run.epochLines[19]).toMatch(/^Epoch 20\/20 .*loss/);
    expect(run.printed[0][0]).toEqual(await run.script.loss.data());
  });

  it('the tape gradient of the first example matches the formula 2/n · xᵀ(xw − y)', async () => {
    const { w, dw } = run.script;
    const wv = await w.data();
    const r = [0, 1].map((i) => [0, 1, 2].reduce((s, j) => s + (i * 3 + j + 1) * wv[j], 0) - (i + 1));
    const expected = [0, 1, 2].map((j) => (2 / 2) * (r[0] * (j + 1) + r[1] * (j + 4)));
    expectClose(await dw!.data(), expected, 1e-5, 1e-5);
    expect((run.printed[0][1] as number[][]).flat()).toEqual(Array.from(await dw!.data()));
  });

  it('the regularized model fits, reports regularizationLoss, and its losses are eager safe', async () => {
    const { history, model, penalty, penaltyGrads } = run.script;
    const { loss, regularizationLoss, val_loss, val_accuracy } = history.history;
    expect(loss.at(-1)!).toBeLessThan(loss[0]);
    expect(regularizationLoss.at(-1)!).toBeGreaterThan(0);
    expect(val_loss).toHaveLength(20);
    expect(val_accuracy.at(-1)!).toBeGreaterThan(0.6);
    expect(run.printed[1]).toEqual([loss.at(-1), regularizationLoss.at(-1), val_accuracy.at(-1)]);

    // Penalty: 1e-4·Σ|K₁| + 1e-3·ΣK₁² + 1e-3·ΣK₂², and its gradient on K₁: 1e-4·sign + 2e-3·K₁.
    const [k1, , k2] = await Promise.all(model.trainableWeights.map((v) => v.data()));
    const sum = (a: Float32Array, f: (v: number) => number) => a.reduce((s, v) => s + f(v), 0);
    const expected = 1e-4 * sum(k1, Math.abs) + 1e-3 * sum(k1, (v) => v * v) + 1e-3 * sum(k2, (v) => v * v);
    expectClose(await penalty.data(), [expected], 1e-5, 1e-4);
    expectClose(await penaltyGrads[0]!.data(), Array.from(k1, (v) => 1e-4 * Math.sign(v) + 2e-3 * v), 1e-4, 1e-7);
    expect(penaltyGrads[1]).toBeNull(); // the first bias has no regularizer
    expect(run.printed[2][1]).toEqual([[4, 32], null, [32, 3], null]);
  });

  it('the CNN learns bars, reports its kernel penalty, and its losses reach the conv kernel', async () => {
    const { xImages, kinds, conv, cnn, cnnHistory, cnnPenalty, convGrads } = run.script;
    const { regularizationLoss, accuracy } = cnnHistory.history;
    expect(xImages.shape).toEqual([256, 12, 12, 1]);
    expect(run.printed[3]).toEqual([regularizationLoss, accuracy.at(-1)]);
    expect(regularizationLoss).toHaveLength(10);
    expect(regularizationLoss.every((v) => v > 0 && Number.isFinite(v))).toBe(true);
    // Above chance (1/2) by far, on fit's count and on predictions checked here.
    expect(accuracy.at(-1)!).toBeGreaterThan(0.9);
    const p = await cnn.predict(xImages).data();
    const right = kinds.filter((k, i) => (p[2 * i + 1] > p[2 * i] ? 1 : 0) === k).length;
    expect(right / kinds.length).toBeGreaterThan(0.9);

    // Penalty 1e-3·ΣK² over the conv kernel alone, its gradient 2e-3·K; the bias has none.
    const [kernel] = conv.trainableWeights;
    expect(kernel.shape).toEqual([3, 3, 1, 4]);
    const k = await kernel.data();
    expectClose(await cnnPenalty.data(), [1e-3 * k.reduce((s, v) => s + v * v, 0)], 1e-5, 1e-9);
    expectClose(await convGrads[0]!.data(), Array.from(k, (v) => 2e-3 * v), 1e-5, 1e-9);
    expect(convGrads[1]).toBeNull();
    expect(run.printed[4]).toEqual([await cnnPenalty.data(), [[3, 3, 1, 4], null]]);
    // fit's last figure is the penalty averaged over the last epoch's steps: near its value after them.
    const [now] = await cnnPenalty.data();
    expect(Math.abs(regularizationLoss.at(-1)! - now)).toBeLessThan(0.25 * now);
  });

  it('the saved and loaded model predicts exactly as the original', async () => {
    const { model, restored, xTrain } = run.script;
    const [a, b] = await Promise.all([model.predict(xTrain).data(), restored.predict(xTrain).data()]);
    expect(b).toEqual(a);
    expect(run.printed[5]).toEqual(['restored predictions differ by', 0]);
  });

  it('the functional model shares one regularized layer: its penalty counts once, by the formula, and its tape gradient is 2λK', async () => {
    const { pair, shared, pairHistory, sharedPenalty, dShared } = run.script;
    const loss = pairHistory.history.loss;
    expect(loss.at(-1)!).toBeLessThan(0.5 * loss[0]);
    expect(pair.inputNames).toEqual(['left', 'right']);
    expect(pair.layers.filter((l) => l === shared)).toHaveLength(1);
    // Its kernel [4, 8] and bias [8] once, then the head's kernel [16, 1] and bias [1].
    expect(pair.weights.map((v) => v.shape)).toEqual([[4, 8], [8], [16, 1], [1]]);
    expect(pair.trainableWeights[0]).toBe(shared.trainableWeights[0]);
    const kernel = await shared.trainableWeights[0].data();
    const expected = 1e-2 * kernel.reduce((s, v) => s + v * v, 0);
    expectClose(await sharedPenalty.data(), [expected], 1e-5, 1e-7);
    expectClose(await dShared!.data(), Array.from(kernel, (v) => 2e-2 * v), 1e-5, 1e-7);
    expect(run.printed[6]).toEqual([loss.at(-1), 1, (await sharedPenalty.data())[0], [4, 8]]);
  });
});
