import { afterEach, describe, expect, it, vi } from 'vitest';
import * as wg from '../src';
import { compileModel } from '../src/train/compile';
import { evaluateModel, fitModel, predictModel, trainOnBatchModel } from '../src/train/loop';
import type { TrainableModel } from '../src/train/step';
import { expectClose, randomArray, rng } from './helpers';

/**
 * A small hand-written model: dense layer x·W + b (the product done by broadcasting,
 * [N,F,1]·[F,C] summed over F) with an optional L2 penalty l2·ΣW² in `losses`.
 */
class Linear implements TrainableModel {
  readonly w: wg.Variable;
  readonly b: wg.Variable;
  stopTraining?: boolean;
  applyCalls = 0;
  constructor(readonly features: number, readonly units: number, readonly l2 = 0, seed = 1) {
    this.w = wg.variable(wg.tensor(randomArray(features * units, seed, -0.5, 0.5), [features, units]));
    this.b = wg.variable(wg.tensor(randomArray(units, seed + 1, -0.1, 0.1), [units]));
  }
  apply(x: wg.Tensor): wg.Tensor {
    this.applyCalls++;
    return wg.tidy(() => wg.add(wg.sum(wg.mul(wg.reshape(x, [x.shape[0], x.shape[1], 1]), this.w), 1), this.b));
  }
  get trainableWeights(): wg.Variable[] {
    return [this.w, this.b];
  }
  get losses(): wg.Tensor[] {
    return this.l2 ? [wg.mul(wg.sum(wg.square(this.w)), this.l2)] : [];
  }
}

/** Plain-JS linear model trained with mse + l2·ΣW² and SGD: the independent reference. */
class LinearRef {
  w: number[];
  b: number[];
  constructor(w: Float32Array, b: Float32Array) {
    this.w = Array.from(w);
    this.b = Array.from(b);
  }
  predict(x: number[][], C: number): number[][] {
    return x.map((row) => Array.from({ length: C }, (_, c) => this.b[c] + row.reduce((s, v, f) => s + v * this.w[f * C + c], 0)));
  }
  penalty(l2: number): number {
    return l2 * this.w.reduce((s, v) => s + v * v, 0);
  }
  mse(x: number[][], y: number[][], C: number): number {
    const p = this.predict(x, C);
    let s = 0;
    p.forEach((row, r) => row.forEach((v, c) => (s += (v - y[r][c]) ** 2)));
    return s / (x.length * C);
  }
  /** One SGD step on a batch; returns [compiled loss, penalty] before the step. */
  step(x: number[][], y: number[][], F: number, C: number, l2: number, lr: number): [number, number] {
    const loss = this.mse(x, y, C);
    const pen = this.penalty(l2);
    const p = this.predict(x, C);
    const n = x.length * C;
    const dw = this.w.map((v) => 2 * l2 * v);
    const db = this.b.map(() => 0);
    p.forEach((row, r) => row.forEach((v, c) => {
      const d = (2 * (v - y[r][c])) / n;
      db[c] += d;
      for (let f = 0; f < F; f++) dw[f * C + c] += x[r][f] * d;
    }));
    this.w = this.w.map((v, i) => v - lr * dw[i]);
    this.b = this.b.map((v, i) => v - lr * db[i]);
    return [loss, pen];
  }
}

function regressionData(n: number, F: number, C: number, seed: number): { x: number[][]; y: number[][] } {
  const r = rng(seed);
  const wTrue = Array.from({ length: F * C }, () => r() * 2 - 1);
  const x = Array.from({ length: n }, () => Array.from({ length: F }, () => r() * 2 - 1));
  const y = x.map((row) => Array.from({ length: C }, (_, c) => 0.3 + row.reduce((s, v, f) => s + v * wTrue[f * C + c], 0) + 0.05 * (r() - 0.5)));
  return { x, y };
}

const weightsOf = async (m: Linear) => [await m.w.data(), await m.b.data()];

afterEach(() => {
  vi.restoreAllMocks();
});

