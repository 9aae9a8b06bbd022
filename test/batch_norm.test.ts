// layers.batchNormalization against TensorFlow.js's CPU backend (its layer, its ops, its fit and
// trainOnBatch from the same weights) and plain formulas; and dropout on inputs of any rank.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import * as wg from '../src';
import { expectClose, randomArray, size } from './helpers';
import { expectThrowsBeforeWork, hessianRowSums, secondDerivativeRowSums, tfArtifacts } from './tf_reference';

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

/** The values of scalar tensors. */
const scalars = async (ts: readonly wg.Tensor[]): Promise<number[]> => (await data(ts)).map((d) => d[0]);

/**
 * Every weight of a webgrad Sequential and its TensorFlow.js twin set to the same seeded values,
 * layer by layer (TensorFlow.js lists a model's weights trainable first, Keras 3 layer by layer);
 * moving variances positive.
 */
function seedBoth(model: wg.Sequential, twin: tf.Sequential, seed: number): void {
  model.layers.forEach((layer, l) => {
    const values = layer.weights.map((w, i) => randomArray(w.size, seed + 10 * l + i, w.name.endsWith('variance') ? 0.5 : -0.5, w.name.endsWith('variance') ? 1.5 : 0.5));
    layer.setWeights(values.map((v, i) => wg.tensor(v, [...layer.weights[i].shape])));
    twin.layers[l].setWeights(values.map((v, i) => tf.tensor(v, twin.layers[l].weights[i].shape as number[])));
  });
}

/** A Sequential's weights layer by layer, as TensorFlow.js holds them. */
const tfWeights = (twin: tf.Sequential): Float32Array[] => twin.layers.flatMap((l) => l.getWeights().map((w) => w.dataSync() as Float32Array));

