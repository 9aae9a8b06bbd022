import { afterEach, describe, expect, it, vi } from 'vitest';
import * as wg from '../src';
import type { CallbackModel } from '../src';

// callbacks.earlyStopping against Keras 3's EarlyStopping (keras/src/callbacks/early_stopping.py),
// on a val_loss sequence the test scripts: the loss is 1e-3·mse (so the weights do train) plus an
// offset per epoch that dominates it, so val_loss ≈ offsets[epoch].

afterEach(() => {
  vi.restoreAllMocks();
});

const xs = [[1], [2], [3], [4]];
const ys = [[0.5], [1], [1.5], [2]];

interface Run {
  history: wg.History;
  /** The weights at the end of each epoch, read back. */
  snapshots: Float32Array[][];
  final: Float32Array[];
  model: wg.Model;
}

/** Fits `epochs` epochs with val_loss ≈ offsets[epoch] and `callbacks` after the one that snapshots the weights. */
async function fitScripted(offsets: number[], callbacks: wg.Callbacks[], epochs = offsets.length): Promise<Run> {
  let epochNow = 0;
  const model = wg.sequential({ layers: [wg.layers.dense({ units: 1, inputShape: [1] })] });
  model.setWeights([wg.tensor([[0.1]]), wg.tensor([0.2])]);
  const loss = (t: wg.Tensor, p: wg.Tensor) => wg.add(wg.mul(wg.mean(wg.square(wg.sub(p, t))), 1e-3), offsets[epochNow]);
  model.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.5 }), loss });
  const snapshots: Float32Array[][] = [];
  const recorder: wg.Callbacks = {
    onEpochBegin: (epoch) => {
      epochNow = epoch;
    },
    onEpochEnd: async () => {
      const ws = model.getWeights();
      snapshots.push(await Promise.all(ws.map((w) => w.data())));
      for (const w of ws) w.dispose();
    },
  };
  const history = await model.fit(xs, ys, { epochs, batchSize: 2, verbose: 0, shuffle: false, validationData: [xs, ys], callbacks: [recorder, ...callbacks] });
  const ws = model.getWeights();
  const final = await Promise.all(ws.map((w) => w.data()));
  for (const w of ws) w.dispose();
  return { history, snapshots, final, model };
}

describe('earlyStopping stops where Keras 3 stops', () => {
  it('patience 2: stops after two epochs without improvement', async () => {
    const stop = wg.callbacks.earlyStopping({ patience: 2 });
    const { history } = await fitScripted([50, 40, 45, 42, 30, 20], [stop]);
    // 50 (best), 40 (best), 45 (wait 1), 42 (wait 2: stop at epoch 3).
    expect(history.epoch).toEqual([0, 1, 2, 3]);
    expect(stop.stoppedEpoch).toBe(3);
    expect(stop.bestEpoch).toBe(1);
    expect(stop.best).toBeCloseTo(40, 1);
  });
  it('patience 0 (the default) stops at the first epoch that does not improve', async () => {
    const stop = wg.callbacks.earlyStopping();
    const { history } = await fitScripted([50, 40, 41, 30], [stop]);
    expect(history.epoch).toEqual([0, 1, 2]);
  });
  it('a change smaller than minDelta is no improvement', async () => {
    const stop = wg.callbacks.earlyStopping({ minDelta: 5, patience: 1 });
    const { history } = await fitScripted([50, 47, 46, 30], [stop]);
    expect(history.epoch).toEqual([0, 1]);
  });
  it('runs every epoch while the value keeps improving', async () => {
    const stop = wg.callbacks.earlyStopping({ patience: 1 });
    const { history } = await fitScripted([50, 40, 30, 20], [stop]);
    expect(history.epoch).toEqual([0, 1, 2, 3]);
    expect(stop.stoppedEpoch).toBe(0);
  });
  it('an improvement that does not beat the baseline does not restart the wait', async () => {
    const offsets = [50, 40, 45, 42, 41];
    // Without a baseline: 50, 40 restart the wait; 45 (1), 42 (2: stop at epoch 3).
    expect((await fitScripted(offsets, [wg.callbacks.earlyStopping({ patience: 2 })])).history.epoch).toEqual([0, 1, 2, 3]);
    // With baseline 10 neither does: 50 (1), 40 (2), 45 (3: stop at epoch 2).
    expect((await fitScripted(offsets, [wg.callbacks.earlyStopping({ patience: 2, baseline: 10 })])).history.epoch).toEqual([0, 1, 2]);
    // A baseline the values beat changes nothing.
    expect((await fitScripted(offsets, [wg.callbacks.earlyStopping({ patience: 2, baseline: 100 })])).history.epoch).toEqual([0, 1, 2, 3]);
  });
  it('startFromEpoch ignores the first epochs', async () => {
    const stop = wg.callbacks.earlyStopping({ startFromEpoch: 2 });
    const { history } = await fitScripted([50, 60, 70, 60, 65, 10], [stop]);
    // Watched from epoch 2: 70 (best), 60 (best), 65 (stop).
    expect(history.epoch).toEqual([0, 1, 2, 3, 4]);
  });
  it("mode 'max' stops when the value stops rising", async () => {
    const stop = wg.callbacks.earlyStopping({ mode: 'max' });
    const { history } = await fitScripted([10, 20, 15, 30], [stop]);
    expect(history.epoch).toEqual([0, 1, 2]);
  });
});

