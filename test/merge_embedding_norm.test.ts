import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../src';
import { composedRules } from '../src/autodiff/composed_rules';
import { layerNorm } from '../src/ops/layer_norm';
import type { TapeNode, VjpRule } from '../src/ops/primitive';
import { vjpRules } from '../src/ops/rules';
import { expectClose, randomArray } from './helpers';
import { expectLikeTf, input } from './tf_reference';

// The merge layers, Embedding and LayerNormalization against TensorFlow.js's CPU backend (its
// layers, or its ops where a weight's gradient is compared), forward and backward.

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('merge layers', () => {
  const cases = [
    ['add', () => wg.layers.add(), () => tf.layers.add()],
    ['multiply', () => wg.layers.multiply(), () => tf.layers.multiply()],
    ['average', () => wg.layers.average(), () => tf.layers.average()],
    ['concatenate', () => wg.layers.concatenate(), () => tf.layers.concatenate()],
    ['concatenate on axis 1', () => wg.layers.concatenate({ axis: 1 }), () => tf.layers.concatenate({ axis: 1 })],
  ] as const;
  for (const [name, ours, theirs] of cases) {
    it(`${name} of three inputs, forward and backward, as TensorFlow.js`, async () => {
      await expectLikeTf(
        (a, b, c) => ours().apply([a, b, c]),
        (a, b, c) => theirs().apply([a, b, c]) as tf.Tensor,
        [input([2, 3, 4], 1), input([2, 3, 4], 2), input([2, 3, 4], 3)],
      );
    });
  }

  it('add broadcasts as Keras 3 does; concatenate names mismatched shapes', async () => {
    const y = wg.layers.add().apply([wg.ones([2, 3]), wg.ones([1, 3])]);
    expect(await y.array()).toEqual([[2, 2, 2], [2, 2, 2]]);
    expect(() => wg.layers.concatenate().apply([wg.ones([2, 3]), wg.ones([3, 3])])).toThrow(wg.ShapeError);
    expect(() => wg.layers.add().apply(wg.ones([2, 3]))).toThrow(wg.InvalidArgumentError);
    expect(() => wg.layers.concatenate({ axes: 1 } as never)).toThrow(/axes.*axis/);
  });
});

describe('layers.embedding', () => {
  const [inputDim, outputDim] = [7, 5];
  const table = randomArray(inputDim * outputDim, 11);
  const ids = [[1, 3, 1, 6], [0, 1, 6, 6]]; // repeated ids: their gradients accumulate

  for (const dtype of ['float32', 'int32'] as const) {
    it(`rows at ${dtype} ids and a scatter-add gradient with repeated ids, as TensorFlow.js's gather`, async () => {
      const layer = wg.layers.embedding({ inputDim, outputDim });
      const x = wg.tensor(ids, undefined, dtype);
      layer.apply(x);
      expect(layer.weights.map((w) => w.shape)).toEqual([[inputDim, outputDim]]);
      layer.setWeights([wg.tensor(table, [inputDim, outputDim])]);
      const w = randomArray(2 * 4 * outputDim, 12);
      const tape = new wg.GradientTape();
      const loss = tape.record(() => wg.sum(wg.mul(layer.apply(x), wg.tensor(w, [2, 4, outputDim]))));
      const [grad] = tape.gradient(loss, layer.trainableWeights);

      const tt = tf.tensor2d(table, [inputDim, outputDim]);
      const tids = tf.tensor2d(ids, undefined, 'int32');
      const y = tf.gather(tt, tids);
      const tgrad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tids), tf.tensor3d(w, [2, 4, outputDim]))))(tt);
      const out = layer.apply(x);
      expect(out.shape).toEqual([2, 4, outputDim]);
      expectClose(await out.data(), await y.data());
      expectClose(await grad!.data(), await tgrad.data(), 1e-5, 1e-6);
      expectClose([await loss.data()].flatMap((d) => [...d]), await tf.sum(tf.mul(y, tf.tensor3d(w, [2, 4, outputDim]))).data(), 1e-5, 1e-5);
    });
  }

  it('penalizes its table in losses, checks inputLength and its options', async () => {
    const layer = wg.layers.embedding({ inputDim, outputDim, embeddingsRegularizer: wg.regularizers.l2(0.1), inputLength: 4 });
    layer.apply(wg.tensor(ids));
    layer.setWeights([wg.tensor(table, [inputDim, outputDim])]);
    const [penalty] = layer.losses;
    expectClose(await penalty.data(), [0.1 * Array.from(table).reduce((s, v) => s + v * v, 0)], 1e-5);
    expect(() => layer.apply(wg.tensor([[1, 2, 3]]))).toThrow(wg.ShapeError);
    expect(() => wg.layers.embedding({ inputDim: 0, outputDim })).toThrow(wg.InvalidArgumentError);
    expect(() => wg.layers.embedding({ inputDim, outputDim, inputDims: 3 } as never)).toThrow(/inputDims/);
  });
});