/**
 * Float64 batch normalization of x (shape) over every axis but `axis`: the output, normalized by
 * the batch's statistics or by `stats` (a moving mean and variance) when given, and the batch mean
 * and biased variance per feature.
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
  // TensorFlow.js 4.22's BatchNormalization layer gets a feature axis other than the last wrong,
  // in training and inference (its outputs differ from the formula and from its own ops), so
  // those cases are held against the float64 formula alone (and their gradients below against
  // TensorFlow.js's ops).
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

describe('layers.batchNormalization in the training step', () => {
  it('moves its statistics within the step: no readback or submit of its own, fixed dispatches per epoch, flat memory', async () => {
    const x = wg.tensor(randomArray(16 * 3, 160), [16, 3]);
    const y = wg.tensor(randomArray(16, 161), [16, 1]);
    const run = async (withNormalization: boolean) => {
      const model = wg.sequential({
        layers: [wg.layers.dense({ units: 4, inputShape: [3] }), ...(withNormalization ? [wg.layers.batchNormalization()] : []), wg.layers.dense({ units: 1 })],
      });
      model.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.05 }), loss: 'meanSquaredError' });
      await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
      const maps = vi.spyOn(GPUBuffer.prototype, 'mapAsync');
      const submits = vi.spyOn(GPUQueue.prototype, 'submit');
      const perEpoch: Array<{ tensors: number; bytes: number; dispatches: number }> = [];
      const onEpochEnd = () => {
        const m = wg.memory();
        perEpoch.push({ tensors: m.numTensors, bytes: m.numBytes, dispatches: m.numDispatches });
      };
      await model.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0, callbacks: { onEpochEnd } });
      const counts = { readbacks: maps.mock.calls.length, submits: submits.mock.calls.length };
      maps.mockRestore();
      submits.mockRestore();
      expect(new Set(perEpoch.map((e) => e.tensors)).size).toBe(1);
      expect(new Set(perEpoch.map((e) => e.bytes)).size).toBe(1);
      const d = perEpoch.slice(1).map((e, i) => e.dispatches - perEpoch[i].dispatches);
      expect(d[0]).toBe(d[1]);
      model.dispose();
      return { ...counts, dispatchesPerEpoch: d[0] };
    };
    const plain = await run(false);
    const normalized = await run(true);
    expect(plain.submits).toBeGreaterThanOrEqual(4 * 3);
    expect(plain.readbacks).toBeGreaterThan(0);
    expect(normalized.readbacks).toBe(plain.readbacks);
    expect(normalized.submits).toBe(plain.submits);
    expect(normalized.dispatchesPerEpoch).toBeGreaterThan(plain.dispatchesPerEpoch);
  });
});

describe('layers.batchNormalization modes, penalties and predictions', () => {
  const xValues = randomArray(8 * 3, 90, -2, 2);
  const yValues = randomArray(8 * 3, 91);

  /** A one-layer model of a batch normalization with seeded weights. */
  const bnModel = (args: wg.layers.BatchNormalizationArgs = {}) => {
    const layer = wg.layers.batchNormalization({ inputShape: [3], momentum: 0.5, ...args });
    const model = wg.sequential({ layers: [layer] });
    const weights = bnWeights(3, 92);
    layer.setWeights(weights.map((v) => wg.tensor(v, [3])));
    model.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    return { layer, model, weights };
  };

  it('trainable = false runs in inference mode (Keras 3): training applies and fit leave every weight as it was', async () => {
    const { layer, model, weights } = bnModel();
    layer.trainable = false;
    expect(model.trainableWeights).toHaveLength(0);
    expect(model.nonTrainableWeights).toHaveLength(4);
    const y = layer.apply(wg.tensor(xValues, [8, 3]), { training: true });
    expectClose(await y.data(), batchNormF64(xValues, [8, 3], 1, weights[0], weights[1], 1e-3, [weights[2], weights[3]]).y, 1e-5, 1e-5);
    await model.fit(wg.tensor(xValues, [8, 3]), wg.tensor(yValues, [8, 3]), { epochs: 2, batchSize: 4, verbose: 0 });
    (await data(model.getWeights())).forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(weights[i])));

    // Freezing the model that holds it freezes it too; unfreezing brings back the batch statistics.
    layer.trainable = true;
    const outer = wg.sequential({ layers: [model] });
    outer.trainable = false;
    layer.apply(wg.tensor(xValues, [8, 3]), { training: true });
    expect(Array.from(await layer.movingMean!.data())).toEqual(Array.from(weights[2]));
    outer.trainable = true;
    const trained = layer.apply(wg.tensor(xValues, [8, 3]), { training: true });
    expectClose(await trained.data(), batchNormF64(xValues, [8, 3], 1, weights[0], weights[1], 1e-3).y, 1e-5, 1e-5);
    expect(Array.from(await layer.movingMean!.data())).not.toEqual(Array.from(weights[2]));
    model.dispose();
  });

  it('gamma and beta regularizers in model.losses: recomputed on read, eager safe, none when frozen', async () => {
    const { layer, model } = bnModel({ gammaRegularizer: wg.regularizers.l2(0.1), betaRegularizer: wg.regularizers.l1(0.2) });
    const expected = (g: Float32Array, b: Float32Array) => [0.1 * g.reduce((s, v) => s + v * v, 0), 0.2 * b.reduce((s, v) => s + Math.abs(v), 0)];
    expectClose(await scalars(model.losses), expected(await layer.gamma!.data(), await layer.beta!.data()), 1e-5, 1e-6);
    layer.gamma!.assign(wg.tensor([1, -2, 3]));
    expectClose(await scalars(model.losses), expected(Float32Array.from([1, -2, 3]), await layer.beta!.data()), 1e-5, 1e-6);
    const tape = new wg.GradientTape();
    const total = tape.record(() => wg.addN(model.losses));
    const [dGamma] = tape.gradient(total, [layer.gamma!]);
    tape.dispose();
    expectClose(await dGamma!.data(), [0.2, -0.4, 0.6], 1e-5, 1e-6);
    // fit trains on the compiled loss plus the penalties, and logs both.
    const history = await model.fit(wg.tensor(xValues, [8, 3]), wg.tensor(yValues, [8, 3]), { epochs: 1, batchSize: 8, verbose: 0 });
    expect(history.history.loss[0]).toBeGreaterThan(expected(Float32Array.from([1, -2, 3]), new Float32Array(3))[0]);
    layer.trainable = false;
    expect(model.losses).toHaveLength(0);
    model.dispose();
  });

  it('predict and evaluate use the moving statistics and leave them alone', async () => {
    const { model, weights } = bnModel();
    const x = wg.tensor(xValues, [8, 3]);
    const expected = batchNormF64(xValues, [8, 3], 1, weights[0], weights[1], 1e-3, [weights[2], weights[3]]).y;
    const predicted = model.predict(x, { batchSize: 3 });
    expectClose(await predicted.data(), expected, 1e-5, 1e-5);
    const logs = await model.evaluate(x, wg.tensor(yValues, [8, 3]), { batchSize: 5 });
    expectClose([logs.loss], [expected.reduce((s, v, i) => s + (v - yValues[i]) ** 2, 0) / expected.length], 1e-5, 1e-6);
    (await data(model.getWeights())).forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(weights[i])));
    model.dispose();
  });

  it('summary and countParams count the moving statistics as non-trainable parameters (Keras)', () => {
    const model = wg.sequential({ layers: [wg.layers.dense({ units: 5, inputShape: [3] }), wg.layers.batchNormalization({ name: 'bn' }), wg.layers.batchNormalization({ center: false })] });
    const lines: string[] = [];
    model.summary((line) => lines.push(line));
    expect(model.countParams()).toBe(20 + 4 * 5 + 3 * 5);
    expect(model.layers[1].countParams()).toBe(20);
    expect(lines.find((l) => l.startsWith('bn '))?.trim()).toMatch(/^bn \(BatchNormalization\)\s+\(None, 5\)\s+20$/);
    expect(lines).toContain('Trainable params: 35');
    expect(lines).toContain('Total params: 55');
    expect(lines).toContain('Non-trainable params: 20');
    expect(model.layers[2].weights.map((w) => w.name.split('/')[1])).toEqual(['gamma', 'moving_mean', 'moving_variance']);
    model.dispose();
  });
});

