// webgrad through its public API, as a user writes it.
import * as wg from '../../src/index';
import { CLASSES, checkConv, type CnnData, type CnnSpec, convOut, IMAGE, KERNEL, POOLED } from '../cnn';
import { checkProduct, type Engine, type FitSpec, type MlpData, type MlpSpec, type Workload } from '../suite';
import { LN_EPSILON, type TransformerData, type TransformerSpec } from '../transformer_bench';

/** The Keras-style model: dense relu, dense linear, l1l2 on both kernels, plain SGD. */
function buildModel(spec: MlpSpec, data: MlpData): wg.Sequential {
  const [nIn, nHidden, nOut] = spec.units;
  const regularizer = () => wg.regularizers.l1l2({ l1: spec.l1, l2: spec.l2 });
  const model = wg.sequential({
    layers: [
      wg.layers.dense({ units: nHidden, inputShape: [nIn], activation: 'relu', kernelRegularizer: regularizer() }),
      wg.layers.dense({ units: nOut, kernelRegularizer: regularizer() }),
    ],
  });
  const init = [
    wg.tensor(data.w1, [nIn, nHidden]),
    wg.tensor(data.b1, [nHidden]),
    wg.tensor(data.w2, [nHidden, nOut]),
    wg.tensor(data.b2, [nOut]),
  ];
  model.setWeights(init);
  for (const t of init) t.dispose();
  model.compile({
    optimizer: wg.optimizers.sgd({ learningRate: spec.learningRate }),
    loss:
      spec.loss === 'softmaxCrossEntropy'
        ? (yTrue: wg.Tensor, yPred: wg.Tensor) => wg.losses.categoricalCrossentropy(yTrue, yPred, { fromLogits: true })
        : 'meanSquaredError',
  });
  return model;
}

function inputs(spec: MlpSpec, data: MlpData): [wg.Tensor, wg.Tensor] {
  return [wg.tensor(data.x, [data.rows, spec.units[0]]), wg.tensor(data.y, [data.rows, spec.units[2]])];
}

function disposeAll(model: wg.Model, tensors: wg.Tensor[]) {
  model.dispose();
  for (const t of tensors) t.dispose();
}

const dispatches = () => wg.memory().numDispatches;

/** `times` trainOnBatch steps on the same batch; the last loss. */
function trainOnBatchWorkload(model: wg.Model, x: wg.Tensor, y: wg.Tensor): Workload {
  return {
    async run(times) {
      let loss = NaN;
      for (let i = 0; i < times; i++) loss = (await model.trainOnBatch(x, y)).loss;
      return loss;
    },
    dispatches,
    dispose: () => disposeAll(model, [x, y]),
  };
}

/** `times` epochs of fit in one call, unshuffled; the last epoch's loss. */
function fitWorkload(model: wg.Model, x: wg.Tensor, y: wg.Tensor, batchSize: number): Workload {
  return {
    async run(times) {
      const h = await model.fit(x, y, { epochs: times, batchSize, shuffle: false, verbose: 0 });
      return h.history.loss.at(-1)!;
    },
    dispatches,
    dispose: () => disposeAll(model, [x, y]),
  };
}

/**
 * The transformer block with webgrad's layers and functional API, as a user writes it: pre-LN
 * causal self-attention and MLP with residual adds, a dense head, sparse cross-entropy from
 * logits, plain SGD; the weights set from the shared data.
 */
function buildTransformer(s: TransformerSpec, d: TransformerData): wg.Model {
  const { context, width, heads, classes } = s;
  const size = width / heads;
  const x = wg.input({ shape: [context, width] });
  const norm1 = wg.layers.layerNormalization({ epsilon: LN_EPSILON });
  const attention = wg.layers.multiHeadAttention({ numHeads: heads, keyDim: size });
  const norm2 = wg.layers.layerNormalization({ epsilon: LN_EPSILON });
  const up = wg.layers.dense({ units: 4 * width, activation: 'relu' });
  const down = wg.layers.dense({ units: width });
  const head = wg.layers.dense({ units: classes });
  const n1 = norm1.apply(x);
  const h = wg.layers.add().apply([x, attention.apply([n1, n1], { useCausalMask: true })]);
  const z = wg.layers.add().apply([h, down.apply(up.apply(norm2.apply(h)))]);
  const model = wg.model({ inputs: x, outputs: head.apply(z) });
  const set = (layer: wg.Layer, values: Array<[Float32Array, number[]]>) => {
    const ts = values.map(([v, shape]) => wg.tensor(v, shape));
    layer.setWeights(ts);
    for (const t of ts) t.dispose();
  };
  const [kernel, bias, out] = [[width, heads, size], [heads, size], [heads, size, width]];
  set(attention, [[d.wq, kernel], [d.bq, bias], [d.wk, kernel], [d.bk, bias], [d.wv, kernel], [d.bv, bias], [d.wo, out], [d.bo, [width]]]);
  set(up, [[d.w1, [width, 4 * width]], [d.b1, [4 * width]]]);
  set(down, [[d.w2, [4 * width, width]], [d.b2, [width]]]);
  set(head, [[d.wHead, [width, classes]], [d.bHead, [classes]]]);
  model.compile({
    optimizer: wg.optimizers.sgd({ learningRate: s.learningRate }),
    loss: (yTrue: wg.Tensor, yPred: wg.Tensor) => wg.losses.sparseCategoricalCrossentropy(yTrue, yPred, { fromLogits: true }),
  });
  return model;
}

