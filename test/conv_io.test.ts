// Saving and loading the convolutional layers in the TensorFlow.js layers-model format, both ways:
// TensorFlow.js (CPU backend) loads what webgrad writes and webgrad loads what TensorFlow.js writes,
// with the same predictions, configs and penalties; a loaded CNN trains on (transfer learning).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../src';
import { expectClose, randomArray } from './helpers';
import { tfArtifacts } from './tf_reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function predictWg(model: wg.Model, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const out = model.predict(wg.tensor(x, shape));
  const values = await out.data();
  out.dispose();
  return values;
}

const predictTf = (model: tf.LayersModel, x: Float32Array, shape: number[]): Float32Array =>
  tf.tidy(() => (model.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync() as Float32Array);

/** Every weight set to seeded values in [−0.5, 0.5], biases too. */
function seedWeights(model: wg.Layer, seed: number): void {
  model.setWeights(model.weights.map((w, i) => wg.tensor(randomArray(w.size, seed + i, -0.5, 0.5), [...w.shape])));
}

const penalties = async (model: wg.Layer): Promise<number[]> => (await Promise.all(model.losses.map(async (l) => (await l.data())[0]))).sort();

describe('convolutional models in the TensorFlow.js format', () => {
  it('webgrad → TensorFlow.js: every new layer loads with the same predictions, penalties and trainable flags', async () => {
    const model = wg.sequential({
      layers: [
        wg.layers.conv2d({ filters: 4, kernelSize: [3, 2], strides: [1, 2], padding: 'same', activation: 'relu', inputShape: [10, 9, 2],
          kernelRegularizer: wg.regularizers.l2(0.01), biasRegularizer: wg.regularizers.l1(0.02) }),
        wg.layers.maxPooling2d({ poolSize: 2, strides: 1 }),
        // (TensorFlow.js's DepthwiseConv2D layer ignores its dilationRate, so this one has none.)
        wg.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'tanh', depthwiseRegularizer: wg.regularizers.l1l2({ l1: 0.01, l2: 0.03 }) }),
        wg.layers.averagePooling2d({ poolSize: [2, 1], padding: 'same' }),
        wg.layers.reshape({ targetShape: [5, 32] }),
        wg.layers.conv1d({ filters: 3, kernelSize: 2, dilationRate: 2, activation: 'sigmoid', trainable: false }),
        wg.layers.reshape({ targetShape: [1, 3, 3] }),
        wg.layers.globalMaxPooling2d(),
        wg.layers.dense({ units: 2 }),
      ],
    });
    seedWeights(model, 1);
    const x = randomArray(3 * 10 * 9 * 2, 2);
    const artifacts = await model.save();
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    expectClose(predictTf(loaded, x, [3, 10, 9, 2]), await predictWg(model, x, [3, 10, 9, 2]), 1e-5, 1e-6);
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(['Conv2D', 'MaxPooling2D', 'DepthwiseConv2D', 'AveragePooling2D', 'Reshape', 'Conv1D', 'Reshape', 'GlobalMaxPooling2D', 'Dense']);
    expect(loaded.layers.map((l) => l.trainable)).toEqual(model.layers.map((l) => l.trainable));
    expectClose(loaded.calculateLosses().map((l) => l.dataSync()[0]).sort(), await penalties(model), 1e-5, 1e-7);
  });

  it('TensorFlow.js → webgrad: the same predictions and penalties, and the saved configs come back', async () => {
    const twin = tf.sequential({
      layers: [
        tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'elu', inputShape: [8, 8, 1], kernelRegularizer: tf.regularizers.l2({ l2: 0.01 }) }),
        tf.layers.maxPooling2d({ poolSize: [2, 2] }),
        tf.layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 2, useBias: false }),
        tf.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same' }),
        tf.layers.globalAveragePooling2d({}),
        tf.layers.reshape({ targetShape: [3, 2] }),
        tf.layers.conv1d({ filters: 2, kernelSize: 2, strides: 1, activation: 'relu' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    twin.setWeights(twin.getWeights().map((w, i) => tf.tensor(randomArray(w.size, 10 + i, -0.5, 0.5), w.shape)));
    const model = await wg.loadModel(await tfArtifacts(twin));
    const x = randomArray(2 * 8 * 8, 3);
    expectClose(await predictWg(model, x, [2, 8, 8, 1]), predictTf(twin, x, [2, 8, 8, 1]), 1e-5, 1e-6);
    expectClose(await penalties(model), twin.calculateLosses().map((l) => l.dataSync()[0]).sort(), 1e-5, 1e-7);
    const again = await model.save();
    const topology = again.modelTopology as { config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } };
    const depthwise = topology.config.layers.find((l) => l.class_name === 'DepthwiseConv2D')!.config;
    expect([depthwise.kernel_size, depthwise.depth_multiplier, depthwise.use_bias, depthwise.data_format]).toEqual([[2, 2], 2, false, 'channels_last']);
  });

  it('transfer learning: load, freeze the convolutional base, train a new head; the base keeps its weights', async () => {
    const base = tf.sequential({
      layers: [
        tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [6, 6, 1] }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
      ],
    });
    const loaded = await wg.loadModel(await tfArtifacts(base));
    loaded.trainable = false;
    const before = await Promise.all(loaded.getWeights().map((w) => w.data()));
    const model = wg.sequential({ layers: [loaded, wg.layers.dense({ units: 1 })] });
    model.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    const x = wg.tensor(randomArray(16 * 36, 4, 0, 1), [16, 6, 6, 1]);
    const y = wg.tensor(randomArray(16, 5), [16, 1]);
    const history = await model.fit(x, y, { epochs: 8, batchSize: 8, shuffle: false });
    expect(history.history.loss.at(-1)!).toBeLessThan(history.history.loss[0]);
    const after = await Promise.all(loaded.getWeights().map((w) => w.data()));
    after.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(before[i])));
    expect(model.trainableWeights).toHaveLength(2);
  });

  it('configs webgrad cannot honour are refused with a ModelFormatError naming the layer', async () => {
    const artifacts = await tfArtifacts(tf.sequential({ layers: [tf.layers.conv1d({ filters: 2, kernelSize: 2, padding: 'causal', inputShape: [5, 1] })] }));
    await expect(wg.loadModel(artifacts)).rejects.toThrowError(wg.ModelFormatError);
    await expect(wg.loadModel(artifacts)).rejects.toThrowError(/layers\[0\] \(Conv1D '.*'\): conv1d: padding must be 'valid' or 'same', got "causal"/);
    const grouped = structuredClone(await tfArtifacts(tf.sequential({ layers: [tf.layers.conv2d({ filters: 2, kernelSize: 1, inputShape: [3, 3, 2] })] })));
    ((grouped.modelTopology as { config: { layers: Array<{ config: Record<string, unknown> }> } }).config.layers[0].config).groups = 2;
    await expect(wg.loadModel(grouped)).rejects.toThrowError(/groups 2 is not supported/);
  });
});
