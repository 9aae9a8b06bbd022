import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../src';
import { expectClose, randomArray } from './helpers';
import { expectLikeTf, input } from './tf_reference';

// MultiHeadAttention against Keras 3's formula written in TensorFlow.js ops (its CPU backend):
// the projections as einsums over [features, heads, size] kernels, softmax(QKᵀ/√keyDim) with
// masks, the output projection; forward, and gradients for the inputs and every weight.

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const [B, T, S, DQ, DV, H, K, V] = [2, 3, 4, 5, 6, 2, 3, 4];

/** Keras 3's MultiHeadAttention call in TF.js ops, weights in Keras's order. */
function kerasMha(q: tf.Tensor, v: tf.Tensor, k: tf.Tensor, w: tf.Tensor[], mask: tf.Tensor | null): tf.Tensor {
  const project = (x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor) => {
    const [d, h, size] = kernel.shape;
    const y = tf.add(tf.matMul(tf.reshape(x, [-1, d]), tf.reshape(kernel, [d, h * size])), tf.reshape(bias, [h * size]));
    return tf.transpose(tf.reshape(y, [x.shape[0], x.shape[1]!, h, size]), [0, 2, 1, 3]);
  };
  const qh = tf.mul(project(q, w[0], w[1]), 1 / Math.sqrt(K)); // Keras scales the query
  const kh = project(k, w[2], w[3]);
  const vh = project(v, w[4], w[5]);
  let scores = tf.matMul(qh, kh, false, true);
  if (mask) scores = tf.add(scores, tf.mul(tf.sub(1, tf.expandDims(mask, 1)), -1e9)); // Keras's Softmax with a mask
  const attn = tf.softmax(scores);
  const heads = tf.transpose(tf.matMul(attn, vh), [0, 2, 1, 3]);
  return tf.add(tf.matMul(tf.reshape(heads, [-1, H * V]), tf.reshape(w[6], [H * V, DQ])), w[7]).reshape([q.shape[0], q.shape[1]!, DQ]);
}

function causal(): number[][][] {
  return Array.from({ length: B }, () => Array.from({ length: T }, (_, i) => Array.from({ length: S }, (_, j) => (i >= j ? 1 : 0))));
}

