// The convolutional layers: outputs against TensorFlow.js layers from the same weights, Keras 3
// `model.losses` rules for their regularizers, typed errors, and a small CNN trained with `fit`
// in webgrad and in TensorFlow.js (CPU backend) from the same weights.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../src';
import { expectClose, randomArray, rng } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const sumAbs = (a: ArrayLike<number>): number => Array.from(a).reduce((s, v) => s + Math.abs(v), 0);
const sumSq = (a: ArrayLike<number>): number => Array.from(a).reduce((s, v) => s + v * v, 0);

/** Every weight of `model` set to seeded uniform values in [−0.5, 0.5] (biases too, so they count). */
function seedWeights(model: wg.Layer, seed: number): void {
  model.setWeights(model.weights.map((w, i) => wg.tensor(randomArray(w.size, seed + i, -0.5, 0.5), [...w.shape])));
}

async function copyWeights(from: wg.Layer, to: tf.LayersModel): Promise<void> {
  const ws = from.getWeights();
  to.setWeights(await Promise.all(ws.map(async (w) => tf.tensor(await w.data(), [...w.shape]))));
  for (const w of ws) w.dispose();
}

describe('layers against TensorFlow.js layers (same weights)', () => {
  it('conv2d, maxPooling2d, depthwiseConv2d, averagePooling2d, conv2d, globalAveragePooling2d: predictions agree', async () => {
    const model = wg.sequential({
      layers: [
        wg.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [9, 8, 2] }),
        wg.layers.maxPooling2d({ poolSize: 2, padding: 'same' }),
        wg.layers.depthwiseConv2d({ kernelSize: [2, 3], depthMultiplier: 2, activation: 'tanh' }),
        wg.layers.averagePooling2d({ poolSize: [2, 1], strides: 1 }),
        wg.layers.conv2d({ filters: 3, kernelSize: 1, strides: [1, 2], activation: 'softplus' }),
        wg.layers.globalAveragePooling2d(),
      ],
    });
    const twin = tf.sequential({
      layers: [
        tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [9, 8, 2] }),
        tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' }),
        tf.layers.depthwiseConv2d({ kernelSize: [2, 3], depthMultiplier: 2, activation: 'tanh' }),
        tf.layers.averagePooling2d({ poolSize: [2, 1], strides: 1 }),
        tf.layers.conv2d({ filters: 3, kernelSize: 1, strides: [1, 2], activation: 'softplus' }),
        tf.layers.globalAveragePooling2d({}),
      ],
    });
    expect(model.weights.map((w) => w.shape)).toEqual(twin.weights.map((w) => w.shape));
    seedWeights(model, 1);
    await copyWeights(model, twin);
    const x = randomArray(3 * 9 * 8 * 2, 2);
    const y = model.predict(wg.tensor(x, [3, 9, 8, 2]));
    const ty = twin.predict(tf.tensor4d(x, [3, 9, 8, 2])) as tf.Tensor;
    expect(y.shape).toEqual(ty.shape);
    expectClose(await y.data(), ty.dataSync(), 1e-5, 1e-6);
  });

  it('conv1d, reshape, globalMaxPooling2d, dense: predictions agree', async () => {
    const model = wg.sequential({
      layers: [
        wg.layers.conv1d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'elu', inputShape: [11, 3] }),
        wg.layers.reshape({ targetShape: [3, -1, 4] }),
        wg.layers.globalMaxPooling2d(),
        wg.layers.dense({ units: 2 }),
      ],
    });
    const twin = tf.sequential({
      layers: [
        tf.layers.conv1d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'elu', inputShape: [11, 3] }),
        tf.layers.reshape({ targetShape: [3, 3, 4] }),
        tf.layers.globalMaxPooling2d({}),
        tf.layers.dense({ units: 2 }),
      ],
    });
    seedWeights(model, 10);
    await copyWeights(model, twin);
    const x = randomArray(4 * 11 * 3, 11);
    const y = model.predict(wg.tensor(x, [4, 11, 3]));
    const ty = twin.predict(tf.tensor3d(x, [4, 11, 3])) as tf.Tensor;
    expect(y.shape).toEqual(ty.shape);
    expectClose(await y.data(), ty.dataSync(), 1e-5, 1e-6);
  });

  it('Sequential builds every layer ahead from the first inputShape, with the output shapes TensorFlow.js computes', () => {
    const model = wg.sequential({
      layers: [
        wg.layers.conv2d({ filters: 5, kernelSize: [3, 2], strides: 2, padding: 'same', inputShape: [15, 10, 3] }),
        wg.layers.maxPooling2d({ poolSize: 3, strides: 2 }),
        wg.layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 3, dilationRate: 2, padding: 'same' }),
        wg.layers.flatten(),
        wg.layers.reshape({ targetShape: [18, 5] }),
      ],
    });
    const twin = tf.sequential({
      layers: [
        tf.layers.conv2d({ filters: 5, kernelSize: [3, 2], strides: 2, padding: 'same', inputShape: [15, 10, 3] }),
        tf.layers.maxPooling2d({ poolSize: 3, strides: 2 }),
        tf.layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 3, dilationRate: 2, padding: 'same' }),
        tf.layers.flatten(),
        tf.layers.reshape({ targetShape: [18, 5] }),
      ],
    });
    expect(model.layers.every((l) => l.built)).toBe(true);
    expect(model.layers.map((_, i) => model.layers.slice(0, i + 1).reduce<wg.layers.LayerShape>((s, m) => m.computeOutputShape(s)!, [null, 15, 10, 3])))
      .toEqual(twin.layers.map((l) => l.outputShape));
    // Keras resolves a −1 ahead of time (TensorFlow.js leaves it null).
    expect(wg.layers.reshape({ targetShape: [-1, 5] }).computeOutputShape([null, 90])).toEqual([null, 18, 5]);
    expect(model.weights.map((w) => [w.name.split('/')[1], w.shape])).toEqual([
      ['kernel', [3, 2, 3, 5]], ['bias', [5]], ['depthwise_kernel', [2, 2, 5, 3]], ['bias', [15]],
    ]);
  });

  it('automatic names follow Keras: conv2d, max_pooling2d, global_average_pooling2d, depthwise_conv2d', () => {
    const names = [wg.layers.conv2d({ filters: 1, kernelSize: 1 }), wg.layers.maxPooling2d(), wg.layers.globalAveragePooling2d(), wg.layers.depthwiseConv2d({ kernelSize: 1 })].map((l) => l.name);
    expect(names.map((n) => n.replace(/_\d+$/, ''))).toEqual(['conv2d', 'max_pooling2d', 'global_average_pooling2d', 'depthwise_conv2d']);
  });
});