describe('restoreBestWeights', () => {
  it('gives back the weights of the best epoch, bit for bit, when training stops early', async () => {
    const stop = wg.callbacks.earlyStopping({ patience: 2, restoreBestWeights: true });
    const { history, snapshots, final } = await fitScripted([50, 40, 45, 42, 30], [stop]);
    expect(history.epoch).toEqual([0, 1, 2, 3]);
    expect(snapshots[1]).not.toEqual(snapshots[3]);
    expect(final).toEqual(snapshots[1]);
  });
  it('also at the end of a training that ran all its epochs (Keras 3)', async () => {
    const stop = wg.callbacks.earlyStopping({ patience: 5, restoreBestWeights: true });
    const { history, snapshots, final } = await fitScripted([50, 30, 45, 42], [stop]);
    expect(history.epoch).toEqual([0, 1, 2, 3]);
    expect(stop.stoppedEpoch).toBe(0);
    expect(final).toEqual(snapshots[1]);
  });
  it('without it the weights of the last epoch stay', async () => {
    const { snapshots, final } = await fitScripted([50, 40, 45, 42], [wg.callbacks.earlyStopping({ patience: 2 })]);
    expect(final).toEqual(snapshots[3]);
  });
  it('frees the copies it held once training ends', async () => {
    const stop = wg.callbacks.earlyStopping({ patience: 2, restoreBestWeights: true });
    const { model } = await fitScripted([50, 40, 45, 42], [stop]);
    const before = wg.memory().numTensors;
    const again = await model.fit(xs, ys, { epochs: 3, verbose: 0, validationData: [xs, ys], callbacks: [stop] });
    expect(again.epoch.length).toBeGreaterThan(0);
    expect(wg.memory().numTensors).toBe(before);
  });
});