/** The CNN of bench/cnn.ts as layers: two relu convolutions and poolings, a dense softmax output, L2 on the kernels. */
function buildCnn(spec: CnnSpec, data: CnnData): wg.Sequential {
  const [f1, f2] = spec.filters;
  const regularizer = () => wg.regularizers.l2({ l2: spec.l2 });
  const model = wg.sequential({
    layers: [
      wg.layers.conv2d({ filters: f1, kernelSize: KERNEL, activation: 'relu', kernelRegularizer: regularizer(), inputShape: [IMAGE, IMAGE, 1] }),
      wg.layers.maxPooling2d({ poolSize: 2 }),
      wg.layers.conv2d({ filters: f2, kernelSize: KERNEL, activation: 'relu', kernelRegularizer: regularizer() }),
      wg.layers.maxPooling2d({ poolSize: 2 }),
      wg.layers.flatten(),
      wg.layers.dense({ units: CLASSES, kernelRegularizer: regularizer() }),
    ],
  });
  const init = [
    wg.tensor(data.k1, [KERNEL, KERNEL, 1, f1]),
    wg.tensor(data.b1, [f1]),
    wg.tensor(data.k2, [KERNEL, KERNEL, f1, f2]),
    wg.tensor(data.b2, [f2]),
    wg.tensor(data.w3, [POOLED * POOLED * f2, CLASSES]),
    wg.tensor(data.b3, [CLASSES]),
  ];
  model.setWeights(init);
  for (const t of init) t.dispose();
  model.compile({
    optimizer: wg.optimizers.sgd({ learningRate: spec.learningRate }),
    loss: (yTrue: wg.Tensor, yPred: wg.Tensor) => wg.losses.categoricalCrossentropy(yTrue, yPred, { fromLogits: true }),
  });
  return model;
}

const cnnInputs = (data: CnnData): [wg.Tensor, wg.Tensor] => [wg.tensor(data.x, [data.rows, IMAGE, IMAGE, 1]), wg.tensor(data.y, [data.rows, CLASSES])];

export const webgradEngine: Engine = {
  id: 'webgrad',
  label: 'webgrad',
  async init() {
    const info = await wg.init();
    return `webgrad on ${info.adapter}`;
  },

  async matmul(n) {
    const a = wg.randomNormal([n, n], { seed: 1 });
    const b = wg.randomNormal([n, n], { seed: 2 });
    await wg.sync();
    return {
      async run(times) {
        for (let i = 0; i < times; i++) wg.matmul(a, b).dispose();
        await wg.sync();
        return undefined;
      },
      dispatches,
      async verify() {
        const c = wg.matmul(a, b);
        const [av, bv, cv] = await Promise.all([a.data(), b.data(), c.data()]);
        c.dispose();
        checkProduct('webgrad', n, av, bv, cv);
      },
      dispose: () => {
        a.dispose();
        b.dispose();
      },
    };
  },

  async trainStep(spec, data) {
    const model = buildModel(spec, data);
    const [x, y] = inputs(spec, data);
    return trainOnBatchWorkload(model, x, y);
  },

  async transformerStep(spec, data) {
    const model = buildTransformer(spec, data);
    const x = wg.tensor(data.x, [spec.batch, spec.context, spec.width]);
    const labels = wg.tensor(data.labels, [spec.batch, spec.context]);
    return trainOnBatchWorkload(model, x, labels);
  },

  async fitEpoch(spec: FitSpec, data) {
    const model = buildModel(spec, data);
    const [x, y] = inputs(spec, data);
    return fitWorkload(model, x, y, spec.batch);
  },

  async convLayer(spec, data) {
    const [outH, outW] = convOut(spec);
    const x = wg.tensor(data.x, [spec.batch, spec.inH, spec.inW, spec.inC]);
    const filter = wg.tensor(data.filter, [KERNEL, KERNEL, spec.inC, spec.filters]);
    const dy = wg.tensor(data.dy, [spec.batch, outH, outW, spec.filters]);
    // y and both gradients through a tape, as training computes them.
    const pass = (): [wg.Tensor, wg.Tensor, wg.Tensor] => {
      const tape = new wg.GradientTape();
      tape.watch(x, filter);
      const y = tape.record(() => wg.conv2d(x, filter, { padding: spec.padding }));
      const [dx, dFilter] = tape.gradient(y, [x, filter], dy);
      tape.dispose();
      return [y, dx!, dFilter!];
    };
    await wg.sync();
    return {
      async run(times) {
        for (let i = 0; i < times; i++) for (const t of pass()) t.dispose();
        await wg.sync();
        return undefined;
      },
      dispatches,
      async verify() {
        const out = pass();
        const [y, dx, dFilter] = await Promise.all(out.map((t) => t.data()));
        for (const t of out) t.dispose();
        checkConv('webgrad', spec, data, { y, dx, dFilter });
      },
      dispose: () => {
        for (const t of [x, filter, dy]) t.dispose();
      },
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
