import { afterEach, describe, expect, it, vi } from 'vitest';
import * as wg from '../src';
import { engine } from '../src/device/engine';
import { randomArray } from './helpers';

// A compiled step replays recorded commands instead of running its function again. Every test
// runs the same work twice, from the same starting numbers: once with capture and replay, once
// the ordinary way (capture turned off), and asks for the same bits: replay runs the same kernels
// with the same uniforms on the same values, so nothing may differ, not even in the last place.

afterEach(() => {
  engine().captureSteps = true;
});

/** Runs `body` with capture on (replay) or off (the ordinary path) and returns what it returns. */
async function withCapture<T>(on: boolean, body: () => Promise<T>): Promise<T> {
  engine().captureSteps = on;
  try {
    return await body();
  } finally {
    engine().captureSteps = true;
  }
}

const bits = (a: Float32Array | number[]) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

function expectSameBits(replayed: Float32Array[], plain: Float32Array[]): void {
  expect(replayed.length).toBe(plain.length);
  replayed.forEach((r, i) => expect(bits(r), `tensor ${i}`).toEqual(bits(plain[i])));
}

/** A regularized two-layer classifier with fixed starting weights (dropout between when asked). */
function classifier(opts: { dropout?: number; seed?: number } = {}): wg.Sequential {
  const layers: wg.Layer[] = [wg.layers.dense({ units: 16, activation: 'relu', inputShape: [12], kernelRegularizer: wg.regularizers.l2(1e-3) })];
  if (opts.dropout) layers.push(wg.layers.dropout({ rate: opts.dropout, seed: opts.seed ?? 7 }));
  layers.push(wg.layers.dense({ units: 4, kernelRegularizer: wg.regularizers.l1l2({ l1: 1e-4, l2: 1e-3 }) }));
  const m = wg.sequential({ layers });
  m.build([null, 12]);
  const init = m.getWeights().map((w, i) => wg.tensor(randomArray(w.size, 100 + i, -0.4, 0.4), [...w.shape]));
  m.setWeights(init);
  for (const t of init) t.dispose();
  return m;
}

function data(rows: number, seed: number): { x: wg.Tensor; y: wg.Tensor } {
  const labels = Array.from({ length: rows }, (_, i) => (i * 3 + seed) % 4);
  const y = new Float32Array(rows * 4);
  labels.forEach((l, i) => (y[i * 4 + l] = 1));
  return { x: wg.tensor(randomArray(rows * 12, seed), [rows, 12]), y: wg.tensor(y, [rows, 4]) };
}

const ce = (t: wg.Tensor, p: wg.Tensor) => wg.losses.categoricalCrossentropy(t, p, { fromLogits: true });

async function weightsOf(m: wg.Layer): Promise<Float32Array[]> {
  return Promise.all(m.getWeights().map((w) => w.data()));
}

/** The step a person writes: forward under a tape, the penalties, gradients, the update. */
function tapeStep(m: wg.Sequential, opt: wg.Optimizer) {
  return (x: wg.Tensor, y: wg.Tensor): wg.Tensor => {
    const tape = new wg.GradientTape();
    const vars = m.trainableWeights;
    const loss = tape.record(() => wg.add(ce(y, m.apply(x, { training: true }) as wg.Tensor), wg.addN(m.losses)));
    const grads = tape.gradient(loss, vars);
    tape.dispose();
    opt.applyGradients(grads, vars);
    return loss;
  };
}