describe('layers.multiHeadAttention', () => {
  const shapes = [[DQ, H, K], [H, K], [DV, H, K], [H, K], [DV, H, V], [H, V], [H, V, DQ], [DQ]];
  const weights = shapes.map((s, i) => randomArray(s.reduce((a, b) => a * b, 1), 70 + i, -0.6, 0.6));
  const padding = Array.from({ length: B }, (_, b) => Array.from({ length: T }, () => Array.from({ length: S }, (_, j) => (j < S - b ? 1 : 0))));

  function layer(): wg.layers.MultiHeadAttention {
    const mha = wg.layers.multiHeadAttention({ numHeads: H, keyDim: K, valueDim: V });
    mha.build([[null, T, DQ], [null, S, DV]]);
    mha.setWeights(weights.map((w, i) => wg.tensor(w, shapes[i])));
    return mha;
  }

  it("has Keras 3's weights, names, shapes and order", () => {
    const mha = layer();
    const n = mha.name;
    expect(mha.weights.map((w) => w.name)).toEqual(['query/kernel', 'query/bias', 'key/kernel', 'key/bias', 'value/kernel', 'value/bias', 'attention_output/kernel', 'attention_output/bias'].map((s) => `${n}/${s}`));
    expect(mha.weights.map((w) => w.shape)).toEqual(shapes);
  });

  for (const [title, mask, causalMask] of [['no mask', null, false], ['an attention mask', padding, false], ['the causal mask', null, true], ['both masks', padding, true]] as const) {
    it(`with ${title}: forward and input gradients as Keras's formula`, async () => {
      const mha = layer();
      const combined = causalMask ? (mask ?? causal()).map((m, b) => m.map((row, i) => row.map((v, j) => v * causal()[b][i][j]))) : mask;
      await expectLikeTf(
        (q, v) => mha.apply([q, v], { attentionMask: mask ? wg.tensor(mask) : undefined, useCausalMask: causalMask }),
        (q, v) => kerasMha(q, v, v, weights.map((w, i) => tf.tensor(w, shapes[i])), combined ? tf.tensor3d(combined) : null),
        [input([B, T, DQ], 81), input([B, S, DV], 82)],
        { rtol: 1e-4, atol: 1e-5 },
      );
    });
  }

  it('a separate key and every weight get the gradients of the formula', async () => {
    const mha = layer();
    const [q, v, k] = [randomArray(B * T * DQ, 91), randomArray(B * S * DV, 92), randomArray(B * S * DV, 93)];
    const seed = randomArray(B * T * DQ, 94);
    const tape = new wg.GradientTape();
    const loss = tape.record(() => wg.sum(wg.mul(mha.apply([wg.tensor(q, [B, T, DQ]), wg.tensor(v, [B, S, DV]), wg.tensor(k, [B, S, DV])]), wg.tensor(seed, [B, T, DQ]))));
    const grads = tape.gradient(loss, mha.trainableWeights);
    const tq = tf.tensor3d(q, [B, T, DQ]);
    const tv = tf.tensor3d(v, [B, S, DV]);
    const tk = tf.tensor3d(k, [B, S, DV]);
    const want = tf.grads((...w: tf.Tensor[]) => tf.sum(tf.mul(kerasMha(tq, tv, tk, w, null), tf.tensor3d(seed, [B, T, DQ]))))(weights.map((w, i) => tf.tensor(w, shapes[i])));
    for (let i = 0; i < 8; i++) expectClose(await grads[i]!.data(), (await want[i].data()) as Float32Array, 1e-4, 1e-5);
  });

  it('in a functional model with useCausalMask: later positions do not change earlier outputs', async () => {
    const x = wg.input({ shape: [T, DQ] });
    const mha = wg.layers.multiHeadAttention({ numHeads: H, keyDim: K });
    const m = wg.model({ inputs: x, outputs: mha.apply([x, x], { useCausalMask: true }) });
    const a = randomArray(T * DQ, 95);
    const b = Float32Array.from(a, (v, i) => (i >= (T - 1) * DQ ? v + 1 : v)); // the last position differs
    const ya = await m.predict(wg.tensor(a, [1, T, DQ])).data();
    const yb = await m.predict(wg.tensor(b, [1, T, DQ])).data();
    expectClose(ya.slice(0, (T - 1) * DQ), yb.slice(0, (T - 1) * DQ), 1e-5, 1e-6);
    expect(Math.abs(ya[ya.length - 1] - yb[yb.length - 1])).toBeGreaterThan(1e-4);
  });

  it('bad inputs and options are typed errors', () => {
    const mha = layer();
    expect(() => mha.apply(wg.ones([B, T, DQ]))).toThrow(wg.InvalidArgumentError);
    expect(() => mha.apply([wg.ones([B, T, DQ + 1]), wg.ones([B, S, DV])])).toThrow(wg.ShapeError);
    expect(() => mha.apply([wg.ones([B, T, DQ]), wg.ones([B, S, DV])], { attentionMask: wg.ones([B, S, T]) })).toThrow(wg.ShapeError);
    expect(() => wg.layers.multiHeadAttention({ numHeads: 2, keyDim: 0 })).toThrow(wg.InvalidArgumentError);
    expect(() => wg.layers.multiHeadAttention({ numHeads: 2, keyDim: 2, keyDims: 3 } as never)).toThrow(/keyDims/);
  });
});