describe('dropout on any rank', () => {
  it('on a rank-4 input: each value kept with probability 1 − rate and scaled; unchanged outside training', async () => {
    const layer = wg.layers.dropout({ rate: 0.25, seed: 3 });
    const x = wg.ones([4, 6, 5, 8]);
    const y = await layer.apply(x, { training: true }).data();
    const kept = Array.from(y).filter((v) => v !== 0);
    expect(kept.every((v) => Math.abs(v - 1 / 0.75) < 1e-6)).toBe(true);
    expect(Math.abs(kept.length / y.length - 0.75)).toBeLessThan(0.05);
    expect(layer.apply(x).shape).toEqual([4, 6, 5, 8]);
    expect(Array.from(await layer.apply(x).data()).every((v) => v === 1)).toBe(true);
  });
});

describe('model.losses with convolution regularizers (Keras 3)', () => {
  function cnn(): wg.Sequential {
    const model = wg.sequential({
      layers: [
        wg.layers.conv2d({ filters: 3, kernelSize: 3, inputShape: [6, 6, 2], kernelRegularizer: wg.regularizers.l1l2({ l1: 0.01, l2: 0.02 }), biasRegularizer: wg.regularizers.l2(0.03) }),
        wg.layers.depthwiseConv2d({ kernelSize: 2, depthwiseRegularizer: wg.regularizers.l1(0.04), activityRegularizer: wg.regularizers.l2(0.05) }),
        wg.layers.flatten(),
      ],
    });
    seedWeights(model, 20);
    return model;
  }

  it('one penalty per regularized weight and one activity penalty per apply, from the formulas', async () => {
    const model = cnn();
    const [kernel, bias, depthwise] = await Promise.all(model.weights.slice(0, 4).map((w) => w.data()));
    const x = wg.tensor(randomArray(2 * 6 * 6 * 2, 21), [2, 6, 6, 2]);
    model.apply(x);
    const activity = model.layers[1].call(model.layers[0].call(x, {}), {}) as wg.Tensor;
    const expected = [
      0.05 * sumSq(await activity.data()), // the activity penalty of the last outermost apply
      0.01 * sumAbs(kernel) + 0.02 * sumSq(kernel),
      0.03 * sumSq(bias),
      0.04 * sumAbs(depthwise),
    ];
    const losses = await Promise.all(model.losses.map(async (l) => (await l.data())[0]));
    expectClose(losses.sort(), expected.sort(), 1e-5, 1e-7);
  });

  it('penalties agree with TensorFlow.js calculateLosses for the same weights', async () => {
    const model = wg.sequential({
      layers: [
        wg.layers.conv2d({ filters: 3, kernelSize: 3, inputShape: [6, 6, 2], kernelRegularizer: wg.regularizers.l1l2({ l1: 0.01, l2: 0.02 }), biasRegularizer: wg.regularizers.l2(0.03) }),
        wg.layers.depthwiseConv2d({ kernelSize: 2, depthwiseRegularizer: wg.regularizers.l1(0.04) }),
        wg.layers.flatten(),
      ],
    });
    const twin = tf.sequential({
      layers: [
        tf.layers.conv2d({ filters: 3, kernelSize: 3, inputShape: [6, 6, 2], kernelRegularizer: tf.regularizers.l1l2({ l1: 0.01, l2: 0.02 }), biasRegularizer: tf.regularizers.l2({ l2: 0.03 }) }),
        tf.layers.depthwiseConv2d({ kernelSize: 2, depthwiseRegularizer: tf.regularizers.l1({ l1: 0.04 }) }),
        tf.layers.flatten(),
      ],
    });
    seedWeights(model, 30);
    await copyWeights(model, twin);
    const ours = await Promise.all(model.losses.map(async (l) => (await l.data())[0]));
    expectClose(ours.sort(), twin.calculateLosses().map((l) => l.dataSync()[0]).sort(), 1e-5, 1e-7);
  });

  it('recomputed on read, eager safe under a tape, frozen layers excluded, a shared layer counted once', async () => {
    const conv = wg.layers.conv2d({ filters: 2, kernelSize: 2, padding: 'same', kernelRegularizer: wg.regularizers.l2(0.5) });
    const model = wg.sequential({ layers: [conv, wg.sequential({ layers: [conv] })] }); // the same layer twice: one set of weights
    model.apply(wg.ones([1, 3, 3, 2]));
    const kernel = conv.kernel!;
    kernel.assign(wg.tensor(randomArray(kernel.size, 40), [...kernel.shape]));
    expect(model.losses).toHaveLength(1);
    const w = await kernel.data();
    expectClose([(await model.losses[0].data())[0]], [0.5 * sumSq(w)], 1e-5);
    const tape = new wg.GradientTape();
    const penalty = tape.record(() => wg.addN(model.losses));
    const [g] = tape.gradient(penalty, [kernel]);
    expectClose(await g!.data(), Array.from(w, (v) => v), 1e-5, 1e-7); // d(0.5·Σw²)/dw = w
    conv.trainable = false;
    expect(model.losses).toHaveLength(0);
  });
});