describe('fit against a plain-JS reference (mse + l2, SGD, shuffle off)', () => {
  it('epoch loss, regularizationLoss and final weights match, last batch partial (10 = 4+4+2)', async () => {
    const [F, C, l2, lr] = [3, 2, 0.05, 0.1];
    const { x, y } = regressionData(10, F, C, 1);
    const model = new Linear(F, C, l2);
    const [w0, b0] = await weightsOf(model);
    const reference = new LinearRef(w0, b0);
    const c = compileModel({ optimizer: wg.optimizers.sgd({ learningRate: lr }), loss: 'mse' });
    const history = await fitModel(model, c, x, y, { verbose: 0, epochs: 3, batchSize: 4, shuffle: false });

    const expected = { loss: [] as number[], regularizationLoss: [] as number[] };
    for (let e = 0; e < 3; e++) {
      let [total, pen] = [0, 0];
      for (let s = 0; s < 10; s += 4) {
        const [l, p] = reference.step(x.slice(s, s + 4), y.slice(s, s + 4), F, C, l2, lr);
        const rows = Math.min(4, 10 - s);
        total += rows * (l + p);
        pen += rows * p;
      }
      expected.loss.push(total / 10);
      expected.regularizationLoss.push(pen / 10);
    }
    expect(Object.keys(history.history)).toEqual(['loss', 'regularizationLoss']);
    expect(history.epoch).toEqual([0, 1, 2]);
    expectClose(history.history.loss, expected.loss, 1e-4, 1e-6);
    expectClose(history.history.regularizationLoss, expected.regularizationLoss, 1e-4, 1e-7);
    const [w, b] = await weightsOf(model);
    expectClose(w, reference.w, 1e-4, 1e-6);
    expectClose(b, reference.b, 1e-4, 1e-6);
  });

  it('a step of fit equals a hand-written tape step, with folded (L1/L2 kernel) and unfolded (activity, custom) penalties', async () => {
    // fit adds the L1/L2 kernel penalties' gradients inside the optimizer's kernel; the tape step
    // below differentiates every penalty through the tape instead. Both must give the same weights.
    const build = () =>
      wg.sequential({
        layers: [
          wg.layers.dense({
            units: 3, activation: 'relu', inputShape: [4],
            kernelRegularizer: wg.regularizers.l1l2({ l1: 0.01, l2: 0.02 }), activityRegularizer: wg.regularizers.l2(0.05),
          }),
          wg.layers.dense({ units: 2, kernelRegularizer: (w: wg.Tensor) => wg.mul(wg.sum(wg.square(w)), 0.03) }),
        ],
      });
    const a = build();
    const b = build();
    b.setWeights(a.getWeights());
    const x = wg.tensor(randomArray(12, 61, -1, 1), [3, 4]);
    const y = wg.tensor(randomArray(6, 62, -1, 1), [3, 2]);
    a.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.1, momentum: 0.5 }), loss: 'meanSquaredError' });
    const opt = wg.optimizers.sgd({ learningRate: 0.1, momentum: 0.5 });
    for (let step = 0; step < 2; step++) {
      const logs = await a.trainOnBatch(x, y);
      wg.tidy(() => {
        const tape = new wg.GradientTape();
        const loss = tape.record(() => wg.add(wg.losses.meanSquaredError(y, b.apply(x, { training: true })), wg.addN(b.losses)));
        opt.applyGradients(tape.gradient(loss, b.trainableWeights), b.trainableWeights);
        tape.dispose();
      });
      expect(logs.regularizationLoss).toBeGreaterThan(0);
    }
    const [wa, wb] = [a.getWeights(), b.getWeights()];
    for (let i = 0; i < wa.length; i++) expectClose(await wa[i].data(), await wb[i].data(), 1e-5, 1e-6);
  });

  it('evaluate reports compiled loss + Σ model.losses as loss, and the penalty apart', async () => {
    const [F, C, l2] = [3, 2, 0.1];
    const { x, y } = regressionData(9, F, C, 2);
    const model = new Linear(F, C, l2, 5);
    const [w0, b0] = await weightsOf(model);
    const reference = new LinearRef(w0, b0);
    const c = compileModel({ optimizer: 'sgd', loss: 'meanSquaredError', metrics: ['mse', 'mae'] });
    const logs = await evaluateModel(model, c, x, y, { batchSize: 4 });
    const mse = reference.mse(x, y, C);
    const pen = reference.penalty(l2);
    expect(Object.keys(logs)).toEqual(['loss', 'regularizationLoss', 'mse', 'mae']);
    expect(logs.loss).toBeCloseTo(mse + pen, 5);
    expect(logs.regularizationLoss).toBeCloseTo(pen, 5);
    expect(logs.mse).toBeCloseTo(mse, 5);
    const p = reference.predict(x, C);
    const mae = p.flatMap((row, r) => row.map((v, k) => Math.abs(v - y[r][k]))).reduce((a, v) => a + v, 0) / (9 * C);
    expect(logs.mae).toBeCloseTo(mae, 5);
  });

  it('a model that makes its weights on first apply is trained from the first step', async () => {
    class LazyLinear extends Linear {
      built = false;
      override apply(x: wg.Tensor): wg.Tensor {
        this.built = true;
        return super.apply(x);
      }
      override get trainableWeights(): wg.Variable[] {
        return this.built ? super.trainableWeights : [];
      }
    }
    const [F, C, lr] = [2, 2, 0.3];
    const { x, y } = regressionData(6, F, C, 16);
    const model = new LazyLinear(F, C);
    const [w0, b0] = await weightsOf(model);
    const reference = new LinearRef(w0, b0);
    await fitModel(model, compileModel({ optimizer: wg.optimizers.sgd({ learningRate: lr }), loss: 'mse' }), x, y, { verbose: 0, epochs: 1, batchSize: 6 });
    reference.step(x, y, F, C, 0, lr);
    expectClose((await weightsOf(model))[0], reference.w, 1e-5, 1e-6);
  });

  it('trainOnBatch takes one step and returns that batch’s logs', async () => {
    const [F, C, l2, lr] = [2, 1, 0.02, 0.2];
    const { x, y } = regressionData(5, F, C, 3);
    const model = new Linear(F, C, l2, 9);
    const [w0, b0] = await weightsOf(model);
    const reference = new LinearRef(w0, b0);
    const c = compileModel({ optimizer: wg.optimizers.sgd({ learningRate: lr }), loss: 'mse' });
    const logs = await trainOnBatchModel(model, c, wg.tensor(x), wg.tensor(y));
    const [l, p] = reference.step(x, y, F, C, l2, lr);
    expect(logs.loss).toBeCloseTo(l + p, 5);
    expect(logs.regularizationLoss).toBeCloseTo(p, 6);
    expectClose((await weightsOf(model))[0], reference.w, 1e-5, 1e-6);
  });
});

