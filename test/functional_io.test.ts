import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../src';
import { expectClose, randomArray } from './helpers';
import { tfArtifacts } from './tf_reference';

// Loading functional models in the TensorFlow.js layers-model format: graphs that TensorFlow.js
// built and saved load in webgrad and predict what TensorFlow.js's CPU backend predicts; webgrad's
// graphs load in TensorFlow.js; webgrad's own round trip (with multi-head attention, which
// TensorFlow.js lacks) predicts and trains on as the original; malformed graphs are typed errors.

beforeAll(async () => {
  await tf.setBackend('cpu');
});

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
    expect(loaded.weights.map((w) => w.name)).toEqual(tm.weights.map((w) => w.originalName));
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
    // Training goes on from the loaded weights as it does in TensorFlow.js.
    const ys = randomArray(8, 9);
    m.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    tm.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const ours = await m.fit(wg.tensor(xs, [4, 3]), wg.tensor(ys, [4, 2]), { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 });
    const theirs = await tm.fit(tf.tensor2d(xs, [4, 3]), tf.tensor2d(ys, [4, 2]), { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 });
    expectClose(ours.history.loss as number[], theirs.history.loss as number[], 1e-4, 1e-6);
    const want = await Promise.all(tm.getWeights().map((w) => w.data()));
    (await values(m.getWeights())).forEach((w, i) => expectClose(w, want[i] as Float32Array, 1e-4, 1e-6));
  });
});

describe('webgrad → TensorFlow.js', () => {
  it('models nested either way: a Sequential and a functional model inside a functional one, and that inside a Sequential', async () => {
    const x = wg.input({ shape: [3] });
    const h = wg.layers.dense({ units: 4, activation: 'tanh' }).apply(x);
    const inner = wg.model({ inputs: x, outputs: wg.layers.add().apply([h, wg.layers.dense({ units: 4 }).apply(h)]) });
    const stack = wg.sequential({ name: 'innerStack', layers: [wg.layers.dense({ units: 4, inputShape: [4], activation: 'relu' }), wg.layers.dense({ units: 4 })] });
    const a = wg.input({ shape: [3] });
    const once = inner.apply(a);
    // The inner model called twice: its calls are nodes 1 and 2 in the file.
    const outer = wg.model({ inputs: a, outputs: wg.layers.concatenate().apply([stack.apply(once), inner.apply(wg.layers.dense({ units: 3 }).apply(once))]) });
    const top = wg.sequential({ layers: [outer, wg.layers.dense({ units: 2 })] });
    const artifacts = await top.save();
    // Layer names stay as they are where calls refer to them (TensorFlow.js's rule).
    expect(JSON.stringify(artifacts.modelTopology)).toContain('["innerStack",1,0,{}]');
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
  // A merge of one tensor is saved as one entry, and still read as a list.
  const h = wg.layers.add().apply([wg.layers.concatenate().apply([x]), attended, causal]);
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
    expect(topology).toContain('"class_name":"MultiHeadAttention","config":{"num_heads":2,"key_dim":3,"value_dim":2,"dropout":0,"use_bias":true,"output_shape":null,"attention_axes":null');
    expect(artifacts.weightSpecs!.map((s) => s.name).filter((n) => n.startsWith('mha/'))).toEqual([
      'mha/query/kernel', 'mha/query/bias', 'mha/key/kernel', 'mha/key/bias', 'mha/value/kernel', 'mha/value/bias', 'mha/attention_output/kernel', 'mha/attention_output/bias',
    ]);
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

    const before = await values(m.getWeights());
    for (const model of [m, copy]) model.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.01 }), loss: 'meanSquaredError' });
    const ours = await m.fit([ids, mask], y, { epochs: 3, batchSize: 3, shuffle: false, verbose: 0 });
    const theirs = await copy.fit([ids, mask], y, { epochs: 3, batchSize: 3, shuffle: false, verbose: 0 });
    expectClose(theirs.history.loss as number[], ours.history.loss as number[], 1e-5, 1e-6);
    const want = await values(m.getWeights());
    expect(want.some((w, i) => w.some((x, k) => x !== before[i][k]))).toBe(true);
    (await values(copy.getWeights())).forEach((w, i) => expectClose(w, want[i], 1e-5, 1e-6));
  });
});