describe('layer arguments and inputs: typed errors', () => {
  const cases: Array<[string, () => unknown, new (...a: never[]) => Error, RegExp]> = [
    ['filters 0', () => wg.layers.conv2d({ filters: 0, kernelSize: 3 }), wg.InvalidArgumentError, /conv2d: filters must be a positive integer/],
    ['no kernelSize', () => wg.layers.conv2d({ filters: 2 } as wg.layers.ConvLayerArgs), wg.InvalidArgumentError, /conv2d: kernelSize must be a positive integer or a list of 2/],
    ['a kernelSize of the wrong length', () => wg.layers.conv1d({ filters: 2, kernelSize: [3, 3] }), wg.InvalidArgumentError, /conv1d: kernelSize must be a positive integer or a list of 1/],
    ['strides and dilationRate above 1', () => wg.layers.conv2d({ filters: 2, kernelSize: 3, strides: 2, dilationRate: 2 }), wg.InvalidArgumentError, /cannot be combined/],
    ['channelsFirst', () => wg.layers.conv2d({ filters: 2, kernelSize: 3, dataFormat: 'channelsFirst' as 'channelsLast' }), wg.InvalidArgumentError, /only dataFormat 'channelsLast'/],
    ["padding 'causal'", () => wg.layers.conv1d({ filters: 2, kernelSize: 3, padding: 'causal' as 'same' }), wg.InvalidArgumentError, /padding must be 'valid' or 'same'/],
    ['depthMultiplier 1.5', () => wg.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 1.5 }), wg.InvalidArgumentError, /depthMultiplier must be a positive integer/],
    ['poolSize 0', () => wg.layers.maxPooling2d({ poolSize: 0 }), wg.InvalidArgumentError, /maxPooling2d: poolSize must be a positive integer/],
    ['a targetShape with two −1', () => wg.layers.reshape({ targetShape: [-1, -1] }), wg.InvalidArgumentError, /at most one −1/],
    ['an input of the wrong rank', () => wg.layers.conv2d({ filters: 2, kernelSize: 3 }).apply(wg.zeros([2, 5, 5])), wg.ShapeError, /expects inputs of rank 4 \[batch, height, width, channels\] with known channels, got shape \[2,5,5\]/],
    ['an input with other channels', () => {
      const layer = wg.layers.conv2d({ filters: 2, kernelSize: 3 });
      layer.apply(wg.zeros([1, 5, 5, 3]));
      return layer.apply(wg.zeros([1, 5, 5, 4]));
    }, wg.ShapeError, /expects inputs of rank 4 with 3 channels, got shape \[1,5,5,4\]/],
    ['an input smaller than a valid window', () => wg.sequential({ layers: [wg.layers.conv2d({ filters: 1, kernelSize: 5, inputShape: [3, 8, 1] })] }), wg.ShapeError, /the 5×5 window is larger than the 3×8 input/],
    ['a reshape to another size', () => wg.layers.reshape({ targetShape: [5] }).apply(wg.zeros([2, 6])), wg.ShapeError, /cannot reshape examples of shape \[6\] \(6 elements\) to \[5\]/],
  ];
  for (const [what, run, type, message] of cases) {
    it(`${what}: ${type.name}`, () => {
      expect(run).toThrowError(type);
      expect(run).toThrowError(message);
    });
  }
});