describe('fit behaviour', () => {
  it('the loss falls on a tiny regression problem (adam, shuffled)', async () => {
    const { x, y } = regressionData(64, 4, 1, 4);
    const model = new Linear(4, 1);
    const c = compileModel({ optimizer: wg.optimizers.adam({ learningRate: 0.05 }), loss: 'mse' });
    const h = await fitModel(model, c, x, y, { verbose: 0, epochs: 15, batchSize: 16, seed: 1 });
    const losses = h.history.loss;
    expect(losses[14]).toBeLessThan(losses[0] * 0.2);
    expect(h.history.regularizationLoss.every((v) => v === 0)).toBe(true);
  });

  it('classification with sparse labels: loss falls, accuracy matches predictions', async () => {
    const r = rng(5);
    const n = 48;
    const x = Array.from({ length: n }, () => [r() * 2 - 1, r() * 2 - 1]);
    const labels = x.map(([a, b]) => (a + b > 0 ? (a > b ? 0 : 1) : 2));
    const model = new Linear(2, 3);
    const c = compileModel({
      optimizer: wg.optimizers.sgd({ learningRate: 0.5, momentum: 0.9 }),
      loss: (t, p) => wg.losses.sparseCategoricalCrossentropy(t, p, { fromLogits: true }),
      metrics: ['accuracy'],
    });
    const h = await fitModel(model, c, x, labels, { verbose: 0, epochs: 10, batchSize: 16, seed: 2 });
    expect(h.history.loss[9]).toBeLessThan(h.history.loss[0]);
    const logs = await evaluateModel(model, c, x, labels);
    const pred = (await predictModel(model, x).array()) as number[][];
    const correct = pred.filter((row, i) => row.indexOf(Math.max(...row)) === labels[i]).length;
    expect(logs.accuracy).toBeCloseTo(correct / n, 6);
    expect(logs.accuracy).toBeGreaterThan(0.7);
  });

  it('validationSplit holds out the last fraction before shuffling; val_loss = evaluate on it', async () => {
    const [F, C, lr] = [3, 2, 0.1];
    const { x, y } = regressionData(10, F, C, 6);
    const model = new Linear(F, C, 0.01);
    const [w0, b0] = await weightsOf(model);
    const reference = new LinearRef(w0, b0);
    const c = compileModel({ optimizer: wg.optimizers.sgd({ learningRate: lr }), loss: 'mse', metrics: ['mae'] });
    const h = await fitModel(model, c, x, y, { verbose: 0, epochs: 2, batchSize: 8, shuffle: false, validationSplit: 0.2 });
    expect(Object.keys(h.history)).toEqual(['loss', 'regularizationLoss', 'mae', 'val_loss', 'val_regularizationLoss', 'val_mae']);
    // Training saw rows 0..7 only (floor(10 · 0.8) = 8), one batch per epoch.
    reference.step(x.slice(0, 8), y.slice(0, 8), F, C, 0.01, lr);
    reference.step(x.slice(0, 8), y.slice(0, 8), F, C, 0.01, lr);
    expectClose((await weightsOf(model))[0], reference.w, 1e-4, 1e-6);
    const held = await evaluateModel(model, c, x.slice(8), y.slice(8));
    expect(h.history.val_loss[1]).toBeCloseTo(held.loss, 5);
    expect(h.history.val_regularizationLoss[1]).toBeCloseTo(held.regularizationLoss, 6);
    expect(h.history.val_mae[1]).toBeCloseTo(held.mae, 5);
  });

  it('validationData produces val_ logs equal to evaluate on it', async () => {
    const { x, y } = regressionData(12, 2, 1, 7);
    const val = regressionData(5, 2, 1, 8);
    const model = new Linear(2, 1, 0.05);
    const c = compileModel({ optimizer: 'adam', loss: 'mse' });
    const h = await fitModel(model, c, x, y, { verbose: 0, epochs: 2, batchSize: 5, validationData: [val.x, val.y], seed: 3 });
    const logs = await evaluateModel(model, c, val.x, val.y);
    expect(h.history.val_loss[1]).toBeCloseTo(logs.loss, 5);
    expect(h.history.val_regularizationLoss[1]).toBeCloseTo(logs.regularizationLoss, 6);
  });

  it('a seeded shuffle is reproducible, and another seed gives another order', async () => {
    const { x, y } = regressionData(20, 3, 1, 9);
    const run = async (seed: number) => {
      const model = new Linear(3, 1);
      const h = await fitModel(model, compileModel({ optimizer: wg.optimizers.sgd({ learningRate: 0.2 }), loss: 'mse' }), x, y, { verbose: 0, epochs: 2, batchSize: 3, seed });
      return { h, w: (await weightsOf(model))[0] };
    };
    const a = await run(11);
    const b = await run(11);
    const other = await run(12);
    expect(Array.from(a.w)).toEqual(Array.from(b.w));
    expect(a.h.history.loss).toEqual(b.h.history.loss);
    expect(Array.from(other.w)).not.toEqual(Array.from(a.w));
    // Every sample is still seen once per epoch: the same data unshuffled reaches a similar loss.
    expect(Math.abs(other.h.history.loss[1] - a.h.history.loss[1])).toBeLessThan(0.5 * a.h.history.loss[1]);
  });

  it('callbacks run in order with logs; batch logs are the running means of the epoch', async () => {
    const { x, y } = regressionData(7, 2, 1, 10);
    const model = new Linear(2, 1, 0.02);
    const calls: string[] = [];
    let lastBatchLogs: wg.Logs = {};
    const epochLogs: wg.Logs[] = [];
    const h = await fitModel(model, compileModel({ optimizer: 'sgd', loss: 'mse' }), x, y, {
      verbose: 0,
      epochs: 2,
      batchSize: 3,
      shuffle: false,
      callbacks: [
        {
          onTrainBegin: () => void calls.push('trainBegin'),
          onEpochBegin: (e) => void calls.push(`epochBegin ${e}`),
          onBatchBegin: (b) => void calls.push(`batchBegin ${b}`),
          onBatchEnd: async (b, logs) => {
            await Promise.resolve();
            calls.push(`batchEnd ${b}`);
            lastBatchLogs = logs;
          },
          onEpochEnd: (e, logs) => {
            calls.push(`epochEnd ${e}`);
            epochLogs.push(logs);
            expect(lastBatchLogs.loss).toBeCloseTo(logs.loss, 6);
          },
          onTrainEnd: () => void calls.push('trainEnd'),
        },
        { onEpochEnd: (e) => void calls.push(`second epochEnd ${e}`) },
      ],
    });
    const epoch = (e: number) => [`epochBegin ${e}`, ...[0, 1, 2].flatMap((b) => [`batchBegin ${b}`, `batchEnd ${b}`]), `epochEnd ${e}`, `second epochEnd ${e}`];
    expect(calls).toEqual(['trainBegin', ...epoch(0), ...epoch(1), 'trainEnd']);
    expect(epochLogs.map((l) => l.loss)).toEqual(h.history.loss);
    expect(epochLogs[1].regularizationLoss).toBe(h.history.regularizationLoss[1]);
  });

  it('stopTraining set by a callback ends fit after that epoch', async () => {
    const { x, y } = regressionData(6, 2, 1, 11);
    const model = new Linear(2, 1);
    const h = await fitModel(model, compileModel({ optimizer: 'sgd', loss: 'mse' }), x, y, {
      verbose: 0,
      epochs: 5,
      callbacks: { onEpochEnd: (e) => void (e === 1 && (model.stopTraining = true)) },
    });
    expect(h.epoch).toEqual([0, 1]);
  });

  it('verbose prints one line per epoch', async () => {
    const { x, y } = regressionData(6, 2, 1, 12);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await fitModel(new Linear(2, 1, 0.01), compileModel({ optimizer: 'sgd', loss: 'mse' }), x, y, { epochs: 2, verbose: 1 });
    expect(log).toHaveBeenCalledTimes(2);
    expect(String(log.mock.calls[1][0])).toMatch(/^Epoch 2\/2 .*loss: \d\.\d{4} - regularizationLoss: /);
  });

  it('predict runs batch by batch (training false) and matches one apply', async () => {
    const x = Array.from({ length: 11 }, (_, i) => [i / 10, 1 - i / 5, 0.5]);
    const model = new Linear(3, 2);
    const whole = await model.apply(wg.tensor(x)).data();
    model.applyCalls = 0;
    const out = predictModel(model, x, { batchSize: 4 });
    expect(model.applyCalls).toBe(3);
    expect(out.shape).toEqual([11, 2]);
    expectClose(await out.data(), whole, 1e-6, 1e-7);
  });
});