describe('layers.batchNormalization in the TensorFlow.js layers-model format', () => {
  const predictTf = (model: tf.LayersModel, x: Float32Array, shape: number[]): Float32Array =>
    tf.tidy(() => (model.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync() as Float32Array);
  const predictWg = async (model: wg.Model, x: Float32Array, shape: number[]): Promise<Float32Array> => model.predict(wg.tensor(x, shape)).data();
  const topologyLayers = (a: wg.ModelArtifacts) => (a.modelTopology as { config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } }).config.layers;

  it('webgrad → TensorFlow.js: the same predictions (moving statistics), penalties and configs', async () => {
    const model = wg.sequential({
      layers: [
        wg.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', inputShape: [5, 5, 2] }),
        wg.layers.batchNormalization({ name: 'bn_conv', momentum: 0.8, epsilon: 0.01, gammaRegularizer: wg.regularizers.l2(0.05), betaRegularizer: wg.regularizers.l1(0.02) }),
        wg.layers.flatten(),
        wg.layers.dense({ units: 4 }),
        wg.layers.batchNormalization({ name: 'bn_dense', center: false, movingVarianceInitializer: wg.initializers.constant({ value: 2 }) }),
      ],
    });
    model.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.05 }), loss: 'meanSquaredError' });
    const x = randomArray(6 * 50, 100);
    await model.fit(wg.tensor(x, [6, 5, 5, 2]), wg.tensor(randomArray(24, 101), [6, 4]), { epochs: 2, batchSize: 3, verbose: 0 });
    const artifacts = await model.save();
    expect(artifacts.weightSpecs!.map((s) => s.name).filter((n) => n.startsWith('bn_conv'))).toEqual(['bn_conv/gamma', 'bn_conv/beta', 'bn_conv/moving_mean', 'bn_conv/moving_variance']);
    const config = topologyLayers(artifacts)[1].config;
    expect(config).toMatchObject({ axis: -1, momentum: 0.8, epsilon: 0.01, center: true, scale: true, beta_constraint: null, gamma_constraint: null });
    expect(Object.keys(config)).toEqual(expect.arrayContaining(['beta_initializer', 'gamma_initializer', 'moving_mean_initializer', 'moving_variance_initializer', 'beta_regularizer', 'gamma_regularizer']));

    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(['Conv2D', 'BatchNormalization', 'Flatten', 'Dense', 'BatchNormalization']);
    const predicted = await predictWg(model, x, [6, 5, 5, 2]);
    expect(predicted.every(Number.isFinite)).toBe(true);
    expectClose(predictTf(loaded, x, [6, 5, 5, 2]), predicted, 1e-5, 1e-5);
    expectClose(loaded.calculateLosses().map((l) => l.dataSync()[0]).sort(), (await scalars(model.losses)).sort(), 1e-5, 1e-7);
    model.dispose();
  });

  it('TensorFlow.js → webgrad: the same predictions, then training goes on as it does in TensorFlow.js', async () => {
    const twin = tf.sequential({
      layers: [
        tf.layers.dense({ units: 4, inputShape: [3] }),
        tf.layers.batchNormalization({ momentum: 0.7, gammaRegularizer: tf.regularizers.l2({ l2: 0.01 }) }),
        tf.layers.activation({ activation: 'relu' }),
        tf.layers.dense({ units: 2 }),
      ],
    });
    twin.layers.forEach((l, k) => l.setWeights(l.getWeights().map((w, i) => tf.tensor(randomArray(w.size, 110 + 10 * k + i, 0.2, 1), w.shape))));
    const model = await wg.loadModel(await tfArtifacts(twin));
    const x = randomArray(8 * 3, 120, -2, 2);
    const y = randomArray(8 * 2, 121);
    expectClose(await predictWg(model, x, [8, 3]), predictTf(twin, x, [8, 3]), 1e-5, 1e-5);
    const bn = model.layers[1] as wg.layers.BatchNormalization;
    expect([bn.momentum, bn.epsilon, bn.axis, bn.weights.length]).toEqual([0.7, 1e-3, -1, 4]);

    model.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    twin.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const history = await model.fit(wg.tensor(x, [8, 3]), wg.tensor(y, [8, 2]), { epochs: 2, batchSize: 4, shuffle: false, verbose: 0 });
    const tfHistory = await twin.fit(tf.tensor(x, [8, 3]), tf.tensor(y, [8, 2]), { epochs: 2, batchSize: 4, shuffle: false, verbose: 0 });
    expectClose(history.history.loss, tfHistory.history.loss as number[], 1e-4, 1e-6);
    expectClose(await predictWg(model, x, [8, 3]), predictTf(twin, x, [8, 3]), 1e-4, 1e-5);
    model.dispose();
  });

  it('a functional model with batch normalization trains its statistics, and TensorFlow.js loads it with the same predictions', async () => {
    const input = wg.input({ shape: [4, 4, 2] });
    const bn = wg.layers.batchNormalization({ momentum: 0.5 });
    const output = wg.layers.dense({ units: 2 }).apply(wg.layers.flatten().apply(bn.apply(wg.layers.conv2d({ filters: 3, kernelSize: 2 }).apply(input))));
    const model = wg.model({ inputs: input, outputs: output });
    model.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.05 }), loss: 'meanSquaredError' });
    const x = randomArray(6 * 32, 170, 1, 3);
    await model.fit(wg.tensor(x, [6, 4, 4, 2]), wg.tensor(randomArray(12, 171), [6, 2]), { epochs: 2, batchSize: 3, verbose: 0 });
    expect(Array.from(await bn.movingMean!.data()).every((m) => m !== 0)).toBe(true);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(await model.save()));
    expectClose(predictTf(loaded, x, [6, 4, 4, 2]), await predictWg(model, x, [6, 4, 4, 2]), 1e-5, 1e-5);
    model.dispose();
  });

  it("tf.keras 2's config (a one-element axis list) loads; renormalization and several axes are refused by name", async () => {
    const artifacts = structuredClone(await tfArtifacts(tf.sequential({ layers: [tf.layers.batchNormalization({ inputShape: [2, 3] })] })));
    const config = topologyLayers(artifacts)[0].config;
    // What tf.keras 2 adds to the config, at its defaults.
    Object.assign(config, { axis: [2], fused: null, renorm: false, renorm_clipping: null, renorm_momentum: 0.99, virtual_batch_size: null, adjustment: null, synchronized: false });
    const model = await wg.loadModel(artifacts);
    expect((model.layers[0] as wg.layers.BatchNormalization).axis).toBe(2);
    model.dispose();
    config.axis = [1, 2];
    await expect(wg.loadModel(artifacts)).rejects.toThrowError(/BatchNormalization.*axis \[1,2\] is not supported/);
    config.axis = -1;
    config.renorm = true;
    await expect(wg.loadModel(artifacts)).rejects.toThrowError(wg.ModelFormatError);
    await expect(wg.loadModel(artifacts)).rejects.toThrowError(/renorm true is not supported/);
  });
});

