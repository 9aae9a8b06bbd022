// TensorFlow.js on its WebGPU backend, used the way its documentation teaches: tf.matMul for
// products, a Layers model with regularized dense layers, trainOnBatch and fit for training.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { CLASSES, checkConv, type CnnData, type CnnSpec, convOut, IMAGE, KERNEL, POOLED } from '../cnn';
import { checkProduct, type Engine, type FitSpec, type MlpData, type MlpSpec, type Workload } from '../suite';
import { causalBias, LN_EPSILON, type TransformerData, type TransformerSpec } from '../transformer_bench';

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

/**
 * The transformer block from ops (TensorFlow.js has no MultiHeadAttention layer), its weights as
 * variables, the loss inside `optimizer.minimize` as its guides write a custom model.
 */
function transformerLoss(s: TransformerSpec, d: TransformerData) {
  const { batch, context, width, heads, classes } = s;
  const size = width / heads;
  const v = (values: Float32Array, shape: number[]) => tf.variable(tf.tensor(values, shape));
  const ones = () => tf.variable(tf.ones([width]));
  const zeros = () => tf.variable(tf.zeros([width]));
  const w = {
    g1: ones(), be1: zeros(),
    wq: v(d.wq, [width, width]), bq: v(d.bq, [width]),
    wk: v(d.wk, [width, width]), bk: v(d.bk, [width]),
    wv: v(d.wv, [width, width]), bv: v(d.bv, [width]),
    wo: v(d.wo, [width, width]), bo: v(d.bo, [width]),
    g2: ones(), be2: zeros(),
    w1: v(d.w1, [width, 4 * width]), b1: v(d.b1, [4 * width]),
    w2: v(d.w2, [4 * width, width]), b2: v(d.b2, [width]),
    wHead: v(d.wHead, [width, classes]), bHead: v(d.bHead, [classes]),
  };
  const x = tf.tensor2d(d.x, [batch * context, width]);
  const oneHot = tf.tensor2d(d.oneHot, [batch * context, classes]);
  const mask = tf.tensor2d(causalBias(context), [context, context]);
  const norm = (t: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
    const { mean, variance } = tf.moments(t, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(t, mean), tf.rsqrt(tf.add(variance, LN_EPSILON))), gamma), beta);
  };
  // [rows, width] → [batch, heads, context, size]
  const split = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [batch, context, heads, size]), [0, 2, 1, 3]);
  const loss = () => {
    const n1 = norm(x, w.g1, w.be1);
    const q = split(tf.add(tf.matMul(n1, w.wq), w.bq));
    const k = split(tf.add(tf.matMul(n1, w.wk), w.bk));
    const val = split(tf.add(tf.matMul(n1, w.wv), w.bv));
    const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(size)), mask);
    const attended = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), val), [0, 2, 1, 3]), [batch * context, width]);
    const h = tf.add(x, tf.add(tf.matMul(attended, w.wo), w.bo));
    const mlp = tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(norm(h, w.g2, w.be2), w.w1), w.b1)), w.w2), w.b2);
    const logits = tf.add(tf.matMul(tf.add(h, mlp), w.wHead), w.bHead);
    return tf.losses.softmaxCrossEntropy(oneHot, logits) as tf.Scalar;
  };
  return { loss, variables: Object.values(w), data: [x, oneHot, mask] };
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

/** `times` trainOnBatch steps on the same batch; the last loss. */
function trainOnBatchWorkload(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): Workload {
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
}

/** `times` epochs of fit in one call, unshuffled; the last epoch's loss. */
function fitWorkload(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, batchSize: number): Workload {
  return {
    async run(times) {
      const h = await model.fit(x, y, { epochs: times, batchSize, shuffle: false, verbose: 0 });
      return h.history.loss.at(-1) as number;
    },
    dispose: () => {
      model.dispose();
      tf.dispose([x, y]);
    },
  };
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
    return trainOnBatchWorkload(model, x, y);
  },

  async transformerStep(spec, data) {
    const { loss, variables, data: inputs } = transformerLoss(spec, data);
    const optimizer = tf.train.sgd(spec.learningRate);
    return {
      async run(times) {
        let value = NaN;
        for (let i = 0; i < times; i++) {
          const l = optimizer.minimize(loss, true, variables)!;
          value = (await l.data())[0];
          l.dispose();
        }
        return value;
      },
      dispose: () => {
        optimizer.dispose();
        tf.dispose([...variables, ...inputs]);
      },
    };
  },

  async fitEpoch(spec: FitSpec, data) {
    const model = buildModel(spec, data);
    const [x, y] = inputs(spec, data);
    return fitWorkload(model, x, y, spec.batch);
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
    return trainOnBatchWorkload(model, x, y);
  },

  async cnnFitEpoch(spec, data) {
    const model = buildCnn(spec, data);
    const [x, y] = cnnInputs(data);
    return fitWorkload(model, x, y, spec.batch);
  },
};