describe('a small CNN trained with fit', () => {
  /** Images of 8×8 with a bright 3×3 square in one of four quadrants; the label is the quadrant. */
  function quadrants(n: number, seed: number): { x: Float32Array; labels: number[] } {
    const r = rng(seed);
    const x = new Float32Array(n * 8 * 8);
    const labels: number[] = [];
    for (let i = 0; i < n; i++) {
      const q = Math.floor(r() * 4);
      labels.push(q);
      const [top, left] = [(q >> 1) * 4 + Math.floor(r() * 2), (q & 1) * 4 + Math.floor(r() * 2)];
      for (let p = 0; p < 64; p++) x[i * 64 + p] = 0.1 * r();
      for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) x[i * 64 + (top + dy) * 8 + left + dx] += 1;
    }
    return { x, labels };
  }

  const layersOf = <L>(make: { conv: (a: object) => L; pool: () => L; flatten: () => L; dense: (a: object) => L }, reg: (f: number) => unknown) => [
    make.conv({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [8, 8, 1], kernelRegularizer: reg(1e-3) }),
    make.pool(),
    make.conv({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', kernelRegularizer: reg(1e-3) }),
    make.pool(),
    make.flatten(),
    make.dense({ units: 4, activation: 'softmax' }),
  ];

  it('conv–pool–conv–pool–flatten–dense: the loss falls and the quadrants are learned', async () => {
    const { x, labels } = quadrants(96, 1);
    const model = wg.sequential({
      layers: layersOf<wg.Layer>(
        { conv: (a) => wg.layers.conv2d(a as wg.layers.ConvLayerArgs), pool: () => wg.layers.maxPooling2d(), flatten: () => wg.layers.flatten(), dense: (a) => wg.layers.dense(a as wg.layers.DenseArgs) },
        (f) => wg.regularizers.l2(f),
      ),
    });
    model.compile({ optimizer: wg.optimizers.adam({ learningRate: 0.02 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const history = await model.fit(wg.tensor(x, [96, 8, 8, 1]), wg.tensor(labels), { epochs: 12, batchSize: 16, seed: 2 });
    const loss = history.history.loss;
    expect(loss.at(-1)!).toBeLessThan(0.5 * loss[0]);
    expect(history.history.regularizationLoss.every((v) => v > 0)).toBe(true);
    expect(history.history.accuracy!.at(-1)!).toBeGreaterThan(0.9);
  });

  it('webgrad and TensorFlow.js train the same CNN from the same weights to the same epoch losses and weights (SGD)', async () => {
    const { x, labels } = quadrants(32, 3);
    const oneHot = new Float32Array(32 * 4);
    labels.forEach((l, i) => (oneHot[i * 4 + l] = 1));
    const model = wg.sequential({
      layers: layersOf<wg.Layer>(
        { conv: (a) => wg.layers.conv2d(a as wg.layers.ConvLayerArgs), pool: () => wg.layers.maxPooling2d(), flatten: () => wg.layers.flatten(), dense: (a) => wg.layers.dense(a as wg.layers.DenseArgs) },
        (f) => wg.regularizers.l2(f),
      ),
    });
    const twin = tf.sequential({
      layers: layersOf<tf.layers.Layer>(
        { conv: (a) => tf.layers.conv2d(a as Parameters<typeof tf.layers.conv2d>[0]), pool: () => tf.layers.maxPooling2d({}), flatten: () => tf.layers.flatten(), dense: (a) => tf.layers.dense(a as Parameters<typeof tf.layers.dense>[0]) },
        (f) => tf.regularizers.l2({ l2: f }),
      ),
    });
    seedWeights(model, 50);
    await copyWeights(model, twin);
    model.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.1 }), loss: 'categoricalCrossentropy' });
    twin.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
    const ours = await model.fit(wg.tensor(x, [32, 8, 8, 1]), wg.tensor(oneHot, [32, 4]), { epochs: 3, batchSize: 8, shuffle: false });
    const theirs = await twin.fit(tf.tensor4d(x, [32, 8, 8, 1]), tf.tensor2d(oneHot, [32, 4]), { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
    expectClose(ours.history.loss, theirs.history.loss as number[], 1e-4, 1e-6);
    const weights = model.getWeights();
    const tfWeights = twin.getWeights();
    for (let i = 0; i < weights.length; i++) expectClose(await weights[i].data(), tfWeights[i].dataSync(), 1e-3, 1e-5);
  });
});