describe('compileStep', () => {
  const tapeRun = (on: boolean, opts: { dropout?: number; optimizer?: () => wg.Optimizer } = {}) =>
    withCapture(on, async () => {
      const m = classifier({ dropout: opts.dropout });
      const opt = (opts.optimizer ?? (() => wg.optimizers.adam({ learningRate: 0.01 })))();
      const body = tapeStep(m, opt);
      let calls = 0;
      const step = wg.compileStep((x: wg.Tensor, y: wg.Tensor) => (calls++, body(x, y)));
      const { x, y } = data(8, 1);
      const losses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const loss = step(x, y);
        losses.push((await loss.data())[0]);
        loss.dispose();
      }
      const weights = await weightsOf(m);
      const iterations = opt.iterations;
      step.dispose();
      for (const t of [x, y]) t.dispose();
      m.dispose();
      return { losses, weights, iterations, calls };
    });

  it('a tape step with adam: losses, weights and the iteration count match the ordinary path bit for bit', async () => {
    const replayed = await tapeRun(true);
    const plain = await tapeRun(false);
    expect(bits(replayed.losses)).toEqual(bits(plain.losses));
    expectSameBits(replayed.weights, plain.weights);
    expect(replayed.iterations).toBe(8);
    expect(plain.iterations).toBe(8);
    expect([replayed.calls, plain.calls]).toEqual([2, 8]); // run, captured, then 6 replays
    // Adam's bias correction changes every step: a frozen one would drift from the ordinary path.
    expect(replayed.losses[7]).toBeLessThan(replayed.losses[0]);
  });

  it('seeded dropout draws a new mask per replay, the same ones as the ordinary path', async () => {
    const replayed = await tapeRun(true, { dropout: 0.4, optimizer: () => wg.optimizers.sgd({ learningRate: 0.05, momentum: 0.9 }) });
    const plain = await tapeRun(false, { dropout: 0.4, optimizer: () => wg.optimizers.sgd({ learningRate: 0.05, momentum: 0.9 }) });
    expect(bits(replayed.losses)).toEqual(bits(plain.losses));
    expectSameBits(replayed.weights, plain.weights);
    expect([replayed.calls, plain.calls]).toEqual([2, 8]);
  });

  it('replays: fewer JavaScript-side op calls, the same dispatches, no GPU buffer created', async () => {
    const m = classifier();
    const step = wg.compileStep(tapeStep(m, wg.optimizers.adam()));
    const { x, y } = data(8, 2);
    const applies = vi.spyOn(m, 'apply');
    for (let i = 0; i < 3; i++) step(x, y).dispose(); // ordinary, captured, replayed
    const d0 = wg.memory().numDispatches;
    step(x, y).dispose();
    const perStep = wg.memory().numDispatches - d0;
    expect(applies).toHaveBeenCalledTimes(2);
    engine().captureSteps = false;
    const d1 = wg.memory().numDispatches;
    step(x, y).dispose();
    expect(wg.memory().numDispatches - d1).toBe(perStep);
    engine().captureSteps = true;
    const creates = vi.spyOn(GPUDevice.prototype, 'createBuffer');
    const tensors = wg.memory().numTensors;
    for (let i = 0; i < 5; i++) step(x, y).dispose();
    await wg.sync();
    expect(creates).not.toHaveBeenCalled();
    expect(wg.memory().numTensors).toBe(tensors);
    creates.mockRestore();
    applies.mockRestore();
    step.dispose();
    for (const t of [x, y]) t.dispose();
    m.dispose();
  });

  it('a new input shape runs the function again; a frozen layer or a replaced weight is noticed', async () => {
    const run = (on: boolean) =>
      withCapture(on, async () => {
        const m = classifier();
        const opt = wg.optimizers.sgd({ learningRate: 0.1 });
        let calls = 0;
        const body = tapeStep(m, opt);
        const step = wg.compileStep((x: wg.Tensor, y: wg.Tensor) => (calls++, body(x, y)));
        const a = data(8, 3);
        const b = data(5, 4);
        const losses: number[] = [];
        const take = async (t: wg.Tensor) => {
          losses.push((await t.data())[0]);
          t.dispose();
        };
        for (let i = 0; i < 3; i++) await take(step(a.x, a.y));
        const callsBefore = calls;
        await take(step(b.x, b.y)); // another shape: the function runs
        expect(calls).toBe(callsBefore + 1);
        await take(step(a.x, a.y));
        m.layers[0].trainable = false; // the set of trained variables changes
        for (let i = 0; i < 3; i++) await take(step(a.x, a.y));
        m.layers[0].trainable = true;
        const fresh = m.getWeights().map((w) => wg.fill([...w.shape], 0.05));
        m.setWeights(fresh); // every variable gets a new buffer
        for (const t of fresh) t.dispose();
        for (let i = 0; i < 3; i++) await take(step(a.x, a.y));
        const weights = await weightsOf(m);
        step.dispose();
        for (const t of [a.x, a.y, b.x, b.y]) t.dispose();
        m.dispose();
        return { losses, weights, calls };
      });
    const replayed = await run(true);
    const plain = await run(false);
    expect(bits(replayed.losses)).toEqual(bits(plain.losses));
    expectSameBits(replayed.weights, plain.weights);
    expect(replayed.calls).toBeLessThan(plain.calls);
  });

  it('learning-rate schedules and gradient clipping replay as on the ordinary path, for every clip mode', async () => {
    const decay = () => wg.optimizers.schedules.exponentialDecay({ initialLearningRate: 0.05, decaySteps: 2, decayRate: 0.5 });
    const cosine = () => wg.optimizers.schedules.cosineDecay({ initialLearningRate: 0.05, decaySteps: 6, warmupTarget: 0.1, warmupSteps: 2 });
    const optimizers: Array<() => wg.Optimizer> = [
      () => wg.optimizers.adam({ learningRate: decay(), clipnorm: 0.05 }),
      () => wg.optimizers.sgd({ learningRate: cosine(), momentum: 0.5, globalClipnorm: 0.1 }),
      () => wg.optimizers.rmsprop({ learningRate: (step: number) => 0.01 / (1 + step), clipvalue: 0.01 }),
    ];
    for (const optimizer of optimizers) {
      const replayed = await tapeRun(true, { optimizer });
      const plain = await tapeRun(false, { optimizer });
      expect(bits(replayed.losses)).toEqual(bits(plain.losses));
      expectSameBits(replayed.weights, plain.weights);
      expect([replayed.calls, plain.calls]).toEqual([2, 8]);
    }
  });
});

