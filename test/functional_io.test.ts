import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../src';
import { expectClose, randomArray } from './helpers';

// Loading functional models in the TensorFlow.js layers-model format: graphs that TensorFlow.js
// built and saved load in webgrad and predict what TensorFlow.js's CPU backend predicts; webgrad's
// graphs load in TensorFlow.js; webgrad's own round trip (with multi-head attention, which
// TensorFlow.js lacks) predicts and trains on as the original; malformed graphs are typed errors.

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** TensorFlow.js's artifacts of a model, as its save writes them. */
async function tfArtifacts(m: tf.LayersModel): Promise<wg.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await m.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return saved as wg.ModelArtifacts;
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const values = async (ts: wg.Tensor[]) => Promise.all(ts.map((t) => t.data()));

/** Data for inputs a [3], b [2] and ids [4] (int32 ids below 9), `n` examples. */
function data(n: number, seed: number) {
  const a = randomArray(3 * n, seed);
  const b = randomArray(2 * n, seed + 1);
  const ids = Array.from(randomArray(4 * n, seed + 2, 0, 9), Math.floor);
  return {
    tf: [tf.tensor2d(a, [n, 3]), tf.tensor2d(b, [n, 2]), tf.tensor2d(ids, [n, 4], 'int32')],
    wg: [wg.tensor(a, [n, 3]), wg.tensor(b, [n, 2]), wg.tensor(ids, [n, 4], 'int32')],
  };
}

describe('TensorFlow.js → webgrad', () => {
  it('a graph of three inputs, two outputs, a residual add, a shared dense, concatenations, an embedding, layer normalization and a nested Sequential predicts the same', async () => {
    const a = tf.input({ shape: [3], name: 'inA' });
    const b = tf.input({ shape: [2], name: 'inB' });
    const ids = tf.input({ shape: [4], name: 'tokenIds', dtype: 'int32' });
    const shared = tf.layers.dense({ units: 4, activation: 'tanh', name: 'sharedDense' });
    const ha = shared.apply(a) as tf.SymbolicTensor;
    const residual = tf.layers.add().apply([ha, tf.layers.dense({ units: 4 }).apply(ha) as tf.SymbolicTensor]) as tf.SymbolicTensor;
    const hb = shared.apply(tf.layers.concatenate().apply([b, tf.layers.dense({ units: 1 }).apply(b) as tf.SymbolicTensor])) as tf.SymbolicTensor;
    const embedded = tf.layers.layerNormalization().apply(tf.layers.embedding({ inputDim: 9, outputDim: 3 }).apply(ids)) as tf.SymbolicTensor;
    const block = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [4], activation: 'relu' }), tf.layers.dense({ units: 4 })] });
    const joined = tf.layers.concatenate().apply([block.apply(residual) as tf.SymbolicTensor, hb, tf.layers.flatten().apply(embedded) as tf.SymbolicTensor]);
    const out1 = tf.layers.dense({ units: 2 }).apply(joined) as tf.SymbolicTensor;
    const out2 = tf.layers.layerNormalization().apply(tf.layers.add().apply([residual, hb])) as tf.SymbolicTensor;
    const tm = tf.model({ inputs: [a, b, ids], outputs: [out1, out2] });
    const artifacts = await tfArtifacts(tm);
    // TensorFlow.js numbers the nested Sequential's call 1 (its own input counts as call 0).
    expect(JSON.stringify(artifacts.modelTopology)).toMatch(/\["sequential_\d+",1,0,\{\}\]/);

    const m = await wg.loadModel(artifacts);
    expect(m).toBeInstanceOf(wg.Functional);
    const loaded = m as wg.Functional;
    expect(loaded.inputNames).toEqual(['inA', 'inB', 'tokenIds']);
    expect(loaded.inputs[2].dtype).toBe('int32');
    expect(loaded.weights.map((w) => w.name).sort()).toEqual(tm.weights.map((w) => w.originalName).sort());
    expect(loaded.layers.filter((l) => l.name === 'sharedDense').length).toBe(1);
    const x = data(5, 1);
    const theirs = tm.predict(x.tf) as tf.Tensor[];
    const ours = loaded.predict(x.wg) as wg.Tensor[];
    for (let i = 0; i < 2; i++) {
      expect(ours[i].shape).toEqual(theirs[i].shape);
      expectClose(await ours[i].data(), (await theirs[i].data()) as Float32Array, 1e-4, 1e-5);
    }
  });

  it('a functional model inside a TensorFlow.js Sequential loads and predicts the same', async () => {
    const x = tf.input({ shape: [3] });
    const h = tf.layers.dense({ units: 4, activation: 'tanh' }).apply(x) as tf.SymbolicTensor;
    const inner = tf.model({ inputs: x, outputs: tf.layers.add().apply([h, tf.layers.dense({ units: 4 }).apply(h) as tf.SymbolicTensor]) as tf.SymbolicTensor });
    const tm = tf.sequential({ layers: [inner, tf.layers.dense({ units: 2 })] });
    const m = await wg.loadModel(await tfArtifacts(tm));
    expect(m).toBeInstanceOf(wg.Sequential);
    expect((m as wg.Sequential).layers[0]).toBeInstanceOf(wg.Functional);
    const xs = randomArray(12, 7);
    expectClose(await m.predict(wg.tensor(xs, [4, 3])).data(), (await (tm.predict(tf.tensor2d(xs, [4, 3])) as tf.Tensor).data()) as Float32Array, 1e-4, 1e-5);
  });
});

