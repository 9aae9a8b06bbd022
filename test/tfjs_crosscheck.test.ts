// The same small dense models, weights and data in webgrad and in TensorFlow.js layers (CPU
// backend): the loss with its penalties, its gradients, and the weights after a few epochs of fit
// must agree within float32 tolerance.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../src';
import { expectClose, randomArray, rng } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const [N, F, H, C] = [24, 5, 8, 3];
const reg = { l1: 0.01, l2: 0.02 };

function data(seed: number, classification: boolean): { x: Float32Array; y: Float32Array } {
  const r = rng(seed);
  const x = randomArray(N * F, seed, -1, 1);
  const y = new Float32Array(N * C);
  for (let i = 0; i < N; i++) {
    if (classification) y[i * C + Math.floor(r() * C)] = 1;
    else for (let c = 0; c < C; c++) y[i * C + c] = r() * 2 - 1;
  }
  return { x, y };
}

/**
 * dense(H, relu) → dense(C, output), both kernels under l1l2, the first bias under l2; every
 * weight (biases too, so their penalty is not 0) drawn from a seeded uniform in [−0.5, 0.5].
 */
function webgradModel(output: 'linear' | 'softmax'): wg.Sequential {
  const model = wg.sequential({
    layers: [
      wg.layers.dense({ units: H, activation: 'relu', inputShape: [F], kernelRegularizer: wg.regularizers.l1l2(reg), biasRegularizer: wg.regularizers.l2(0.03) }),
      wg.layers.dense({ units: C, activation: output, kernelRegularizer: wg.regularizers.l1l2(reg) }),
    ],
  });
  model.setWeights(model.weights.map((w, i) => wg.tensor(randomArray(w.size, 50 + i, -0.5, 0.5), [...w.shape])));
  return model;
}

/** The same architecture in TensorFlow.js, given webgrad's initial weights. */
async function tfjsTwin(model: wg.Sequential, output: 'linear' | 'softmax'): Promise<tf.Sequential> {
  const twin = tf.sequential({
    layers: [
      tf.layers.dense({ units: H, activation: 'relu', inputShape: [F], kernelRegularizer: tf.regularizers.l1l2(reg), biasRegularizer: tf.regularizers.l2({ l2: 0.03 }) }),
      tf.layers.dense({ units: C, activation: output, kernelRegularizer: tf.regularizers.l1l2(reg) }),
    ],
  });
  const weights = model.getWeights();
  twin.setWeights(await Promise.all(weights.map(async (w) => tf.tensor(await w.data(), [...w.shape]))));
  for (const w of weights) w.dispose();
  return twin;
}

async function expectSameWeights(model: wg.Sequential, twin: tf.Sequential, rtol: number, atol: number): Promise<void> {
  const ours = model.getWeights();
  const theirs = twin.getWeights();
  expect(ours.map((w) => w.shape)).toEqual(theirs.map((w) => w.shape));
  for (let i = 0; i < ours.length; i++) expectClose(await ours[i].data(), theirs[i].dataSync(), rtol, atol);
  for (const w of ours) w.dispose();
}

describe('webgrad against TensorFlow.js layers (CPU backend)', () => {
  it('loss + Σ losses and its gradients agree', async () => {
    const { x, y } = data(1, false);
    const model = webgradModel('linear');
    const twin = await tfjsTwin(model, 'linear');

    const xt = wg.tensor(x, [N, F]);
    const yt = wg.tensor(y, [N, C]);
    const tape = new wg.GradientTape();
    const total = tape.record(() => wg.add(wg.losses.meanSquaredError(yt, model.apply(xt)), wg.addN(model.losses)));
    const grads = tape.gradient(total, model.trainableWeights);

    const tfVars = twin.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads: tfGrads } = tf.variableGrads(() => {
      const pred = twin.apply(tf.tensor(x, [N, F])) as tf.Tensor;
      return tf.addN([tf.losses.meanSquaredError(tf.tensor(y, [N, C]), pred), ...twin.calculateLosses()]) as tf.Scalar;
    }, tfVars);

    expect((await total.data())[0]).toBeCloseTo(value.dataSync()[0], 5);
    expect(grads.length).toBe(tfVars.length);
    for (let i = 0; i < tfVars.length; i++) {
      expectClose(await grads[i]!.data(), tfGrads[tfVars[i].name].dataSync(), 1e-4, 1e-6);
    }
  });

  it('the penalties alone agree (model.losses against calculateLosses)', async () => {
    const model = webgradModel('linear');
    const twin = await tfjsTwin(model, 'linear');
    const ours = await Promise.all(model.losses.map(async (l) => (await l.data())[0]));
    const theirs = twin.calculateLosses().map((l) => l.dataSync()[0]);
    expectClose(ours.sort(), theirs.sort(), 1e-5, 1e-7);
  });

  it('weights and epoch losses after 3 epochs of fit with SGD (shuffle off) agree', async () => {
    const { x, y } = data(2, false);
    const model = webgradModel('linear');
    const twin = await tfjsTwin(model, 'linear');
    model.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    twin.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const ours = await model.fit(wg.tensor(x, [N, F]), wg.tensor(y, [N, C]), { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
    const theirs = await twin.fit(tf.tensor(x, [N, F]), tf.tensor(y, [N, C]), { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
    // TensorFlow.js's fit loss includes the penalties too, averaged over batches by batch size.
    expectClose(ours.history.loss, theirs.history.loss as number[], 1e-4, 1e-6);
    await expectSameWeights(model, twin, 1e-4, 1e-6);
  });

  it('weights after 3 epochs of fit with Adam (softmax + categoricalCrossentropy, shuffle off) agree', async () => {
    const { x, y } = data(3, true);
    const model = webgradModel('softmax');
    const twin = await tfjsTwin(model, 'softmax');
    // TensorFlow.js adds ε to √v̂ after bias correction, Keras to √v before it; a tiny ε makes
    // the two rules coincide (the Keras rule itself is pinned in optimizers.test.ts).
    model.compile({ optimizer: wg.optimizers.adam({ learningRate: 0.01, epsilon: 1e-10 }), loss: 'categoricalCrossentropy' });
    twin.compile({ optimizer: tf.train.adam(0.01, 0.9, 0.999, 1e-10), loss: 'categoricalCrossentropy' });
    const ours = await model.fit(wg.tensor(x, [N, F]), wg.tensor(y, [N, C]), { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
    const theirs = await twin.fit(tf.tensor(x, [N, F]), tf.tensor(y, [N, C]), { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
    expectClose(ours.history.loss, theirs.history.loss as number[], 1e-4, 1e-6);
    await expectSameWeights(model, twin, 1e-4, 1e-5);
  });
});