describe('assignments and fallbacks', () => {
  it('assign to a non-trainable variable (moving statistics) replays: each call adds again', async () => {
    const moving = wg.variable(wg.zeros([3]), { trainable: false });
    let calls = 0;
    const step = wg.compileStep((x: wg.Tensor) => {
      calls++;
      moving.assign(wg.add(wg.mul(moving, 0.5), x));
    });
    const x = wg.tensor([1, 2, 4]);
    let expected = [0, 0, 0];
    for (let i = 0; i < 6; i++) {
      step(x);
      expected = expected.map((m, j) => m * 0.5 + [1, 2, 4][j]);
    }
    expect(Array.from(await moving.data())).toEqual(expected);
    expect(calls).toBe(2);
    step.dispose();
    x.dispose();
    moving.dispose();
  });

  it('a step that makes new state every call (a new variable) is never replayed, and stays correct', async () => {
    const made: wg.Variable[] = [];
    const step = wg.compileStep((x: wg.Tensor) => {
      made.push(wg.variable(wg.mul(x, made.length)));
    });
    const x = wg.tensor([1, 2]);
    for (let i = 0; i < 5; i++) step(x);
    expect(await Promise.all(made.map(async (v) => Array.from(await v.data())))).toEqual([0, 1, 2, 3, 4].map((k) => [k, 2 * k]));
    step.dispose();
    for (const t of [x, ...made]) t.dispose();
  });
});

