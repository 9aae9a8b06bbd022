// layers.batchNormalization against TensorFlow.js's CPU backend (its layer, its ops, its fit and
// trainOnBatch from the same weights) and plain formulas; and dropout on inputs of any rank.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../src';
import { expectClose, randomArray, size } from './helpers';
import { expectThrowsBeforeWork, hessianRowSums, secondDerivativeRowSums } from './tf_reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** gamma, beta, moving mean and moving variance (positive) for `features` features. */
function bnWeights(features: number, seed: number): Float32Array[] {
  return [
    randomArray(features, seed, 0.5, 1.5),
    randomArray(features, seed + 1, -0.5, 0.5),
    randomArray(features, seed + 2, -0.3, 0.3),
    randomArray(features, seed + 3, 0.5, 2),
  ];
}

const data = async (ts: readonly wg.Tensor[]): Promise<Float32Array[]> => Promise.all(ts.map((t) => t.data()));

/**
 * Every weight of a webgrad Sequential and its TensorFlow.js twin set to the same seeded values,
 * layer by layer (TensorFlow.js lists a model's weights trainable first, Keras 3 layer by layer);
 * moving variances positive.
 */
function seedBoth(model: wg.Sequential, twin: tf.Sequential, seed: number): void {
  model.layers.forEach((layer, l) => {
    const values = layer.weights.map((w, i) => randomArray(w.size, seed + 10 * l + i, w.name.endsWith('variance') ? 0.5 : -0.5, w.name.endsWith('variance') ? 1.5 : 0.5));
    layer.setWeights(values.map((v, i) => wg.tensor(v, [...layer.weights[i].shape])));
    twin.layers[l].setWeights(values.map((v, i) => tf.tensor(v, twin.layers[l].weights[i].shape)));
  });
}

/** A Sequential's weights layer by layer, as TensorFlow.js holds them. */
const tfWeights = (twin: tf.Sequential): Float32Array[] => twin.layers.flatMap((l) => l.getWeights().map((w) => w.dataSync() as Float32Array));

/**
 * Float64 batch normalization of x (shape) over every axis but `axis`: the output, and the batch
 * mean and biased variance per feature.
 */
function batchNormF64(x: ArrayLike<number>, shape: number[], axis: number, gamma: ArrayLike<number>, beta: ArrayLike<number>, eps: number, stats?: [ArrayLike<number>, ArrayLike<number>]) {
  const features = shape[axis];
  const inner = size(shape.slice(axis + 1));
  const featureOf = (i: number) => Math.floor(i / inner) % features;
  const count = x.length / features;
  const mean = new Float64Array(features);
  const variance = new Float64Array(features);
  for (let i = 0; i < x.length; i++) mean[featureOf(i)] += x[i] / count;
  for (let i = 0; i < x.length; i++) variance[featureOf(i)] += (x[i] - mean[featureOf(i)]) ** 2 / count;
  const [m, v] = stats ?? [mean, variance];
  const y = Array.from(x, (xi, i) => {
    const c = featureOf(i);
    return ((xi - m[c]) / Math.sqrt(v[c] + eps)) * gamma[c] + beta[c];
  });
  return { y, mean, variance };
}