describe('webgrad → TensorFlow.js', () => {
  it('models nested either way: a Sequential and a functional model inside a functional one, and that inside a Sequential', async () => {
    const x = wg.input({ shape: [3] });
    const h = wg.layers.dense({ units: 4, activation: 'tanh' }).apply(x);
    const inner = wg.model({ inputs: x, outputs: wg.layers.add().apply([h, wg.layers.dense({ units: 4 }).apply(h)]) });
    const stack = wg.sequential({ layers: [wg.layers.dense({ units: 4, inputShape: [4], activation: 'relu' }), wg.layers.dense({ units: 4 })] });
    const a = wg.input({ shape: [3] });
    const once = inner.apply(a);
    // The inner model called twice: its calls are nodes 1 and 2 in the file.
    const outer = wg.model({ inputs: a, outputs: wg.layers.concatenate().apply([stack.apply(once), inner.apply(wg.layers.dense({ units: 3 }).apply(once))]) });
    const top = wg.sequential({ layers: [outer, wg.layers.dense({ units: 2 })] });
    const artifacts = await top.save();
    const tm = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const xs = randomArray(15, 8);
    const want = top.predict(wg.tensor(xs, [5, 3]));
    expectClose(await want.data(), (await (tm.predict(tf.tensor2d(xs, [5, 3])) as tf.Tensor).data()) as Float32Array, 1e-4, 1e-5);
    const again = await wg.loadModel(artifacts);
    expectClose(await again.predict(wg.tensor(xs, [5, 3])).data(), await want.data(), 0, 0);
    expect(again.weights.map((w) => w.name)).toEqual(top.weights.map((w) => w.name));
  });
});

/** A two-input model with shared, regularized layers, an embedding, layer normalization and attention under a mask. */
function attentionModel() {
  const tokens = wg.input({ shape: [4], name: 'tokens', dtype: 'int32' });
  const mask = wg.input({ shape: [4, 4], name: 'mask' });
  const embed = wg.layers.embedding({ inputDim: 7, outputDim: 6, name: 'embed' });
  const x = wg.layers.layerNormalization({ name: 'norm' }).apply(embed.apply(tokens));
  const mha = wg.layers.multiHeadAttention({ numHeads: 2, keyDim: 3, valueDim: 2, name: 'mha', kernelRegularizer: wg.regularizers.l2({ l2: 0.01 }) });
  const attended = mha.apply([x, x], { attentionMask: mask });
  const causal = mha.apply([attended, x], { useCausalMask: true });
  const h = wg.layers.add().apply([x, attended, causal]);
  const out = wg.layers.dense({ units: 1, name: 'head' }).apply(wg.layers.flatten().apply(h));
  return wg.model({ inputs: [tokens, mask], outputs: out, name: 'attender' });
}