describe('per-step values', () => {
  it('unseeded random draws: every replay draws afresh, a seeded one draws the same', async () => {
    const fresh = wg.compileStep(() => wg.randomUniform([64]));
    const seeded = wg.compileStep(() => wg.randomUniform([64], { seed: 5 }));
    const draws: number[][] = [];
    const same: number[][] = [];
    for (let i = 0; i < 5; i++) {
      const [a, b] = [fresh(), seeded()];
      draws.push(Array.from(await a.data()));
      same.push(Array.from(await b.data()));
      a.dispose();
      b.dispose();
    }
    expect(new Set(draws.map((d) => d.join())).size).toBe(5);
    expect(new Set(same.map((d) => d.join())).size).toBe(1);
    fresh.dispose();
    seeded.dispose();
  });

  it('a learning rate set between replays takes effect as on the ordinary path', async () => {
    const run = (on: boolean) =>
      withCapture(on, async () => {
        const m = classifier();
        const opt = wg.optimizers.sgd({ learningRate: 0.1, momentum: 0.5 });
        const step = wg.compileStep(tapeStep(m, opt));
        const { x, y } = data(8, 8);
        for (let i = 0; i < 6; i++) {
          if (i === 4) opt.learningRate = 0.02;
          step(x, y).dispose();
        }
        const weights = await weightsOf(m);
        step.dispose();
        for (const t of [x, y]) t.dispose();
        m.dispose();
        return weights;
      });
    expectSameBits(await run(true), await run(false));
  });

  it('releaseMemory frees what a step keeps; the step captures itself again and stays exact', async () => {
    const run = (on: boolean) =>
      withCapture(on, async () => {
        const m = classifier();
        const step = wg.compileStep(tapeStep(m, wg.optimizers.adam({ learningRate: 0.01 })));
        const { x, y } = data(8, 9);
        const losses: number[] = [];
        for (let i = 0; i < 8; i++) {
          if (i === 4) {
            const kept = wg.memory().numPooledBytes;
            wg.releaseMemory();
            expect(wg.memory().numPooledBytes).toBeLessThanOrEqual(kept);
            expect(wg.memory().numPooledBytes).toBe(0);
          }
          const loss = step(x, y);
          losses.push((await loss.data())[0]);
          loss.dispose();
        }
        const weights = await weightsOf(m);
        step.dispose();
        for (const t of [x, y]) t.dispose();
        m.dispose();
        return { losses, weights };
      });
    const replayed = await run(true);
    const plain = await run(false);
    expect(bits(replayed.losses)).toEqual(bits(plain.losses));
    expectSameBits(replayed.weights, plain.weights);
  });
});

