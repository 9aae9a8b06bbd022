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

/** Every weight of a webgrad model and its TensorFlow.js twin set to the same seeded values (BN variances positive). */
function seedBoth(model: wg.Layer, twin: tf.LayersModel, seed: number): void {
  const values = model.weights.map((w, i) => randomArray(w.size, seed + i, w.name.endsWith('variance') ? 0.5 : -0.5, w.name.endsWith('variance') ? 1.5 : 0.5));
  model.setWeights(values.map((v, i) => wg.tensor(v, [...model.weights[i].shape])));
  expect(twin.weights.map((w) => w.shape)).toEqual(model.weights.map((w) => w.shape));
  twin.setWeights(values.map((v, i) => tf.tensor(v, twin.weights[i].shape)));
}

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