/** A small saved graph with named layers: inputs a [3], b [2]; d1(a), d2(b), sum = add(d1, d2), out(sum). */
async function smallGraph(): Promise<wg.ModelArtifacts> {
  const a = wg.input({ shape: [3], name: 'a' });
  const b = wg.input({ shape: [2], name: 'b' });
  const sum = wg.layers.add({ name: 'sum' }).apply([wg.layers.dense({ units: 2, name: 'd1' }).apply(a), wg.layers.dense({ units: 2, name: 'd2' }).apply(b)]);
  const m = wg.model({ inputs: [a, b], outputs: wg.layers.dense({ units: 1, name: 'out' }).apply(sum), name: 'small' });
  const artifacts = await m.save();
  m.dispose();
  return artifacts;
}

type LayerJSON = { name: string; class_name: string; config: Record<string, unknown>; inbound_nodes: unknown[] };
type GraphJSON = { config: { layers: LayerJSON[]; input_layers?: unknown; output_layers?: unknown } };
const entry = (t: GraphJSON, name: string) => t.config.layers.find((l) => l.name === name)!;

describe('malformed graphs', () => {
  const cases: Array<[string, (t: GraphJSON) => void, RegExp]> = [
    ['an inbound layer that does not exist', (t) => (entry(t, 'sum').inbound_nodes = [[['d1', 0, 0, {}], ['nowhere', 0, 0, {}]]]), /layers\[4\] \(Add 'sum'\)\.inbound_nodes\[0\]: refers to layer 'nowhere'/],
    ['a call of a layer that the file does not list', (t) => (entry(t, 'out').inbound_nodes = [[['sum', 3, 0, {}]]]), /\(Dense 'out'\)\.inbound_nodes\[0\]: refers to call 3 of 'sum'/],
    ['an output index past the call\'s outputs', (t) => (entry(t, 'out').inbound_nodes = [[['sum', 0, 2, {}]]]), /refers to output 2 of \['sum', 0, 2\]/],
    ['a cycle', (t) => {
      entry(t, 'd1').inbound_nodes = [[['out', 0, 0, {}]]];
      entry(t, 'd1').config.units = 1;
    }, /the calls of 'd1', 'sum', 'out' wait on each other's outputs: the graph has a cycle/],
    ['no output_layers', (t) => delete t.config.output_layers, /config\.output_layers: must list the model's outputs/],
    ['an input that is no InputLayer', (t) => (t.config.input_layers = [['a', 0, 0], ['d2', 0, 0]]), /input_layers\[1\]: 'd2' is not an InputLayer/],
    ['a layer that leads to no output', (t) => (t.config.output_layers = [['sum', 0, 0]]), /\(Dense 'out'\): this layer leads to none of the model's outputs/],
    ['a call in neither form', (t) => (entry(t, 'd1').inbound_nodes = ['a']), /\(Dense 'd1'\)\.inbound_nodes\[0\]: must be a non-empty list/],
    ['a call argument webgrad does not know', (t) => (entry(t, 'd1').inbound_nodes = [[['a', 0, 0, { scale: 2 }]]]), /call argument 'scale' is not supported/],
    ['inputs whose shapes do not fit the layer', (t) => (entry(t, 'sum').inbound_nodes = [[['a', 0, 0, {}], ['d2', 0, 0, {}]]]), /layers\[4\] \(Add 'sum'\)\.inbound_nodes\[0\]: sum: input shapes \[-1,3\], \[-1,2\] do not broadcast/],
    ['an InputLayer without a shape', (t) => delete entry(t, 'b').config.batch_input_shape, /\(InputLayer 'b'\): an InputLayer needs batch_input_shape/],
  ];
  for (const [title, edit, message] of cases) {
    it(`${title}: a ModelFormatError naming the place, and nothing left on the GPU`, async () => {
      const good = await smallGraph();
      (await wg.loadModel(good)).dispose();
      const start = wg.memory().numTensors;
      const topology = clone(good.modelTopology) as GraphJSON;
      edit(topology);
      const error = await wg.loadModel({ ...good, modelTopology: topology }).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(wg.ModelFormatError);
      expect((error as Error).message).toMatch(message);
      expect(wg.memory().numTensors).toBe(start);
    });
  }
});

/** Keras 3's keras tensor: the output `index` of call `node` of layer `name`. */
const kt = (name: string, shape: Array<number | null>, node = 0, index = 0) => ({ class_name: '__keras_tensor__', config: { shape, dtype: 'float32', keras_history: [name, node, index] } });
const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };

describe("Keras's other ways of writing calls", () => {
  /** The same model in webgrad: attention of q over q under mask m, a residual add, a dense head. */
  function reference() {
    const q = wg.input({ shape: [4, 6], name: 'q' });
    const m = wg.input({ shape: [4, 4], name: 'm' });
    const attended = wg.layers.multiHeadAttention({ numHeads: 2, keyDim: 3, name: 'mha' }).apply([q, q], { attentionMask: m });
    return wg.model({ inputs: [q, m], outputs: wg.layers.dense({ units: 2, name: 'dense' }).apply(wg.layers.add({ name: 'add' }).apply([q, attended])), name: 'k' });
  }
  const input = (name: string, shape: Array<number | null>) => ({ module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: shape, dtype: 'float32', sparse: false, name }, registered_name: null, name, inbound_nodes: [] });
  const mhaConfig = { name: 'mha', trainable: true, dtype: policy, num_heads: 2, key_dim: 3, value_dim: 3, dropout: 0, use_bias: true, output_shape: null, attention_axes: null, kernel_initializer: { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null }, registered_name: null }, bias_initializer: { module: 'keras.initializers', class_name: 'Zeros', config: {}, registered_name: null }, kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null, seed: null };
  const denseConfig = { name: 'dense', trainable: true, dtype: policy, units: 2, activation: 'linear', use_bias: true, kernel_initializer: { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null }, registered_name: null }, bias_initializer: { module: 'keras.initializers', class_name: 'Zeros', config: {}, registered_name: null }, kernel_regularizer: null, bias_regularizer: null, kernel_constraint: null, bias_constraint: null };
  const layer = (class_name: string, config: object, inbound_nodes: unknown[]) => ({ module: 'keras.layers', class_name, config, registered_name: null, name: (config as { name: string }).name, inbound_nodes });

  const keras3 = {
    class_name: 'Functional',
    config: {
      name: 'k', trainable: true,
      layers: [
        input('q', [null, 4, 6]),
        input('m', [null, 4, 4]),
        layer('MultiHeadAttention', mhaConfig, [{ args: [kt('q', [null, 4, 6]), kt('q', [null, 4, 6])], kwargs: { attention_mask: kt('m', [null, 4, 4]), return_attention_scores: false, use_causal_mask: false } }]),
        layer('Add', { name: 'add', trainable: true, dtype: policy }, [{ args: [[kt('q', [null, 4, 6]), kt('mha', [null, 4, 6])]], kwargs: {} }]),
        layer('Dense', denseConfig, [{ args: [kt('add', [null, 4, 6])], kwargs: {} }]),
      ],
      input_layers: [['q', 0, 0], ['m', 0, 0]],
      output_layers: ['dense', 0, 0],
    },
  };
  // tf.keras 2 passes the attention's value (and mask) as keyword arguments of the query's entry.
  const keras2 = clone(keras3);
  keras2.config.layers[2].inbound_nodes = [[['q', 0, 0, { value: ['q', 0, 0], attention_mask: ['m', 0, 0] }]]] as never;
  keras2.config.layers[3].inbound_nodes = [[['q', 0, 0, {}], ['mha', 0, 0, {}]]] as never;
  keras2.config.layers[4].inbound_nodes = [[['add', 0, 0, {}]]] as never;

  for (const [title, topology] of [["Keras 3's { args, kwargs } with keras tensors", keras3], ["tf.keras 2's lists with the value and the mask as kwargs", keras2]] as const) {
    it(`${title}: the model loads and predicts as the same graph built in webgrad`, async () => {
      const want = reference();
      const saved = await want.save();
      const loaded = await wg.loadModel({ ...saved, modelTopology: topology });
      expect(loaded.weights.map((w) => w.name)).toEqual(want.weights.map((w) => w.name));
      const xs = [wg.tensor(randomArray(2 * 4 * 6, 61), [2, 4, 6]), wg.tensor(Array.from(randomArray(32, 62), (v, i) => (v > 0 || i % 5 === 0 ? 1 : 0)), [2, 4, 4])];
      expectClose(await (loaded.predict(xs) as wg.Tensor).data(), await (want.predict(xs) as wg.Tensor).data(), 0, 0);
    });
  }
});