describe('a CNN with batch normalization', () => {
  // The convolution has no bias, as usual before batch normalization (which cancels a bias).
  it('conv2d + batchNormalization + maxPooling2d + dense: fit gives the losses TensorFlow.js gives from the same weights', async () => {
    const model = wg.sequential({
      layers: [
        wg.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, inputShape: [6, 6, 2] }),
        wg.layers.batchNormalization({ momentum: 0.9 }),
        wg.layers.activation({ activation: 'relu' }),
        wg.layers.maxPooling2d({ poolSize: 2 }),
        wg.layers.flatten(),
        wg.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    const twin = tf.sequential({
      layers: [
        tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, inputShape: [6, 6, 2] }),
        tf.layers.batchNormalization({ momentum: 0.9 }),
        tf.layers.activation({ activation: 'relu' }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    seedBoth(model, twin, 130);
    const n = 12;
    const x = randomArray(n * 72, 131);
    const labels = Array.from({ length: n }, (_, i) => (i * 7) % 3);
    const oneHot = Float32Array.from({ length: n * 3 }, (_, k) => (labels[Math.floor(k / 3)] === k % 3 ? 1 : 0));
    model.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.1 }), loss: 'categoricalCrossentropy' });
    twin.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
    const opts = { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 } as const;
    const history = await model.fit(wg.tensor(x, [n, 6, 6, 2]), wg.tensor(oneHot, [n, 3]), opts);
    const tfHistory = await twin.fit(tf.tensor(x, [n, 6, 6, 2]), tf.tensor(oneHot, [n, 3]), opts);
    expectClose(history.history.loss, tfHistory.history.loss as number[], 1e-4, 1e-5);
    expect(history.history.loss[2]).toBeLessThan(history.history.loss[0]);
    const ours = await data(model.getWeights());
    tfWeights(twin).forEach((w, i) => expectClose(ours[i], w, 1e-3, 1e-4));
    model.dispose();
  });
});

