import { describe, expect, it } from 'vitest';
import * as wg from '../src';
import { expectClose, randomArray } from './helpers';

// The README's examples, run as written (with small data), so the front page stays true.
describe('README examples', () => {
  it('the tape gradient of a small loss matches the formula 2/n · xᵀ(xw − y)', async () => {
    const w = wg.variable(wg.randomNormal([3, 1], { seed: 0 }));
    const x = wg.tensor([[1, 2, 3], [4, 5, 6]]);
    const y = wg.tensor([[1], [2]]);
    const tape = new wg.GradientTape();
    const loss = tape.record(() => wg.mean(wg.square(wg.sub(wg.matmul(x, w), y))));
    const [dw] = tape.gradient(loss, [w]);
    const wv = await w.data();
    const r = [0, 1].map((i) => [0, 1, 2].reduce((s, j) => s + (i * 3 + j + 1) * wv[j], 0) - (i + 1));
    expectClose(await dw!.data(), [0, 1, 2].map((j) => (2 / 2) * (r[0] * (j + 1) + r[1] * (j + 4))), 1e-5, 1e-5);
  });

  it('the regularized model fits, reports regularizationLoss, and its losses are eager safe', async () => {
    const n = 60;
    const feats = randomArray(n * 4, 5);
    const labels = Float32Array.from({ length: n }, (_, i) => (feats[i * 4] + feats[i * 4 + 1] > 0 ? 1 : 0) + (feats[i * 4 + 2] > 0.5 ? 1 : 0));
    const xTrain = wg.tensor(feats, [n, 4]);
    const yTrain = wg.tensor(labels, [n]);
    const model = wg.sequential({
      layers: [
        wg.layers.dense({ units: 32, activation: 'relu', inputShape: [4], kernelRegularizer: wg.regularizers.l1l2({ l1: 1e-4, l2: 1e-3 }) }),
        wg.layers.dense({ units: 3, activation: 'softmax', kernelRegularizer: wg.regularizers.l2(1e-3) }),
      ],
    });
    model.compile({ optimizer: wg.optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
    const history = await model.fit(xTrain, yTrain, { epochs: 20, batchSize: 32, validationSplit: 0.2 });
    const { loss, regularizationLoss } = history.history;
    expect(loss.at(-1)!).toBeLessThan(loss[0]);
    expect(regularizationLoss.at(-1)!).toBeGreaterThan(0);
    expect(history.history.val_loss).toHaveLength(20);

    const tape = new wg.GradientTape();
    const penalty = tape.record(() => wg.addN(model.losses));
    const grads = tape.gradient(penalty, model.trainableWeights);
    const kernel = await model.trainableWeights[0].data();
    const g = await grads[0]!.data();
    expectClose(g, Array.from(kernel, (v) => 1e-4 * Math.sign(v) + 2e-3 * v), 1e-4, 1e-7);
    expect(grads[1]).toBeNull(); // the first bias has no regularizer
  });
});