const one = (t: wg.Tensor | wg.Tensor[]): wg.Tensor => {
  if (Array.isArray(t)) throw new Error('expected one output');
  return t;
}

function attentionData(n: number, seed: number) {
  const ids = Array.from(randomArray(4 * n, seed, 0, 7), Math.floor);
  // Each query sees a random subset of keys, always itself.
  const bits = randomArray(16 * n, seed + 1);
  const mask = Array.from(bits, (v, i) => (v > 0 || Math.floor(i / 4) % 4 === i % 4 ? 1 : 0));
  const y = randomArray(n, seed + 2);
  return [wg.tensor(ids, [n, 4], 'int32'), wg.tensor(mask, [n, 4, 4]), wg.tensor(y, [n, 1])] as const;
}

describe('webgrad → webgrad', () => {
  it('attention under a mask input and a causal mask, a shared attention layer, an embedding: same config, weights, predictions, and training goes on alike', async () => {
    const m = attentionModel();
    const artifacts = await m.save();
    const topology = JSON.stringify(artifacts.modelTopology);
    // Keras's names: the mask is a call argument naming the input layer, weights as Keras 3's.
    expect(topology).toContain('"attention_mask":["mask",0,0]');
    expect(topology).toContain('"use_causal_mask":true');
    expect(artifacts.weightSpecs!.map((s) => s.name).filter((n) => n.startsWith('mha/'))).toEqual([
      'mha/query/kernel', 'mha/query/bias', 'mha/key/kernel', 'mha/key/bias', 'mha/value/kernel', 'mha/value/bias', 'mha/attention_output/kernel', 'mha/attention_output/bias',
    ]);
    const loaded = (await wg.loadModel(clone({ ...artifacts, weightData: undefined }) as wg.ModelArtifacts).catch((e: unknown) => e)) as Error;
    expect(loaded).toBeInstanceOf(wg.ModelFormatError);
    const copy = (await wg.loadModel(artifacts)) as wg.Functional;
    expect(copy.inputNames).toEqual(['tokens', 'mask']);
    expect(copy.getConfig()).toEqual(m.getConfig());
    expect(copy.weights.map((w) => w.name)).toEqual(m.weights.map((w) => w.name));
    const [ids, mask, y] = attentionData(6, 20);
    expectClose(await one(copy.predict([ids, mask])).data(), await one(m.predict([ids, mask])).data(), 0, 0);
    // The mask matters: another mask changes the output.
    const open = wg.ones([6, 4, 4]);
    expect(Array.from(await one(copy.predict([ids, open])).data())).not.toEqual(Array.from(await one(copy.predict([ids, mask])).data()));
    const penalty = async (model: wg.Layer) => (await Promise.all(model.losses.map((t) => t.data()))).map((v) => v[0]);
    expect(await penalty(copy)).toEqual(await penalty(m));

    for (const model of [m, copy]) model.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.01 }), loss: 'meanSquaredError' });
    const ours = await m.fit([ids, mask], y, { epochs: 3, batchSize: 3, shuffle: false, verbose: 0 });
    const theirs = await copy.fit([ids, mask], y, { epochs: 3, batchSize: 3, shuffle: false, verbose: 0 });
    expectClose(theirs.history.loss as number[], ours.history.loss as number[], 1e-5, 1e-6);
    expect((ours.history.loss as number[])[2]).toBeLessThan((ours.history.loss as number[])[0]);
    const want = await values(m.getWeights());
    (await values(copy.getWeights())).forEach((w, i) => expectClose(w, want[i], 1e-5, 1e-6));
  });
});