describe('typed errors before any GPU work', () => {
  it('options: a non-integer axis, momentum outside [0, 1], epsilon ≤ 0, unknown keys', () => {
    expect(() => wg.layers.batchNormalization({ axis: 1.5 })).toThrow(wg.InvalidArgumentError);
    expect(() => wg.layers.batchNormalization({ axis: [1] as never })).toThrow(/axis must be an integer/);
    expect(() => wg.layers.batchNormalization({ momentum: 1.5 })).toThrow(/momentum must be a number in \[0, 1\]/);
    expect(() => wg.layers.batchNormalization({ epsilon: 0 })).toThrow(/epsilon must be a positive number/);
    expect(() => wg.layers.batchNormalization({ center: 1 as never })).toThrow(/center must be a boolean/);
    expect(() => wg.layers.batchNormalization({ betaConstraint: 'nonNeg' } as never)).toThrow(/betaConstraint/);
    expect(() => wg.layers.batchNormalization({ movingMeanInitializer: 'nope' })).toThrow(wg.InvalidArgumentError);
  });

  it('an axis outside the input, the batch axis, a rank or feature count other than the built ones', () => {
    const x2 = wg.zeros([2, 3]);
    expectThrowsBeforeWork(() => wg.layers.batchNormalization({ axis: 2 }).apply(x2), wg.ShapeError, /axis 2 is out of range for inputs of shape \[2,3\]/);
    expectThrowsBeforeWork(() => wg.layers.batchNormalization({ axis: -3 }).apply(x2), wg.ShapeError, /out of range/);
    expectThrowsBeforeWork(() => wg.layers.batchNormalization({ axis: 0 }).apply(x2), wg.ShapeError, /batch axis 0/);
    const x1 = wg.zeros([4]);
    expectThrowsBeforeWork(() => wg.layers.batchNormalization().apply(x1), wg.ShapeError, /out of range/);
    const layer = wg.layers.batchNormalization();
    layer.build([null, 4, 4, 3]);
    const wrongChannels = wg.zeros([2, 4, 4, 5]);
    expectThrowsBeforeWork(() => layer.apply(wrongChannels), wg.ShapeError, /built for inputs of rank 4 with 3 features on axis 3, got shape \[2,4,4,5\]/);
    expectThrowsBeforeWork(() => layer.apply(x2), wg.ShapeError, /rank 4/);
    expectThrowsBeforeWork(() => layer.apply(wrongChannels, { training: true }), wg.ShapeError, /built for/);
    expect(() => wg.sequential({ layers: [wg.layers.dense({ units: 3, inputShape: [2] }), wg.layers.batchNormalization({ axis: 1 }), wg.layers.batchNormalization({ axis: 2 })] })).toThrow(wg.ShapeError);
  });
});