describe('callbacks and setModel', () => {
  it('fit calls setModel with the model before onTrainBegin', async () => {
    const calls: string[] = [];
    let seen: CallbackModel | undefined;
    const model = wg.sequential({ layers: [wg.layers.dense({ units: 1, inputShape: [1] })] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const cb = {
      setModel(m: CallbackModel) {
        calls.push('setModel');
        seen = m;
      },
      onTrainBegin() {
        calls.push('onTrainBegin');
      },
    };
    await model.fit(xs, ys, { epochs: 1, verbose: 0, callbacks: [cb] });
    expect(seen).toBe(model);
    expect(calls).toEqual(['setModel', 'onTrainBegin']);
  });
  it('a Keras-style callback sets model.stopTraining through the model it was given', async () => {
    const model = wg.sequential({ layers: [wg.layers.dense({ units: 1, inputShape: [1] })] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    class StopAfterOne implements wg.Callbacks {
      model?: CallbackModel;
      setModel(m: CallbackModel) {
        this.model = m;
      }
      onEpochEnd() {
        this.model!.stopTraining = true;
      }
    }
    const h = await model.fit(xs, ys, { epochs: 5, verbose: 0, callbacks: [new StopAfterOne()] });
    expect(h.epoch).toEqual([0]);
  });
  it('callbacks is exported from the package root', () => {
    expect(typeof wg.callbacks.earlyStopping).toBe('function');
    expect(wg.callbacks.earlyStopping()).toBeInstanceOf(wg.callbacks.EarlyStopping);
  });
});

describe('earlyStopping options and monitors', () => {
  it('a monitor missing from the logs warns as Keras does, and training goes on', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const model = wg.sequential({ layers: [wg.layers.dense({ units: 1, inputShape: [1] })] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const h = await model.fit(xs, ys, { epochs: 3, verbose: 0, callbacks: [wg.callbacks.earlyStopping()] });
    expect(h.epoch).toEqual([0, 1, 2]);
    expect(warn).toHaveBeenCalledTimes(3);
    expect(String(warn.mock.calls[0][0])).toMatch(/Early stopping conditioned on metric 'val_loss' which is not available\. Available metrics are: loss,regularizationLoss/);
  });
  it("in 'auto' mode accuracies rise and errors fall; anything else needs a mode", async () => {
    const model = wg.sequential({ layers: [wg.layers.dense({ units: 1, inputShape: [1] })] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const fake = { getWeights: () => [], setWeights: () => {} } as unknown as CallbackModel;
    const acc = wg.callbacks.earlyStopping({ monitor: 'val_acc' });
    acc.setModel(fake);
    acc.onTrainBegin();
    acc.onEpochEnd(0, { val_acc: 0.5 });
    acc.onEpochEnd(1, { val_acc: 0.6 });
    expect(fake.stopTraining).toBeUndefined();
    acc.onEpochEnd(2, { val_acc: 0.55 });
    expect(fake.stopTraining).toBe(true);
    const mse = wg.callbacks.earlyStopping({ monitor: 'mse' });
    mse.setModel(fake);
    mse.onEpochEnd(0, { mse: 1 });
    expect(mse.best).toBe(1);
    mse.onEpochEnd(1, { mse: 0.5 });
    expect(mse.best).toBe(0.5);
    await expect(model.fit(xs, ys, { epochs: 2, verbose: 0, validationData: [xs, ys], callbacks: [wg.callbacks.earlyStopping({ monitor: 'val_score' })] })).rejects.toThrow(
      /cannot tell whether 'val_score' should rise or fall/,
    );
  });
  it('bad options are InvalidArgumentErrors', () => {
    const bad: unknown[] = [
      { patience: -1 },
      { patience: 1.5 },
      { minDelta: NaN },
      { mode: 'up' },
      { baseline: 'x' },
      { restoreBestWeights: 1 },
      { startFromEpoch: -2 },
      { monitor: '' },
      { verbose: 3 },
    ];
    for (const opts of bad) expect(() => wg.callbacks.earlyStopping(opts as never), JSON.stringify(opts)).toThrow(wg.InvalidArgumentError);
    expect(() => wg.callbacks.earlyStopping({ patiance: 2 } as never)).toThrow(/unknown option 'patiance'; did you mean 'patience'\?/);
  });
  it('restoreBestWeights refuses a model without getWeights and setWeights', () => {
    const stop = wg.callbacks.earlyStopping({ restoreBestWeights: true });
    expect(() => stop.setModel({ trainableWeights: [], losses: [], apply: (x: wg.Tensor) => x } as unknown as CallbackModel)).toThrow(wg.InvalidArgumentError);
  });
  it('a misspelled hook on a plain callback object is caught', async () => {
    const model = wg.sequential({ layers: [wg.layers.dense({ units: 1, inputShape: [1] })] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await expect(model.fit(xs, ys, { verbose: 0, callbacks: [{ setModle: () => {} } as never] })).rejects.toThrow(/did you mean 'setModel'\?/);
  });
});
