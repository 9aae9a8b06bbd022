// TensorFlow.js on its WebGPU backend, used the way its documentation teaches: tf.matMul for
// products, a Layers model with regularized dense layers, trainOnBatch and fit for training.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { checkProduct, type Engine, type FitSpec, type MlpData, type MlpSpec } from '../suite';

function buildModel(spec: MlpSpec, data: MlpData): tf.LayersModel {
  const [nIn, nHidden, nOut] = spec.units;
  const regularizer = () => tf.regularizers.l1l2({ l1: spec.l1, l2: spec.l2 });
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: nHidden, inputShape: [nIn], activation: 'relu', kernelRegularizer: regularizer() }),
      tf.layers.dense({ units: nOut, kernelRegularizer: regularizer() }),
    ],
  });
  const init = [
    tf.tensor2d(data.w1, [nIn, nHidden]),
    tf.tensor1d(data.b1),
    tf.tensor2d(data.w2, [nHidden, nOut]),
    tf.tensor1d(data.b2),
  ];
  model.setWeights(init);
  tf.dispose(init);
  model.compile({
    optimizer: tf.train.sgd(spec.learningRate),
    // From logits, as the other engines compute it.
    loss: spec.loss === 'softmaxCrossEntropy' ? (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred) : 'meanSquaredError',
  });
  return model;
}

function inputs(spec: MlpSpec, data: MlpData): [tf.Tensor2D, tf.Tensor2D] {
  return [tf.tensor2d(data.x, [data.rows, spec.units[0]]), tf.tensor2d(data.y, [data.rows, spec.units[2]])];
}

export const tfjsEngine: Engine = {
  id: 'tfjs',
  label: 'TensorFlow.js',
  async init() {
    if (!(await tf.setBackend('webgpu'))) throw new Error('TensorFlow.js could not start its WebGPU backend.');
    await tf.ready();
    return `@tensorflow/tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}`;
  },

  async matmul(n) {
    const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
    const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
    await Promise.all([a.data(), b.data()]);
    return {
      async run(times) {
        let c: tf.Tensor | null = null;
        for (let i = 0; i < times; i++) {
          c?.dispose();
          c = tf.matMul(a, b);
        }
        // Reading one element waits for every product queued before it.
        const probe = tf.slice(c!, [0, 0], [1, 1]);
        await probe.data();
        tf.dispose([probe, c!]);
        return undefined;
      },
      async verify() {
        const c = tf.matMul(a, b);
        const [av, bv, cv] = await Promise.all([a.data(), b.data(), c.data()]);
        c.dispose();
        checkProduct('TensorFlow.js', n, av as Float32Array, bv as Float32Array, cv as Float32Array);
      },
      dispose: () => tf.dispose([a, b]),
    };
  },

  async trainStep(spec, data) {
    const model = buildModel(spec, data);
    const [x, y] = inputs(spec, data);
    return {
      async run(times) {
        let loss = NaN;
        for (let i = 0; i < times; i++) loss = (await model.trainOnBatch(x, y)) as number;
        return loss;
      },
      dispose: () => {
        model.dispose();
        tf.dispose([x, y]);
      },
    };
  },

  async fitEpoch(spec: FitSpec, data) {
    const model = buildModel(spec, data);
    const [x, y] = inputs(spec, data);
    return {
      async run(times) {
        const h = await model.fit(x, y, { epochs: times, batchSize: spec.batch, shuffle: false, verbose: 0 });
        return h.history.loss.at(-1) as number;
      },
      dispose: () => {
        model.dispose();
        tf.dispose([x, y]);
      },
    };
  },
};