describe('layers.dropout on any rank', () => {
  it('rank 4 NHWC: each value kept and scaled by 1/(1 − rate) or zeroed, the gradient through the same mask', async () => {
    const shape = [2, 4, 4, 3];
    const layer = wg.layers.dropout({ rate: 0.25, seed: 5 });
    const values = randomArray(size(shape), 140, 1, 2);
    const x = wg.tensor(values, shape);
    const tape = new wg.GradientTape();
    tape.watch(x);
    const y = tape.record(() => layer.apply(x, { training: true }));
    const [dx] = tape.gradient(y, [x], wg.ones(shape));
    expect(y.shape).toEqual(shape);
    const out = await y.data();
    const grad = await dx!.data();
    tape.dispose();
    let kept = 0;
    out.forEach((v, i) => {
      if (v === 0) expect(grad[i]).toBe(0);
      else {
        kept++;
        expectClose([v, grad[i]], [values[i] / 0.75, 1 / 0.75], 1e-6, 1e-6);
      }
    });
    expect(kept / out.length).toBeGreaterThan(0.6);
    expect(kept / out.length).toBeLessThan(0.9);
    expect(Array.from(await layer.apply(x).data())).toEqual(Array.from(values));
  });

  it('inside a CNN that fits: conv2d, dropout on its rank-4 output, batch normalization, dense', async () => {
    const model = wg.sequential({
      layers: [
        wg.layers.conv2d({ filters: 2, kernelSize: 2, inputShape: [4, 4, 1], activation: 'relu' }),
        wg.layers.dropout({ rate: 0.3, seed: 1 }),
        wg.layers.batchNormalization(),
        wg.layers.flatten(),
        wg.layers.dense({ units: 1 }),
      ],
    });
    model.compile({ optimizer: wg.optimizers.adam({ learningRate: 0.02 }), loss: 'meanSquaredError' });
    const history = await model.fit(wg.tensor(randomArray(8 * 16, 150), [8, 4, 4, 1]), wg.tensor(randomArray(8, 151), [8, 1]), { epochs: 5, batchSize: 4, verbose: 0 });
    expect(history.history.loss.every(Number.isFinite)).toBe(true);
    expect(history.history.loss[4]).toBeLessThan(history.history.loss[0]);
    model.dispose();
  });
});