describe('layers.layerNormalization', () => {
  const shape = [3, 4, 6];
  for (const [title, axis] of [['the last axis', -1], ['axes [1, 2]', [1, 2]]] as const) {
    it(`normalizes over ${title} as TensorFlow.js's layer, forward and backward in x`, async () => {
      const paramShape = typeof axis === 'number' ? [6] : [4, 6];
      const n = paramShape.reduce((a, b) => a * b, 1);
      const gamma = randomArray(n, 21, 0.5, 1.5);
      const beta = randomArray(n, 22);
      const ours = wg.layers.layerNormalization({ axis: axis as number | number[] });
      ours.build([null, 4, 6]);
      ours.setWeights([wg.tensor(gamma, paramShape), wg.tensor(beta, paramShape)]);
      const theirs = tf.layers.layerNormalization({ axis: axis as number | number[] });
      theirs.build([null, 4, 6]);
      theirs.setWeights([tf.tensor(gamma, paramShape), tf.tensor(beta, paramShape)]);
      await expectLikeTf((x) => ours.apply(x), (x) => theirs.apply(x) as tf.Tensor, [input(shape, 23, -2, 2)], { rtol: 1e-4, atol: 1e-5 });
    });
  }

  it('gamma and beta, in that order, get the gradients of TensorFlow.js ops; their penalties count', async () => {
    const x = randomArray(3 * 4 * 6, 31, -2, 2);
    const w = randomArray(3 * 4 * 6, 32);
    const layer = wg.layers.layerNormalization({ epsilon: 1e-2, gammaRegularizer: wg.regularizers.l1(0.5), betaRegularizer: wg.regularizers.l2(0.25) });
    layer.build([null, 4, 6]);
    expect(layer.weights.map((v) => v.name)).toEqual([`${layer.name}/gamma`, `${layer.name}/beta`]);
    const gamma = randomArray(6, 33, 0.5, 1.5);
    const beta = randomArray(6, 34);
    layer.setWeights([wg.tensor(gamma), wg.tensor(beta)]);
    const tape = new wg.GradientTape();
    const loss = tape.record(() => wg.sum(wg.mul(layer.apply(wg.tensor(x, [3, 4, 6])), wg.tensor(w, [3, 4, 6]))));
    const [dg, db] = tape.gradient(loss, layer.trainableWeights);
    const tx = tf.tensor3d(x, [3, 4, 6]);
    const [tg, tb] = tf.grads((g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(tx, -1, true);
      return tf.sum(tf.mul(tf.add(tf.mul(tf.mul(tf.sub(tx, mean), tf.rsqrt(tf.add(variance, 1e-2))), g), b), tf.tensor3d(w, [3, 4, 6])));
    })([tf.tensor1d(gamma), tf.tensor1d(beta)]);
    expectClose(await dg!.data(), await tg.data(), 1e-4, 1e-5);
    expectClose(await db!.data(), await tb.data(), 1e-4, 1e-5);
    const penalties = await Promise.all(layer.losses.map((t) => t.data()));
    expectClose(penalties.map((p) => p[0]), [0.5 * gamma.reduce((s, v) => s + Math.abs(v), 0), 0.25 * beta.reduce((s, v) => s + v * v, 0)], 1e-5);
  });

  it('the last axis runs one fused dispatch, exact against float64 even where |mean| ≫ spread', async () => {
    const [rows, len] = [5, 12];
    // Rows around 1000 with a spread of 0.01: E[x²] − μ² would lose every digit in float32.
    const x = Float32Array.from(randomArray(rows * len, 41, -0.01, 0.01), (v, i) => v + 1000 * (1 + (i % 3)));
    const gamma = randomArray(len, 42, 0.5, 1.5);
    const beta = randomArray(len, 43);
    const layer = wg.layers.layerNormalization({ epsilon: 1e-6 });
    layer.build([null, len]);
    layer.setWeights([wg.tensor(gamma), wg.tensor(beta)]);
    const xt = wg.tensor(x, [rows, len]);
    await wg.sync();
    const before = wg.memory().numDispatches;
    const y = layer.apply(xt);
    expect(wg.memory().numDispatches - before).toBe(1);
    const expected: number[] = [];
    for (let r = 0; r < rows; r++) {
      const row = Array.from(x.subarray(r * len, (r + 1) * len), Number);
      const mu = row.reduce((a, v) => a + v, 0) / len;
      const sd = Math.sqrt(row.reduce((a, v) => a + (v - mu) ** 2, 0) / len + 1e-6);
      row.forEach((v, j) => expected.push(((v - mu) / sd) * gamma[j] + beta[j]));
    }
    // float32 inputs near 1000 carry an absolute error of ~3e-5 against a spread of ~6e-3.
    expectClose(await y.data(), expected, 1e-2, 1e-2);
  });

  it("the fused VJP and the one made of recorded ops (for gradients of gradients) agree", async () => {
    const x = wg.tensor(randomArray(4 * 3 * 8, 44, -2, 2), [4, 3, 8]);
    const gamma = wg.tensor(randomArray(8, 45, 0.5, 1.5));
    const beta = wg.tensor(randomArray(8, 46));
    const ct = wg.tensor(randomArray(4 * 3 * 8, 47), [4, 3, 8]);
    const y = layerNorm(x, gamma, beta, 1e-3);
    const node: TapeNode<'layerNorm'> = { prim: 'layerNorm', params: { epsilon: 1e-3 }, inputs: [x, gamma, beta], output: y, needs: [true, true, true] };
    const fused = (vjpRules.layerNorm as VjpRule<'layerNorm'>)(ct, node);
    const composed = (composedRules.layerNorm as VjpRule<'layerNorm'>)(ct, node);
    for (const k of [0, 1, 2]) {
      expect(fused[k]!.shape).toEqual(node.inputs[k].shape);
      expectClose(await fused[k]!.data(), await composed[k]!.data(), 1e-4, 1e-5);
    }
    expect(() => layerNorm(x, wg.ones([7]), beta, 1e-3)).toThrow(wg.ShapeError);
    expect(() => layerNorm(x, gamma, beta, 0)).toThrow(wg.InvalidArgumentError);
  });

  it('center and scale false make no weights; bad axes and options are typed errors', async () => {
    const layer = wg.layers.layerNormalization({ center: false, scale: false });
    const y = layer.apply(wg.tensor([[1, 2, 3]]));
    expect(layer.weights).toEqual([]);
    const m = 2;
    const sd = Math.sqrt(2 / 3 + 1e-3);
    expectClose(await y.data(), [(1 - m) / sd, 0, (3 - m) / sd], 1e-5);
    expect(() => wg.layers.layerNormalization({ axis: 0 }).apply(wg.ones([2, 3]))).toThrow(wg.ShapeError);
    expect(() => wg.layers.layerNormalization({ epsilon: -1 })).toThrow(wg.InvalidArgumentError);
    expect(() => wg.layers.layerNormalization({ axes: 1 } as never)).toThrow(/axes/);
  });
});
