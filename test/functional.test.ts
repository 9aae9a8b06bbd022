import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../src';
import { expectClose, randomArray } from './helpers';

// The functional API: symbolic inputs, layer calls recorded and run again, several inputs and
// outputs, shared layers, nesting, fit against TensorFlow.js's CPU backend from the same weights.

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const values = async (ts: wg.Tensor[]) => Promise.all(ts.map((t) => t.data()));

describe('input and symbolic apply', () => {
  it('input gives a symbolic tensor; apply builds the layer and gives the output shape', () => {
    const x = wg.input({ shape: [3], name: 'features' });
    expect(x).toBeInstanceOf(wg.SymbolicTensor);
    expect(x.shape).toEqual([null, 3]);
    const dense = wg.layers.dense({ units: 4 });
    const y = dense.apply(x);
    expect(y).toBeInstanceOf(wg.SymbolicTensor);
    expect(y.shape).toEqual([null, 4]);
    expect(dense.built).toBe(true);
    expect(dense.weights.map((w) => w.shape)).toEqual([[3, 4], [4]]);
    const z = wg.layers.concatenate().apply([y, x]);
    expect(z.shape).toEqual([null, 7]);
    expect(() => wg.input({ shape: [0] })).toThrow(wg.InvalidArgumentError);
    expect(() => wg.input({ shape: [3], dtyp: 'int32' } as never)).toThrow(/dtyp/);
  });

  it('a layer without computeOutputShape (a subclass) gets its output shape from one untaped call, leaving no losses', () => {
    class Doubler extends wg.Layer {
      override call(x: wg.Tensor): wg.Tensor {
        this.addLoss(wg.sum(x));
        return wg.concat([x, x], 1);
      }
    }
    const layer = new Doubler();
    const y = layer.apply(wg.input({ shape: [5] }));
    expect(y.shape).toEqual([null, 10]);
    expect(layer.losses).toEqual([]);
  });
});

