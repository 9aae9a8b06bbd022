// TensorFlow.js on its WebGPU backend, used the way its documentation teaches: tf.matMul for
// products, a Layers model with regularized dense layers, trainOnBatch and fit for training.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { CLASSES, checkConv, type CnnData, type CnnSpec, convOut, IMAGE, KERNEL, POOLED } from '../cnn';
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

/** The CNN of bench/cnn.ts as a Layers model, compiled like the MLP above. */
function buildCnn(spec: CnnSpec, data: CnnData): tf.LayersModel {
  const [f1, f2] = spec.filters;
  const regularizer = () => tf.regularizers.l2({ l2: spec.l2 });
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ filters: f1, kernelSize: KERNEL, activation: 'relu', kernelRegularizer: regularizer(), inputShape: [IMAGE, IMAGE, 1] }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: f2, kernelSize: KERNEL, activation: 'relu', kernelRegularizer: regularizer() }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: CLASSES, kernelRegularizer: regularizer() }),
    ],
  });
  const init = [
    tf.tensor4d(data.k1, [KERNEL, KERNEL, 1, f1]),
    tf.tensor1d(data.b1),
    tf.tensor4d(data.k2, [KERNEL, KERNEL, f1, f2]),
    tf.tensor1d(data.b2),
    tf.tensor2d(data.w3, [POOLED * POOLED * f2, CLASSES]),
    tf.tensor1d(data.b3),
  ];
  model.setWeights(init);
  tf.dispose(init);
  model.compile({
    optimizer: tf.train.sgd(spec.learningRate),
    loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred),
  });
  return model;
}

const cnnInputs = (data: CnnData): [tf.Tensor4D, tf.Tensor2D] => [tf.tensor4d(data.x, [data.rows, IMAGE, IMAGE, 1]), tf.tensor2d(data.y, [data.rows, CLASSES])];

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

  async convLayer(spec, data) {
    const [outH, outW] = convOut(spec);
    const x = tf.tensor4d(data.x, [spec.batch, spec.inH, spec.inW, spec.inC]);
    const filter = tf.tensor4d(data.filter, [KERNEL, KERNEL, spec.inC, spec.filters]);
    const dy = tf.tensor4d(data.dy, [spec.batch, outH, outW, spec.filters]);
    // y, then both gradients for the cotangent dy.
    const pass = tf.valueAndGrads((xs: tf.Tensor, w: tf.Tensor) => tf.conv2d(xs as tf.Tensor4D, w as tf.Tensor4D, 1, spec.padding));
    const run = (): tf.Tensor[] => {
      const { value, grads } = pass([x, filter], dy);
      return [value, ...grads];
    };
    // Reading one element of each result waits for all of them.
    const wait = async (ts: tf.Tensor[]) => {
      const probes = ts.map((t) => tf.slice(t, new Array(t.rank).fill(0), new Array(t.rank).fill(1)));
      await Promise.all(probes.map((p) => p.data()));
      tf.dispose(probes);
    };
    return {
      async run(times) {
        let out: tf.Tensor[] = [];
        for (let i = 0; i < times; i++) {
          tf.dispose(out);
          out = run();
        }
        await wait(out);
        tf.dispose(out);
        return undefined;
      },
      async verify() {
        const out = run();
        const [y, dx, dFilter] = (await Promise.all(out.map((t) => t.data()))) as Float32Array[];
        tf.dispose(out);
        checkConv('TensorFlow.js', spec, data, { y, dx, dFilter });
      },
      dispose: () => tf.dispose([x, filter, dy]),
    };
  },

  async cnnStep(spec, data) {
    const model = buildCnn(spec, data);
    const [x, y] = cnnInputs(data);
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

  async cnnFitEpoch(spec, data) {
    const model = buildCnn(spec, data);
    const [x, y] = cnnInputs(data);
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