describe('performance contract', () => {
  it('no readback per batch without onBatchEnd: one per epoch (validation included), plus the input check', async () => {
    const { x, y } = regressionData(40, 3, 1, 13);
    const model = new Linear(3, 1, 0.01);
    const c = compileModel({ optimizer: 'adam', loss: 'mse', metrics: ['mae'] });
    const xt = wg.tensor(x);
    const yt = wg.tensor(y);
    const maps = vi.spyOn(GPUBuffer.prototype, 'mapAsync');
    await fitModel(model, c, xt, yt, { verbose: 0, epochs: 3, batchSize: 4, validationSplit: 0.25, seed: 1 });
    // 1: the finiteness check of the inputs, once per fit, before training.
    expect(maps).toHaveBeenCalledTimes(1 + 3);
    maps.mockClear();
    await fitModel(model, c, xt, yt, { verbose: 0, epochs: 2, batchSize: 10, callbacks: { onBatchEnd: () => {} } });
    // The same (immutable) inputs were checked by the first fit: no second check.
    expect(maps).toHaveBeenCalledTimes(2 * 4 + 2);
    maps.mockClear();
    await fitModel(model, c, wg.mul(xt, 1), yt, { verbose: 0, epochs: 1, batchSize: 40 });
    expect(maps).toHaveBeenCalledTimes(1 + 1); // new x: checked again
  });

  it('dispatches per step are fixed, memory is flat across epochs, no buffer is created once warm', async () => {
    const { x, y } = regressionData(32, 4, 2, 14);
    const xt = wg.tensor(x);
    const yt = wg.tensor(y);
    const model = new Linear(4, 2, 0.01);
    const c = compileModel({ optimizer: wg.optimizers.sgd({ learningRate: 0.05, momentum: 0.9 }), loss: 'mse' });
    const perEpoch: Array<{ tensors: number; bytes: number; dispatches: number }> = [];
    const before = wg.memory();
    await fitModel(model, c, xt, yt, {
      verbose: 0,
      epochs: 4,
      batchSize: 8,
      seed: 3,
      callbacks: {
        onEpochEnd: () => {
          const m = wg.memory();
          perEpoch.push({ tensors: m.numTensors, bytes: m.numBytes, dispatches: m.numDispatches });
        },
      },
    });
    const after = wg.memory();
    expect(new Set(perEpoch.map((e) => e.tensors)).size).toBe(1);
    expect(new Set(perEpoch.map((e) => e.bytes)).size).toBe(1);
    // Two momentum slots (w and b) stay with the optimizer; nothing else outlives fit.
    expect(after.numTensors).toBe(before.numTensors + 2);
    const d = perEpoch.map((e, i) => (i ? e.dispatches - perEpoch[i - 1].dispatches : 0)).slice(1);
    expect(new Set(d).size).toBe(1);
    // Once warm, a whole fit (shuffles and readbacks included) makes no GPU buffer: the pool serves it.
    const creates = vi.spyOn(GPUDevice.prototype, 'createBuffer');
    await fitModel(model, c, xt, yt, { verbose: 0, epochs: 3, batchSize: 8, seed: 4 });
    expect(creates).not.toHaveBeenCalled();
  });
});