describe('layers.batchNormalization forward', () => {
  // TensorFlow.js 4.22's layer normalizes a feature axis other than the last with the wrong
  // statistics in inference, so those cases are held against the float64 formula alone.
  const cases: Array<[string, number[], number, boolean]> = [
    ['rank 2 (dense features)', [6, 5], -1, true],
    ['rank 4 NHWC (axis −1, channels)', [3, 4, 5, 3], -1, true],
    ['rank 4 on axis 1 (not the last)', [2, 3, 4, 5], 1, false],
    ['rank 3 on axis −2', [4, 3, 2], -2, false],
  ];
  for (const [name, shape, axis, likeTf] of cases) {
    it(`${name}: training uses and moves batch statistics, inference the moving ones${likeTf ? ', as TensorFlow.js' : ''}`, async () => {
      const featureAxis = (axis + shape.length) % shape.length;
      const features = shape[featureAxis];
      const weights = bnWeights(features, 10);
      const x = randomArray(size(shape), 20, -2, 3);
      const momentum = 0.8;
      const layer = wg.layers.batchNormalization({ axis, momentum });
      layer.build([null, ...shape.slice(1)]);
      layer.setWeights(weights.map((w) => wg.tensor(w, [features])));
      const xs = wg.tensor(x, shape);

      const inference = layer.apply(xs);
      expect(inference.shape).toEqual(shape);
      const expectedInference = batchNormF64(x, shape, featureAxis, weights[0], weights[1], 1e-3, [weights[2], weights[3]]).y;
      expectClose(await inference.data(), expectedInference, 1e-5, 1e-5);
      (await data(layer.getWeights())).forEach((w, i) => expect(Array.from(w), 'inference keeps the weights').toEqual(Array.from(weights[i])));

      const training = layer.apply(xs, { training: true });
      const { y, mean, variance } = batchNormF64(x, shape, featureAxis, weights[0], weights[1], 1e-3);
      expectClose(await training.data(), y, 1e-5, 1e-5);
      const moved = (await data(layer.getWeights())).slice(2);
      // The update rule, with the biased batch variance.
      expectClose(moved[0], weights[2].map((m, c) => m * momentum + mean[c] * (1 - momentum)), 1e-5, 1e-6);
      expectClose(moved[1], weights[3].map((v, c) => v * momentum + variance[c] * (1 - momentum)), 1e-5, 1e-6);

      if (likeTf) {
        const twin = tf.layers.batchNormalization({ axis, momentum });
        twin.apply(tf.zeros(shape));
        twin.setWeights(weights.map((w) => tf.tensor(w, [features])));
        expectClose(expectedInference, (twin.apply(tf.tensor(x, shape)) as tf.Tensor).dataSync(), 1e-5, 1e-5);
        expectClose(await training.data(), (twin.apply(tf.tensor(x, shape), { training: true }) as tf.Tensor).dataSync(), 1e-5, 1e-5);
        const tfMoved = twin.getWeights().slice(2).map((w) => w.dataSync());
        expectClose(moved[0], tfMoved[0], 1e-5, 1e-6);
        expectClose(moved[1], tfMoved[1], 1e-5, 1e-6);
      }
      layer.dispose();
    });
  }
});

describe('layers.batchNormalization gradients', () => {
  /** TensorFlow.js ops: batch normalization over `axes` with the batch statistics (training). */
  const tfTraining = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, axes: number[], view: number[]): tf.Tensor => {
    const { mean, variance } = tf.moments(x, axes, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-3))), tf.reshape(gamma, view)), tf.reshape(beta, view));
  };

  const cases: Array<[string, number[], number]> = [
    ['rank 4 NHWC', [3, 4, 3, 2], -1],
    ['rank 2', [7, 4], -1],
    ['rank 4 on axis 1', [2, 3, 3, 4], 1],
  ];
  for (const [name, shape, axis] of cases) {
    it(`${name}, training: d/d input, gamma and beta as TensorFlow.js's tf.grads`, async () => {
      const featureAxis = (axis + shape.length) % shape.length;
      const features = shape[featureAxis];
      const view = shape.map((d, i) => (i === featureAxis ? d : 1));
      const axes = shape.map((_, i) => i).filter((i) => i !== featureAxis);
      const weights = bnWeights(features, 30);
      const x = randomArray(size(shape), 31, -1, 2);
      const w = randomArray(size(shape), 32);

      const layer = wg.layers.batchNormalization({ axis });
      layer.build([null, ...shape.slice(1)]);
      layer.setWeights(weights.map((v) => wg.tensor(v, [features])));
      const xs = wg.tensor(x, shape);
      const tape = new wg.GradientTape();
      tape.watch(xs);
      const loss = tape.record(() => wg.sum(wg.mul(layer.apply(xs, { training: true }), wg.tensor(w, shape))));
      const grads = tape.gradient(loss, [xs, layer.gamma!, layer.beta!]);
      tape.dispose();

      const tfGrads = tf.grads((tx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tfTraining(tx, g, b, axes, view), tf.tensor(w, shape))))(
        [tf.tensor(x, shape), tf.tensor(weights[0]), tf.tensor(weights[1])],
      );
      for (let k = 0; k < 3; k++) {
        expect(grads[k]!.shape).toEqual(tfGrads[k].shape);
        expectClose(await grads[k]!.data(), tfGrads[k].dataSync(), 1e-4, 1e-5);
      }
      expect(layer.movingMean!.trainable).toBe(false);
      layer.dispose();
    });
  }

  it('inference: dx = dy·gamma/√(moving variance + ε), dbeta = Σ dy', async () => {
    const shape = [5, 3];
    const weights = bnWeights(3, 40);
    const layer = wg.layers.batchNormalization({ epsilon: 0.01 });
    layer.build([null, 3]);
    layer.setWeights(weights.map((v) => wg.tensor(v, [3])));
    const xs = wg.tensor(randomArray(15, 41), shape);
    const w = randomArray(15, 42);
    const tape = new wg.GradientTape();
    tape.watch(xs);
    const loss = tape.record(() => wg.sum(wg.mul(layer.apply(xs), wg.tensor(w, shape))));
    const [dx, dbeta] = tape.gradient(loss, [xs, layer.beta!]);
    tape.dispose();
    expectClose(await dx!.data(), Array.from(w, (wi, i) => wi * weights[0][i % 3] / Math.sqrt(weights[3][i % 3] + 0.01)), 1e-5, 1e-6);
    expectClose(await dbeta!.data(), [0, 1, 2].map((c) => w.reduce((s, wi, i) => (i % 3 === c ? s + wi : s), 0)), 1e-5, 1e-5);
    layer.dispose();
  });

  it('second derivatives through the batch statistics, as central differences of the float64 function', async () => {
    const shape = [4, 3];
    const weights = bnWeights(3, 50);
    const w = randomArray(12, 51);
    const layer = wg.layers.batchNormalization();
    layer.build([null, 3]);
    layer.setWeights(weights.map((v) => wg.tensor(v, [3])));
    // f(x) = Σ w·BN(x)²: the squares keep the second derivative from vanishing.
    const f = (x: wg.Tensor): wg.Tensor => wg.sum(wg.mul(wg.square(layer.apply(x, { training: true })), wg.tensor(w, shape)));
    const reference = (x: number[]): number =>
      batchNormF64(x, shape, 1, weights[0], weights[1], 1e-3).y.reduce((s, yi, i) => s + w[i] * yi * yi, 0);
    const x = randomArray(12, 52, -1, 2);
    expectClose(await secondDerivativeRowSums(f, x, shape), hessianRowSums(reference, x), 2e-3, 2e-3);
    layer.dispose();
  });
});