describe('model({ inputs, outputs })', () => {
  it('runs a residual block in topological order, as the same layers applied by hand', async () => {
    const x = wg.input({ shape: [4] });
    const d1 = wg.layers.dense({ units: 4, activation: 'relu' });
    const d2 = wg.layers.dense({ units: 4 });
    const y = wg.layers.add().apply([x, d2.apply(d1.apply(x))]);
    const m = wg.model({ inputs: x, outputs: y, name: 'residual' });
    const data = wg.tensor(randomArray(20, 3), [5, 4]);
    const expected = wg.add(data, d2.apply(d1.apply(data)));
    const got = m.predict(data);
    expectClose(await got.data(), await expected.data(), 1e-6, 1e-6);
    expect(m.weights.length).toBe(4);
    expect(m.countParams()).toBe(2 * (16 + 4));
    const before = wg.memory().numTensors;
    const again = m.apply(data);
    expect(wg.memory().numTensors).toBe(before + 1); // intermediates freed
    again.dispose();
  });

  it('a shared layer is one set of weights whose penalty counts once; each call adds its activity penalty', async () => {
    const a = wg.input({ shape: [3], name: 'a' });
    const b = wg.input({ shape: [3], name: 'b' });
    const shared = wg.layers.dense({ units: 2, kernelRegularizer: wg.regularizers.l2(0.5), activityRegularizer: wg.regularizers.l1(0.1), useBias: false });
    const m = wg.model({ inputs: [a, b], outputs: wg.layers.add().apply([shared.apply(a), shared.apply(b)]) });
    expect(m.weights.length).toBe(1);
    const k = randomArray(6, 5);
    shared.setWeights([wg.tensor(k, [3, 2])]);
    const xa = randomArray(6, 6);
    const xb = randomArray(6, 7);
    m.apply([wg.tensor(xa, [2, 3]), wg.tensor(xb, [2, 3])]);
    const losses = (await values(m.losses)).map((v) => v[0]);
    const matmul = (x: Float32Array) => [0, 1].flatMap((r) => [0, 1].map((c) => [0, 1, 2].reduce((s, i) => s + x[r * 3 + i] * k[i * 2 + c], 0)));
    const l1 = (v: number[]) => 0.1 * v.reduce((s, u) => s + Math.abs(u), 0);
    expect(losses.length).toBe(3);
    expectClose(losses, [l1(matmul(xa)), l1(matmul(xb)), 0.5 * k.reduce((s, v) => s + v * v, 0)], 1e-5);
  });

  it('several outputs come back as an array, from apply and predict (batched)', async () => {
    const x = wg.input({ shape: [2] });
    const d = wg.layers.dense({ units: 3 });
    const h = d.apply(x);
    const m = wg.model({ inputs: x, outputs: [h, wg.layers.multiply().apply([h, h])] });
    const data = wg.tensor(randomArray(14, 9), [7, 2]);
    const [p, q] = m.predict([data], { batchSize: 3 }) as wg.Tensor[];
    const ref = d.apply(data);
    expectClose(await p.data(), await ref.data(), 1e-6);
    expectClose(await q.data(), Array.from(await ref.data(), (v) => v * v), 1e-5, 1e-6);
  });

  it('functional models nest in Sequential models and Sequential models in functional ones', async () => {
    const inner = wg.sequential({ layers: [wg.layers.dense({ units: 3, inputShape: [2], activation: 'tanh' })] });
    const x = wg.input({ shape: [2] });
    const f = wg.model({ inputs: x, outputs: wg.layers.dense({ units: 2 }).apply(inner.apply(x)) });
    const outer = wg.sequential({ layers: [f, wg.layers.dense({ units: 1 })] });
    const data = wg.tensor(randomArray(8, 10), [4, 2]);
    const got = outer.predict(data);
    const [d1] = inner.layers;
    const d2 = f.layers[2];
    const d3 = outer.layers[1];
    const expected = d3.apply(d2.apply(d1.apply(data)));
    expect(got.shape).toEqual([4, 1]);
    expectClose(await got.data(), await expected.data(), 1e-5, 1e-6);
    expect(outer.weights.length).toBe(6);
  });

  it('summary lists the layers with their output shapes; countParams counts shared weights once', () => {
    const a = wg.input({ shape: [3], name: 'left' });
    const b = wg.input({ shape: [3], name: 'right' });
    const shared = wg.layers.dense({ units: 4, name: 'shared' });
    const m = wg.model({ inputs: [a, b], outputs: wg.layers.concatenate({ name: 'joined' }).apply([shared.apply(a), shared.apply(b)]), name: 'twin' });
    const lines: string[] = [];
    m.summary((l) => lines.push(l));
    const text = lines.join('\n');
    expect(text).toContain('Model: "twin"');
    expect(text).toMatch(/left \(InputLayer\)\s+\(None, 3\)\s+0/);
    expect(text).toMatch(/shared \(Dense\)\s+\(None, 4\)\s+16/);
    expect(text).toMatch(/joined \(Concatenate\)\s+\(None, 8\)\s+0/);
    expect(text).toContain('Total params: 16');
    expect(m.countParams()).toBe(16);
  });

  it('bad inputs are typed errors naming the input; a failed fit changes no weight', async () => {
    const a = wg.input({ shape: [3], name: 'a' });
    const b = wg.input({ shape: [2], name: 'b' });
    const m = wg.model({ inputs: [a, b], outputs: wg.layers.dense({ units: 1 }).apply(wg.layers.concatenate().apply([a, b])) });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const before = await values(m.getWeights());
    const xa = wg.ones([4, 3]);
    const xb = wg.ones([4, 2]);
    const y = wg.ones([4, 1]);
    expect(() => m.apply([xa])).toThrow(/expects 2 inputs \('a', 'b'\), got 1/);
    expect(() => m.apply([xa, wg.ones([4, 5])])).toThrow(wg.ShapeError);
    expect(() => m.apply([xa, wg.ones([4, 5])])).toThrow(/input 'b'/);
    await expect(m.fit(xa, y, { verbose: 0 })).rejects.toThrow(/2 inputs \('a', 'b'\)/);
    await expect(m.fit([xa, wg.ones([4, 4])], y, { verbose: 0 })).rejects.toThrow(/input 'b' expects shape \[null,2\]/);
    await expect(m.fit([xa, wg.ones([3, 2])], y, { verbose: 0 })).rejects.toThrow(wg.ShapeError);
    await expect(m.fit([xa, wg.tensor([[1, NaN], [1, 1], [1, 1], [1, 1]])], y, { verbose: 0 })).rejects.toThrow(/x\[1\] \('b'\).*non-finite/);
    await expect(m.evaluate([xa, xb], [y, y])).rejects.toThrow(wg.InvalidArgumentError);
    const after = await values(m.getWeights());
    after.forEach((w, i) => expectClose(w, before[i], 0, 0));
    const x = wg.input({ shape: [2] });
    expect(() => wg.model({ inputs: x, outputs: wg.layers.dense({ units: 1 }).apply(wg.input({ shape: [2] })) })).toThrow(/not among the model's inputs/);
    expect(() => wg.model({ inputs: x, ouputs: x } as never)).toThrow(/ouputs/);
  });

  it('embedding ids outside [0, inputDim) are a typed error from fit, float32 and int32, and no weight changes', async () => {
    for (const dtype of ['float32', 'int32'] as const) {
      const ids = wg.input({ shape: [3], dtype });
      const emb = wg.layers.embedding({ inputDim: 5, outputDim: 2 });
      const m = wg.model({ inputs: ids, outputs: wg.layers.dense({ units: 1 }).apply(wg.layers.concatenate({ axis: 1 }).apply([emb.apply(ids)])) });
      m.compile({ optimizer: 'sgd', loss: 'mse' });
      const before = await values(m.getWeights());
      const y = wg.zeros([2, 3, 1]);
      await expect(m.fit(wg.tensor([[0, 1, 4], [2, 5, 1]], undefined, dtype), y, { verbose: 0 })).rejects.toThrow(/id 5 in sample 1.*\[0, 5\)/);
      await expect(m.fit(wg.tensor([[0, 1, 4], [2, -1, 1]], undefined, dtype), y, { verbose: 0 })).rejects.toThrow(wg.InvalidArgumentError);
      (await values(m.getWeights())).forEach((w, i) => expectClose(w, before[i], 0, 0));
      const h = await m.fit(wg.tensor([[0, 1, 4], [2, 3, 1]], undefined, dtype), y, { verbose: 0, batchSize: 1 });
      expect(h.history.loss[0]).toBeGreaterThan(0);
    }
  });
  it('a Sequential model starting with an embedding checks its ids too, and shuffles int32 ids', async () => {
    const m = wg.sequential({ layers: [wg.layers.embedding({ inputDim: 4, outputDim: 2, inputShape: [2] }), wg.layers.dense({ units: 1 })] });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const y = wg.zeros([3, 2, 1]);
    await expect(m.fit(wg.tensor([[0, 1], [3, 4], [1, 1]]), y, { verbose: 0 })).rejects.toThrow(/id 4 in sample 1/);
    await expect(m.evaluate(wg.tensor([[0, 1], [3, 2], [1, 1.5]]), y)).rejects.toThrow(/id 1.5 in sample 2/);
    const h = await m.fit(wg.tensor([[0, 1], [3, 2], [1, 1]], undefined, 'int32'), y, { verbose: 0, batchSize: 2, epochs: 2 });
    expect(h.history.loss.length).toBe(2);
  });
});

describe('fit of functional models against TensorFlow.js from the same weights', () => {
  /** Two inputs; one output (mse) or two (mse and categorical cross-entropy, weighted). */
  async function compare(twoOutputs: boolean): Promise<void> {
    const n = 12;
    const xa = randomArray(n * 3, 41);
    const xb = randomArray(n * 2, 42);
    const y1 = randomArray(n, 43);
    const y2 = Float32Array.from({ length: n * 2 }, (_, i) => ((i >> 1) % 3 === 0) === (i % 2 === 0) ? 1 : 0);

    const a = wg.input({ shape: [3], name: 'a' });
    const b = wg.input({ shape: [2], name: 'b' });
    const da = wg.layers.dense({ units: 4, activation: 'tanh' });
    const db = wg.layers.dense({ units: 4, activation: 'tanh' });
    const h = wg.layers.concatenate().apply([da.apply(a), db.apply(b)]);
    const o1 = wg.layers.dense({ units: 1 });
    const o2 = wg.layers.dense({ units: 2, activation: 'softmax' });
    const outputs = twoOutputs ? [o1.apply(h), o2.apply(h)] : o1.apply(h);
    const m = wg.model({ inputs: [a, b], outputs });

    const ta = tf.input({ shape: [3] });
    const tb = tf.input({ shape: [2] });
    const tda = tf.layers.dense({ units: 4, activation: 'tanh' });
    const tdb = tf.layers.dense({ units: 4, activation: 'tanh' });
    const th = tf.layers.concatenate().apply([tda.apply(ta), tdb.apply(tb)] as tf.SymbolicTensor[]) as tf.SymbolicTensor;
    const to1 = tf.layers.dense({ units: 1 });
    const to2 = tf.layers.dense({ units: 2, activation: 'softmax' });
    const tOut = twoOutputs ? [to1.apply(th), to2.apply(th)] as tf.SymbolicTensor[] : to1.apply(th) as tf.SymbolicTensor;
    const tm = tf.model({ inputs: [ta, tb], outputs: tOut });

    const pairs: Array<[wg.Layer, tf.layers.Layer]> = [[da, tda], [db, tdb], [o1, to1], ...(twoOutputs ? [[o2, to2] as [wg.Layer, tf.layers.Layer]] : [])];
    for (const [ours, theirs] of pairs) {
      const ws = await values(ours.getWeights());
      theirs.setWeights(ws.map((w, i) => tf.tensor(w, ours.weights[i].shape as number[])));
    }
    const lr = 0.1;
    if (twoOutputs) {
      m.compile({ optimizer: wg.optimizers.sgd({ learningRate: lr }), loss: ['mse', 'categoricalCrossentropy'], lossWeights: [1, 0.5] });
      // TensorFlow.js has no lossWeights: its second loss is scaled by hand.
      const halfCrossentropy = (yt: tf.Tensor, yp: tf.Tensor) => tf.mul(tf.metrics.categoricalCrossentropy(yt, yp), 0.5);
      tm.compile({ optimizer: tf.train.sgd(lr), loss: [(yt: tf.Tensor, yp: tf.Tensor) => tf.metrics.meanSquaredError(yt, yp), halfCrossentropy] });
    } else {
      m.compile({ optimizer: wg.optimizers.sgd({ learningRate: lr }), loss: 'mse' });
      tm.compile({ optimizer: tf.train.sgd(lr), loss: 'meanSquaredError' });
    }
    const x = [wg.tensor(xa, [n, 3]), wg.tensor(xb, [n, 2])];
    const tx = [tf.tensor2d(xa, [n, 3]), tf.tensor2d(xb, [n, 2])];
    const y = twoOutputs ? [wg.tensor(y1, [n, 1]), wg.tensor(y2, [n, 2])] : wg.tensor(y1, [n, 1]);
    const ty = twoOutputs ? [tf.tensor2d(y1, [n, 1]), tf.tensor2d(y2, [n, 2])] : tf.tensor2d(y1, [n, 1]);
    const ours = await m.fit(x, y, { epochs: 3, batchSize: 5, shuffle: false, verbose: 0 });
    const theirs = await tm.fit(tx, ty, { epochs: 3, batchSize: 5, shuffle: false, verbose: 0 });
    expectClose(ours.history.loss, theirs.history.loss as number[], 1e-4, 1e-6);
    for (const [layer, tlayer] of pairs) {
      const got = await values(layer.getWeights());
      const want = await Promise.all(tlayer.getWeights().map((w) => w.data()));
      got.forEach((w, i) => expectClose(w, want[i] as Float32Array, 1e-4, 1e-6));
    }
    const evalOurs = await m.evaluate(x, y);
    // The total from the outputs of TensorFlow.js's model (its evaluate lists per-output losses in an odd order).
    const preds = (twoOutputs ? tm.predict(tx) : [tm.predict(tx)]) as tf.Tensor[];
    const targets = (twoOutputs ? ty : [ty]) as tf.Tensor[];
    const mse = (await tf.metrics.meanSquaredError(targets[0], preds[0]).mean().data())[0];
    const cce = twoOutputs ? (await tf.metrics.categoricalCrossentropy(targets[1], preds[1]).mean().data())[0] : 0;
    expectClose([evalOurs.loss], [mse + 0.5 * cce], 1e-4, 1e-6);
  }

  it('two inputs, one output: epoch losses and final weights agree', async () => {
    await compare(false);
  });

  it('two inputs, two outputs with a loss each and lossWeights: epoch losses and final weights agree', async () => {
    await compare(true);
  });
});

describe('saving functional models', () => {
  it('TensorFlow.js loads a saved two-input, two-output model with a shared layer and predicts the same', async () => {
    const a = wg.input({ shape: [3], name: 'a' });
    const b = wg.input({ shape: [2], name: 'b' });
    const shared = wg.layers.dense({ units: 4, activation: 'tanh' });
    const left = shared.apply(wg.layers.dense({ units: 3 }).apply(a));
    const right = shared.apply(wg.layers.concatenate().apply([b, wg.layers.dense({ units: 1 }).apply(b)]));
    const h = wg.layers.average().apply([wg.layers.add().apply([left, right]), wg.layers.multiply().apply([left, right])]);
    const m = wg.model({ inputs: [a, b], outputs: [wg.layers.dense({ units: 1 }).apply(h), wg.layers.layerNormalization().apply(h)] });
    const tm = await tf.loadLayersModel(tf.io.fromMemory(await m.save()));
    expect(tm.inputs.length).toBe(2);
    const xa = randomArray(6, 51);
    const xb = randomArray(4, 52);
    const theirs = tm.predict([tf.tensor2d(xa, [2, 3]), tf.tensor2d(xb, [2, 2])]) as tf.Tensor[];
    const ours = m.predict([wg.tensor(xa, [2, 3]), wg.tensor(xb, [2, 2])]) as wg.Tensor[];
    for (let i = 0; i < 2; i++) expectClose(await ours[i].data(), (await theirs[i].data()) as Float32Array, 1e-4, 1e-5);
  });

  it('loadWeights restores a saved functional model into one built by the same code; loadModel rebuilds it', async () => {
    const make = () => {
      const a = wg.input({ shape: [3] });
      const b = wg.input({ shape: [2] });
      const shared = wg.layers.dense({ units: 2 });
      return wg.model({ inputs: [a, b], outputs: wg.layers.layerNormalization().apply(wg.layers.add().apply([shared.apply(wg.layers.dense({ units: 3 }).apply(b)), shared.apply(a)])) });
    };
    const saved = make();
    const artifacts = await saved.save();
    const restored = make();
    await restored.loadWeights(artifacts);
    const want = await values(saved.getWeights());
    (await values(restored.getWeights())).forEach((w, i) => expectClose(w, want[i], 0, 0));
    const loaded = await wg.loadModel(artifacts);
    (await values(loaded.getWeights())).forEach((w, i) => expectClose(w, want[i], 0, 0));
  });

  it('TensorFlow.js loads a saved model of int32 ids through an embedding and predicts the same', async () => {
    const ids = wg.input({ shape: [4], dtype: 'int32', name: 'ids' });
    const h = wg.layers.embedding({ inputDim: 9, outputDim: 3 }).apply(ids);
    const m = wg.model({ inputs: ids, outputs: wg.layers.dense({ units: 2 }).apply(wg.layers.layerNormalization().apply(h)) });
    const tm = await tf.loadLayersModel(tf.io.fromMemory(await m.save()));
    const x = [[0, 8, 3, 3], [5, 1, 0, 7]];
    const theirs = tm.predict(tf.tensor2d(x, undefined, 'int32')) as tf.Tensor;
    const ours = m.predict(wg.tensor(x, undefined, 'int32'));
    expect(ours.shape).toEqual(theirs.shape);
    expectClose(await ours.data(), (await theirs.data()) as Float32Array, 1e-4, 1e-5);
  });
});