describe('bad input is rejected before any weight changes', () => {
  const setup = async () => {
    const { x, y } = regressionData(8, 3, 1, 15);
    const model = new Linear(3, 1, 0.01);
    return { x, y, model, c: compileModel({ optimizer: 'sgd', loss: 'mse' }), before: await weightsOf(model), tensors: wg.memory().numTensors };
  };
  const unchanged = async (s: Awaited<ReturnType<typeof setup>>) => {
    const now = await weightsOf(s.model);
    expect(Array.from(now[0])).toEqual(Array.from(s.before[0]));
    expect(Array.from(now[1])).toEqual(Array.from(s.before[1]));
    expect(wg.memory().numTensors).toBe(s.tensors);
  };

  it('x and y with different sample counts: ShapeError', async () => {
    const s = await setup();
    await expect(fitModel(s.model, s.c, s.x, s.y.slice(1))).rejects.toThrow(wg.ShapeError);
    await expect(evaluateModel(s.model, s.c, s.x.slice(2), s.y)).rejects.toThrow(wg.ShapeError);
    await unchanged(s);
  });

  it('a feature width the model does not take: ShapeError from the first forward', async () => {
    const s = await setup();
    const wide = s.x.map((r) => [...r, 1]);
    await expect(fitModel(s.model, s.c, wide, s.y, { epochs: 2 })).rejects.toThrow(wg.ShapeError);
    await expect(trainOnBatchModel(s.model, s.c, wide, s.y)).rejects.toThrow(wg.ShapeError);
    await unchanged(s);
  });

  it('labels of the wrong width: ShapeError', async () => {
    const s = await setup();
    await expect(fitModel(s.model, s.c, s.x, s.y.map((r) => [...r, 0]))).rejects.toThrow(wg.ShapeError);
    await unchanged(s);
  });

  it('validationData whose width differs from the training data: ShapeError before training', async () => {
    const s = await setup();
    await expect(fitModel(s.model, s.c, s.x, s.y, { validationData: [s.x.map((r) => r.slice(1)), s.y] })).rejects.toThrow(wg.ShapeError);
    await unchanged(s);
  });

  it('batchSize ≤ 0 or fractional, bad epochs, validationSplit ≥ 1, bad callbacks: InvalidArgumentError', async () => {
    const s = await setup();
    const badOptions: wg.FitOptions[] = [
      { batchSize: 0 }, { batchSize: -2 }, { batchSize: 1.5 }, { epochs: -1 }, { validationSplit: 1 }, { validationSplit: 0.99 },
      // @ts-expect-error a number for a callback: rejected at run time too
      { callbacks: { onEpochEnd: 3 } },
      // @ts-expect-error a string for a boolean: rejected, not coerced
      { shuffle: 'yes' },
    ];
    for (const opts of badOptions) {
      await expect(fitModel(s.model, s.c, s.x, s.y, opts)).rejects.toThrow(wg.InvalidArgumentError);
    }
    await expect(evaluateModel(s.model, s.c, s.x, s.y, { batchSize: 0 })).rejects.toThrow(wg.InvalidArgumentError);
    expect(() => predictModel(s.model, s.x, { batchSize: -1 })).toThrow(wg.InvalidArgumentError);
    await unchanged(s);
  });

  it('unknown loss, optimizer or metric names, a non-finite learning rate, no compile: InvalidArgumentError', async () => {
    const s = await setup();
    expect(() => compileModel({ optimizer: 'sgd', loss: 'meanSquareError' })).toThrow(wg.InvalidArgumentError);
    expect(() => compileModel({ optimizer: 'adagrad', loss: 'mse' })).toThrow(wg.InvalidArgumentError);
    expect(() => compileModel({ optimizer: 'sgd', loss: 'mse', metrics: ['precision'] })).toThrow(wg.InvalidArgumentError);
    expect(() => compileModel({ optimizer: wg.optimizers.adam({ learningRate: NaN }), loss: 'mse' })).toThrow(wg.InvalidArgumentError);
    await expect(fitModel(s.model, undefined, s.x, s.y)).rejects.toThrow(wg.InvalidArgumentError);
    await unchanged(s);
  });
});

describe('metrics', () => {
  it('accuracy follows Keras 3: binary for one column, sparse for index labels, categorical otherwise (first max wins)', async () => {
    const { metrics } = wg;
    const val = async (t: wg.Tensor) => (await t.data())[0];
    expect(await val(metrics.accuracy(wg.tensor([[1], [0], [1], [0]]), wg.tensor([[0.7], [0.2], [0.4], [0.5]])))).toBeCloseTo(0.75, 6);
    const p = wg.tensor([[0.1, 0.5, 0.4], [0.3, 0.3, 0.2], [0.2, 0.2, 0.6]]);
    expect(await val(metrics.accuracy(wg.tensor([1, 1, 2]), p))).toBeCloseTo(2 / 3, 6); // row 1: tie → class 0
    expect(await val(metrics.accuracy(wg.tensor([[1], [0], [2]]), p))).toBeCloseTo(1, 6);
    expect(await val(metrics.accuracy(wg.tensor([[0, 1, 0], [1, 0, 0], [0, 1, 0]]), p))).toBeCloseTo(2 / 3, 6);
    expect(await val(metrics.binaryAccuracy(wg.tensor([1, 0]), wg.tensor([0.5, 0.5])))).toBeCloseTo(0.5, 6);
  });
});