describe('fit and trainOnBatch replay their step', () => {
  const model = (dropout?: number) => {
    const m = classifier({ dropout });
    m.compile({ optimizer: wg.optimizers.adam({ learningRate: 0.02 }), loss: ce });
    return m;
  };

  it('trainOnBatch: logs and weights after 8 steps match the ordinary path bit for bit', async () => {
    const run = (on: boolean) =>
      withCapture(on, async () => {
        const m = model();
        const applies = vi.spyOn(m, 'apply');
        const { x, y } = data(8, 5);
        const losses: number[] = [];
        for (let i = 0; i < 8; i++) losses.push((await m.trainOnBatch(x, y)).loss);
        const weights = await weightsOf(m);
        const calls = applies.mock.calls.length;
        for (const t of [x, y]) t.dispose();
        m.dispose();
        return { losses, weights, calls };
      });
    const replayed = await run(true);
    const plain = await run(false);
    expect(bits(replayed.losses)).toEqual(bits(plain.losses));
    expectSameBits(replayed.weights, plain.weights);
    // The model's apply ran on the first two steps only (and once before them, to probe the labels).
    expect(plain.calls - replayed.calls).toBe(6);
  });

  it('fit: 4 shuffled epochs with a ragged last batch, dropout and validation data: history and weights match bit for bit', async () => {
    const run = (on: boolean) =>
      withCapture(on, async () => {
        const m = model(0.3);
        const applies = vi.spyOn(m, 'apply');
        const { x, y } = data(22, 6); // batches of 8, 8 and 6
        const val = data(6, 7);
        const history = await m.fit(x, y, { epochs: 4, batchSize: 8, shuffle: true, seed: 11, validationData: [val.x, val.y], verbose: 0 });
        const weights = await weightsOf(m);
        const calls = applies.mock.calls.length;
        for (const t of [x, y, val.x, val.y]) t.dispose();
        m.dispose();
        return { history: history.history, weights, calls };
      });
    const replayed = await run(true);
    const plain = await run(false);
    expect(Object.keys(replayed.history).sort()).toEqual(['loss', 'regularizationLoss', 'val_loss', 'val_regularizationLoss'].sort());
    for (const k of Object.keys(plain.history)) expect(bits(replayed.history[k]), k).toEqual(bits(plain.history[k]));
    expectSameBits(replayed.weights, plain.weights);
    // Of 12 steps, 8 in batches of 8 and 4 of 6, each shape runs twice before it replays: 8 replays.
    expect(plain.calls - replayed.calls).toBe(8);
  });

  it("model.dispose() frees the buffers of its trainOnBatch step at once; the other model's step replays on", async () => {
    const [a, b] = [model(), model()];
    const { x, y } = data(8, 12);
    for (let i = 0; i < 4; i++) {
      await a.trainOnBatch(x, y);
      await b.trainOnBatch(x, y);
    }
    const e = engine();
    expect(e.captured.size).toBe(2);
    const claimed = e.pool.claimedBytes;
    expect(claimed).toBeGreaterThan(0);
    a.dispose();
    expect(e.captured.size).toBe(1);
    expect(e.pool.claimedBytes).toBeLessThan(claimed);
    expect(e.pool.claimedBytes).toBeGreaterThan(0);
    // b's step still replays: its weights move as they do without replay from here on.
    const before = await weightsOf(b);
    await b.trainOnBatch(x, y);
    expect(e.captured.size).toBe(1);
    const after = await weightsOf(b);
    expect(after.some((w, i) => w.some((v, j) => v !== before[i][j]))).toBe(true);
    b.dispose();
    expect(e.captured.size).toBe(0);
    for (const t of [x, y]) t.dispose();
  });

  it('fit with batch normalization: moving statistics, history and weights match bit for bit', async () => {
    const run = (on: boolean) =>
      withCapture(on, async () => {
        const m = wg.sequential({
          layers: [
            wg.layers.dense({ units: 16, inputShape: [12], useBias: false }),
            wg.layers.batchNormalization({ momentum: 0.8, gammaRegularizer: wg.regularizers.l2(1e-3) }),
            wg.layers.activation({ activation: 'relu' }),
            wg.layers.dense({ units: 4 }),
          ],
        });
        m.build([null, 12]);
        // Weights in order: kernel, gamma, beta, moving mean (0), moving variance (1), kernel, bias.
        const init = m.getWeights().map((w, i) => {
          const values = i === 3 ? new Float32Array(w.size) : i === 4 ? new Float32Array(w.size).fill(1) : randomArray(w.size, 200 + i, -0.4, 0.4);
          return wg.tensor(values, [...w.shape]);
        });
        m.setWeights(init);
        for (const t of init) t.dispose();
        m.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.05 }), loss: ce });
        const applies = vi.spyOn(m, 'apply');
        const { x, y } = data(16, 9);
        const history = await m.fit(x, y, { epochs: 3, batchSize: 4, shuffle: true, seed: 3, verbose: 0 });
        const weights = await weightsOf(m);
        const calls = applies.mock.calls.length;
        for (const t of [x, y]) t.dispose();
        m.dispose();
        return { history: history.history, weights, calls };
      });
    const replayed = await run(true);
    const plain = await run(false);
    for (const k of Object.keys(plain.history)) expect(bits(replayed.history[k]), k).toEqual(bits(plain.history[k]));
    // gamma, beta, moving mean, moving variance among them: the statistics moved on every step.
    expectSameBits(replayed.weights, plain.weights);
    expect(Array.from(replayed.weights[3]).some((v) => v !== 0)).toBe(true);
    expect(plain.calls - replayed.calls).toBe(10); // 12 steps of one shape: 2 run, 10 replay
  });
});
