import { describe, expect, it } from 'vitest';
import * as wg from '../src';
import { expectClose, randomArray } from './helpers';

// One model, one training call at a time: a second fit or trainOnBatch while one is in progress is
// refused at once with TrainingInProgressError (TensorFlow.js: "Cannot start training because
// another fit() call is ongoing."), so steps never interleave and stopTraining belongs to the one
// call that runs. evaluate and predict may run at any time: they see the weights after a whole step.

const N = 24;
const F = 3;

/** A seeded linear regression model (its outputs are x·w + b, easy to compute here) and its data. */
function setup() {
  const model = wg.sequential({
    layers: [wg.layers.dense({ units: 1, inputShape: [F], kernelInitializer: wg.initializers.glorotUniform({ seed: 4 }) })],
  });
  model.compile({ optimizer: wg.optimizers.sgd(0.05), loss: 'mse' });
  const xs = randomArray(N * F, 11);
  const ys = randomArray(N, 12);
  return { model, xs, ys, x: wg.tensor(xs, [N, F]), y: wg.tensor(ys, [N, 1]) };
}

const options = { epochs: 3, batchSize: 4, seed: 5, verbose: 0 } as const;

/** [w…, b] of the model. */
async function state(model: wg.Layer): Promise<number[]> {
  return (await Promise.all(model.weights.map((w) => w.data()))).flatMap((d) => [...d]);
}

/** x·w + b for every sample, and the mean squared error against ys, in float64. */
function reference(s: number[], xs: Float32Array, ys: Float32Array): { pred: number[]; mse: number } {
  const pred = Array.from({ length: N }, (_, i) => s[F] + Array.from({ length: F }, (_, j) => xs[i * F + j] * s[j]).reduce((a, b) => a + b, 0));
  return { pred, mse: pred.reduce((acc, p, i) => acc + (p - ys[i]) ** 2, 0) / N };
}

describe('one training call per model', () => {
  it('a second fit while one runs is refused at once; the first ends as it would alone', async () => {
    const alone = setup();
    await alone.model.fit(alone.x, alone.y, options);
    const expected = await state(alone.model);

    const s = setup();
    const first = s.model.fit(s.x, s.y, options);
    const second = s.model.fit(s.x, s.y, options);
    await expect(second).rejects.toThrow(wg.TrainingInProgressError);
    await expect(second).rejects.toThrow(/^fit: cannot start training because another fit\(\) or trainOnBatch\(\) call is ongoing on model 'sequential(_\d+)?'/);
    await first;
    expect(await state(s.model)).toEqual(expected);
    // Free again: the next fit runs.
    await s.model.fit(s.x, s.y, { ...options, epochs: 1 });
    for (const m of [alone, s]) m.model.dispose();
  });

  it('trainOnBatch during a fit, fit during a trainOnBatch, fit from a fit callback: refused', async () => {
    const s = setup();
    const fitting = s.model.fit(s.x, s.y, options);
    await expect(s.model.trainOnBatch(s.x, s.y)).rejects.toThrow(/^trainOnBatch: cannot start training/);
    await fitting;
    const step = s.model.trainOnBatch(s.x, s.y);
    await expect(s.model.fit(s.x, s.y, options)).rejects.toThrow(wg.TrainingInProgressError);
    await expect(s.model.trainOnBatch(s.x, s.y)).rejects.toThrow(wg.TrainingInProgressError);
    await step;
    let nested: unknown;
    await s.model.fit(s.x, s.y, { ...options, epochs: 1, callbacks: { onEpochEnd: async () => void (nested = await s.model.fit(s.x, s.y, options).catch((e) => e)) } });
    expect(nested).toBeInstanceOf(wg.TrainingInProgressError);
    s.model.dispose();
  });

  it('a fit that fails (bad data) releases the model', async () => {
    const s = setup();
    await expect(s.model.fit(s.x, wg.tensor(randomArray(N - 1, 1), [N - 1, 1]), options)).rejects.toThrow(wg.ShapeError);
    await expect(s.model.fit(s.x, wg.fill([N, 1], NaN), options)).rejects.toThrow(wg.NonFiniteError);
    const h = await s.model.fit(s.x, s.y, options);
    expect(h.epoch).toEqual([0, 1, 2]);
    s.model.dispose();
  });

  it('stopTraining belongs to the call that runs: a refused fit leaves it, the next fit starts afresh', async () => {
    const s = setup();
    let refused: unknown;
    const h = await s.model.fit(s.x, s.y, {
      ...options,
      epochs: 5,
      callbacks: {
        onEpochEnd: async (epoch) => {
          if (epoch === 0) refused = await s.model.fit(s.x, s.y, options).catch((e) => e);
          if (epoch === 1) s.model.stopTraining = true;
        },
      },
    });
    expect(refused).toBeInstanceOf(wg.TrainingInProgressError);
    expect(h.epoch).toEqual([0, 1]);
    const again = await s.model.fit(s.x, s.y, { ...options, epochs: 4 });
    expect(again.epoch).toEqual([0, 1, 2, 3]);
    s.model.dispose();
  });

  it('two models train at once (each holds its own turn)', async () => {
    const [a, b] = [setup(), setup()];
    const [ha, hb] = await Promise.all([a.model.fit(a.x, a.y, options), b.model.fit(b.x, b.y, options)]);
    expect(ha.history.loss).toEqual(hb.history.loss);
    for (const m of [a, b]) m.model.dispose();
  });
});

describe('evaluate and predict while a fit runs', () => {
  it('see the weights after some whole step, as plain formulas of that step give them', async () => {
    // Every state the fit passes through.
    const ref = setup();
    const states = [await state(ref.model)];
    await ref.model.fit(ref.x, ref.y, { ...options, callbacks: { onBatchEnd: async () => void states.push(await state(ref.model)) } });
    const outcomes = states.map((st) => reference(st, ref.xs, ref.ys));

    const s = setup();
    let done = false;
    const training = s.model.fit(s.x, s.y, options).finally(() => (done = true));
    let checked = 0;
    while (!done) {
      const pred = await s.model.predict(s.x, { batchSize: 7 }).data();
      const { loss } = await s.model.evaluate(s.x, s.y, { batchSize: 5 });
      // Each matches one state (they may be different states: training goes on between them).
      expect(outcomes.some((o) => o.pred.every((p, i) => Math.abs(p - pred[i]) <= 1e-5 + 1e-5 * Math.abs(p)))).toBe(true);
      expect(outcomes.some((o) => Math.abs(o.mse - loss) <= 1e-5 * o.mse + 1e-7)).toBe(true);
      checked++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await training;
    expect(checked).toBeGreaterThan(0);
    expectClose(await state(s.model), states[states.length - 1], 0, 0);
    for (const m of [ref, s]) m.model.dispose();
  });

  it('evaluate and predict from a callback (the TensorFlow.js habit) work and see the epoch end', async () => {
    const s = setup();
    const seen: Array<{ loss: number; expected: number }> = [];
    await s.model.fit(s.x, s.y, {
      ...options,
      callbacks: {
        onEpochEnd: async () => {
          const { loss } = await s.model.evaluate(s.x, s.y);
          seen.push({ loss, expected: reference(await state(s.model), s.xs, s.ys).mse });
          s.model.predict(s.x).dispose();
        },
      },
    });
    expect(seen).toHaveLength(3);
    for (const { loss, expected } of seen) expect(loss).toBeCloseTo(expected, 5);
    s.model.dispose();
  });
});