describe('layers.batchNormalization in training', () => {
  const makeModels = (seed: number) => {
    const model = wg.sequential({
      layers: [
        wg.layers.dense({ units: 4, inputShape: [3] }),
        wg.layers.batchNormalization({ momentum: 0.9 }),
        wg.layers.dense({ units: 2, activation: 'tanh' }),
      ],
    });
    const twin = tf.sequential({
      layers: [
        tf.layers.dense({ units: 4, inputShape: [3] }),
        tf.layers.batchNormalization({ momentum: 0.9 }),
        tf.layers.dense({ units: 2, activation: 'tanh' }),
      ],
    });
    seedBoth(model, twin, seed);
    model.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    twin.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    return { model, twin };
  };
  const xValues = randomArray(12 * 3, 60, -2, 2);
  const yValues = randomArray(12 * 2, 61);

  it("trainOnBatch moves the statistics and the weights as TensorFlow.js's trainOnBatch", async () => {
    const { model, twin } = makeModels(70);
    const logs = await model.trainOnBatch(wg.tensor(xValues, [12, 3]), wg.tensor(yValues, [12, 2]));
    const tfLoss = (await twin.trainOnBatch(tf.tensor(xValues, [12, 3]), tf.tensor(yValues, [12, 2]))) as number;
    expectClose([logs.loss], [tfLoss], 1e-5, 1e-6);
    const ours = await data(model.getWeights());
    tfWeights(twin).forEach((w, i) => expectClose(ours[i], w, 1e-4, 1e-5));
    expect(model.weights.map((w) => w.name.split('/')[1])).toEqual(['kernel', 'bias', 'gamma', 'beta', 'moving_mean', 'moving_variance', 'kernel', 'bias']);
    model.dispose();
  });

  it("fit moves the statistics every batch, as TensorFlow.js's fit: the same losses and weights after two epochs", async () => {
    const { model, twin } = makeModels(80);
    const before = await data(model.getWeights());
    const history = await model.fit(wg.tensor(xValues, [12, 3]), wg.tensor(yValues, [12, 2]), { epochs: 2, batchSize: 4, shuffle: false, verbose: 0 });
    const tfHistory = await twin.fit(tf.tensor(xValues, [12, 3]), tf.tensor(yValues, [12, 2]), { epochs: 2, batchSize: 4, shuffle: false, verbose: 0 });
    expectClose(history.history.loss, tfHistory.history.loss as number[], 1e-4, 1e-6);
    const ours = await data(model.getWeights());
    tfWeights(twin).forEach((w, i) => expectClose(ours[i], w, 1e-4, 1e-5));
    expect(Array.from(ours[4])).not.toEqual(Array.from(before[4]));
    model.dispose();
  });
});