describe('attention masks in functional models', () => {
  const shapes = [[DQ, H, K], [H, K], [DV, H, K], [H, K], [DV, H, V], [H, V], [H, V, DQ], [DQ]];
  const weights = shapes.map((s, i) => randomArray(s.reduce((a, b) => a * b, 1), 170 + i, -0.6, 0.6));
  const bits = (seed: number) => Array.from(randomArray(B * T * S, seed), (v, n) => (v > -0.3 || n % S === 0 ? 1 : 0));
  const [q, v] = [randomArray(B * T * DQ, 181), randomArray(B * S * DV, 182)];

  it('a mask input is one of the model\'s inputs in predict, as in the formula; a mask of ones is no mask', async () => {
    const [query, value, mask] = [wg.input({ shape: [T, DQ] }), wg.input({ shape: [S, DV] }), wg.input({ shape: [T, S] })];
    const mha = wg.layers.multiHeadAttention({ numHeads: H, keyDim: K, valueDim: V });
    const m = wg.model({ inputs: [query, value, mask], outputs: mha.apply([query, value], { attentionMask: mask }) });
    mha.setWeights(weights.map((w, i) => wg.tensor(w, shapes[i])));
    const maskValues = bits(183);
    const ours = m.predict([wg.tensor(q, [B, T, DQ]), wg.tensor(v, [B, S, DV]), wg.tensor(maskValues, [B, T, S])]) as wg.Tensor;
    const tv = tf.tensor3d(v, [B, S, DV]);
    const want = kerasMha(tf.tensor3d(q, [B, T, DQ]), tv, tv, weights.map((w, i) => tf.tensor(w, shapes[i])), tf.tensor3d(maskValues, [B, T, S]));
    expectClose(await ours.data(), (await want.data()) as Float32Array, 1e-4, 1e-5);
    const unmasked = m.predict([wg.tensor(q, [B, T, DQ]), wg.tensor(v, [B, S, DV]), wg.ones([B, T, S])]) as wg.Tensor;
    const plain = kerasMha(tf.tensor3d(q, [B, T, DQ]), tv, tv, weights.map((w, i) => tf.tensor(w, shapes[i])), null);
    expectClose(await unmasked.data(), (await plain.data()) as Float32Array, 1e-4, 1e-5);
  });

  it('a mask computed from two inputs, with useCausalMask: predict and one SGD step of fit as the formula', async () => {
    const [query, value] = [wg.input({ shape: [T, DQ] }), wg.input({ shape: [S, DV] })];
    const [keep, allow] = [wg.input({ shape: [T, S] }), wg.input({ shape: [T, S] })];
    const mha = wg.layers.multiHeadAttention({ numHeads: H, keyDim: K, valueDim: V });
    const mask = wg.layers.multiply().apply([keep, allow]);
    const m = wg.model({ inputs: [query, value, keep, allow], outputs: mha.apply([query, value], { attentionMask: mask, useCausalMask: true }) });
    mha.setWeights(weights.map((w, i) => wg.tensor(w, shapes[i])));
    const [a, b] = [bits(184), bits(185)];
    const y = randomArray(B * T * DQ, 186);
    const xs = () => [wg.tensor(q, [B, T, DQ]), wg.tensor(v, [B, S, DV]), wg.tensor(a, [B, T, S]), wg.tensor(b, [B, T, S])];
    const combined = tf.mul(tf.mul(tf.tensor3d(a, [B, T, S]), tf.tensor3d(b, [B, T, S])), tf.tensor3d(causal()));
    const tq = tf.tensor3d(q, [B, T, DQ]);
    const tv = tf.tensor3d(v, [B, S, DV]);
    const formula = (w: tf.Tensor[]) => kerasMha(tq, tv, tv, w, combined);
    const tw = weights.map((w, i) => tf.tensor(w, shapes[i]));
    expectClose(await (m.predict(xs()) as wg.Tensor).data(), (await formula(tw).data()) as Float32Array, 1e-4, 1e-5);

    const lr = 0.1;
    m.compile({ optimizer: wg.optimizers.sgd({ learningRate: lr }), loss: 'meanSquaredError' });
    await m.fit(xs(), wg.tensor(y, [B, T, DQ]), { epochs: 1, batchSize: B, shuffle: false, verbose: 0 });
    const grads = tf.grads((...w: tf.Tensor[]) => tf.mean(tf.square(tf.sub(formula(w), tf.tensor3d(y, [B, T, DQ])))))(tw);
    const updated = await Promise.all(mha.getWeights().map((t) => t.data()));
    for (let i = 0; i < 8; i++) {
      const want = (await tf.sub(tw[i], tf.mul(grads[i], lr)).data()) as Float32Array;
      expectClose(updated[i], want, 1e-4, 1e-5);
    }
  });

  it('a symbolic mask of the wrong shape is a ShapeError, and a mask with data an InvalidArgumentError, when the graph is made', () => {
    const [query, value] = [wg.input({ shape: [T, DQ] }), wg.input({ shape: [S, DV] })];
    const mha = wg.layers.multiHeadAttention({ numHeads: H, keyDim: K });
    expect(() => mha.apply([query, value], { attentionMask: wg.input({ shape: [S, T] }) })).toThrow(wg.ShapeError);
    expect(() => mha.apply([query, value], { attentionMask: wg.input({ shape: [T] }) })).toThrow(/attentionMask must be \[batch, queries, keys\]/);
    expect(() => mha.apply([query, value], { attentionMask: wg.ones([1, T, S]) })).toThrow(wg.InvalidArgumentError);
    const mask = wg.input({ shape: [T, S] });
    const out = mha.apply([query, value], { attentionMask: mask });
    // A mask that is no model input and made from none: the model cannot run.
    expect(() => wg.model({ inputs: [query, value], outputs: out })).toThrow(/not among the model's inputs/);
  });
});

describe("attention's transposes", () => {
  it('[batch, sequence, heads, size] ↔ [batch, heads, sequence, size] move vec4s, as plain index arithmetic says', async () => {
    const shape = [3, 5, 2, 8];
    const x = randomArray(3 * 5 * 2 * 8, 51);
    const y = await wg.transpose(wg.tensor(x, shape), [0, 2, 1, 3]).data();
    const expected: number[] = [];
    for (let b = 0; b < 3; b++) for (let h = 0; h < 2; h++) for (let t = 0; t < 5; t++) for (let k = 0; k < 8; k++) expected.push(x[((b * 5 + t) * 2 + h) * 8 + k]);
    expect(Array.from(y)).toEqual(expected);
    // A last axis of 6 is no multiple of 4, and a broadcast: both through the float path.
    const z = await wg.transpose(wg.tensor(x.subarray(0, 60), [2, 5, 6]), [1, 0, 2]).data();
    expect(Array.from(z.subarray(0, 12))).toEqual([...x.subarray(0, 6), ...x.subarray(30, 36)]);
    const w = await wg.broadcastTo(wg.tensor(x.subarray(0, 8), [1, 8]), [3, 8]).data();
    expect(Array.from(w)).toEqual([0, 1, 2].flatMap(() => Array.from(x.subarray(0, 8))));
  });
});

describe('a transformer block as a functional model', () => {
  it('embedding, causal self-attention, residual adds and layer norms learn to predict the next id with fit', async () => {
    const [vocab, context, width] = [5, 6, 8];
    const ids = wg.input({ shape: [context], dtype: 'int32' });
    const x = wg.layers.embedding({ inputDim: vocab, outputDim: width }).apply(ids);
    const attended = wg.layers.multiHeadAttention({ numHeads: 2, keyDim: 4 }).apply([x, x], { useCausalMask: true });
    const h = wg.layers.layerNormalization().apply(wg.layers.add().apply([x, attended]));
    const ff = wg.layers.dense({ units: width }).apply(wg.layers.dense({ units: 16, activation: 'relu' }).apply(h));
    const logits = wg.layers.dense({ units: vocab }).apply(wg.layers.layerNormalization().apply(wg.layers.add().apply([h, ff])));
    const m = wg.model({ inputs: ids, outputs: logits });
    m.compile({ optimizer: wg.optimizers.adam({ learningRate: 0.03 }), loss: (y, p) => wg.losses.sparseCategoricalCrossentropy(y, p, { fromLogits: true }) });
    // Sequences counting up mod vocab: the next id is the current one plus 1.
    const starts = Array.from({ length: 16 }, (_, i) => i % vocab);
    const seq = (s: number, shift: number) => Array.from({ length: context }, (_, t) => (s + t + shift) % vocab);
    const xs = wg.tensor(starts.map((s) => seq(s, 0)), undefined, 'int32');
    const ys = wg.tensor(starts.map((s) => seq(s, 1)));
    const history = await m.fit(xs, ys, { epochs: 15, batchSize: 8, verbose: 0, seed: 1 });
    const loss = history.history.loss;
    expect(loss[0]).toBeGreaterThan(1);
    expect(loss[loss.length - 1]).toBeLessThan(0.3 * loss[0]);
  });
});
