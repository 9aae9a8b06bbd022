// The fused batch-normalization kernels (channels last): statistics spread over many chunks of
// rows, large and ragged channel counts, |mean| ≫ σ, NaN and ±Infinity as TensorFlow.js's CPU
// backend gives them, and the dispatches each mode takes.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../src';
import { expectClose, randomArray, size } from './helpers';
import { secondDerivativeRowSums } from './tf_reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Float64 per-channel (last axis) batch mean and biased variance of x. */
function channelMoments(x: ArrayLike<number>, channels: number): { mean: Float64Array; variance: Float64Array } {
  const rows = x.length / channels;
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  for (let i = 0; i < x.length; i++) mean[i % channels] += x[i] / rows;
  for (let i = 0; i < x.length; i++) variance[i % channels] += (x[i] - mean[i % channels]) ** 2 / rows;
  return { mean, variance };
}

/**
 * A built layer over the last axis of `shape` with seeded gamma, beta and moving statistics (all
 * four drawn; those the layer lacks left out of its weights).
 */
function makeLayer(shape: number[], seed: number, args: wg.layers.BatchNormalizationArgs = {}) {
  const channels = shape[shape.length - 1];
  const weights = [randomArray(channels, seed, 0.5, 1.5), randomArray(channels, seed + 1, -0.5, 0.5), randomArray(channels, seed + 2, -0.3, 0.3), randomArray(channels, seed + 3, 0.5, 2)];
  const layer = wg.layers.batchNormalization({ momentum: 0.9, ...args });
  layer.build([null, ...shape.slice(1)]);
  const kept = [args.scale !== false, args.center !== false, true, true];
  layer.setWeights(weights.filter((_, i) => kept[i]).map((w) => wg.tensor(w, [channels])));
  return { layer, weights };
}

/** TensorFlow.js ops: training-mode batch normalization over every axis but the last. */
const tfTraining = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor => {
  const { mean, variance } = tf.moments(x, x.shape.map((_, i) => i).slice(0, -1), true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gamma), beta);
};

describe('fused batch normalization: many chunks of rows, many and ragged channels', () => {
  // [shape, what it exercises]; rows = N·H·W, chunks of ≥ 32 rows up to ~8192 invocations.
  const cases: Array<[number[], string, number]> = [
    [[8, 32, 32, 3], '8192 rows in 256 chunks, 3 channels', 0],
    [[200, 301], '301 channels (not a multiple of 4), 200 rows in chunks of 29 and a last of 26', 0],
    [[4, 4, 4, 1024], '1024 channels over 16 workgroups, 64 rows in 2 chunks', 0],
    [[3, 7, 5, 5], '105 rows in 4 chunks of 27 and a last of 24, 5 channels', 0],
    [[4, 30, 30, 2], 'mean 1000 ≫ σ, 113 chunks: the variance about the mean, not E[x²] − μ²', 1000],
  ];
  for (const [shape, name, offset] of cases) {
    it(`${name}: output, moving statistics and gradients against float64 and TensorFlow.js`, async () => {
      const channels = shape[shape.length - 1];
      const { layer, weights } = makeLayer(shape, 10);
      const x = randomArray(size(shape), 11, -1, 2).map((v, i) => v * (1 + (i % channels) % 3) + offset);
      const dy = randomArray(size(shape), 12);
      const xs = wg.tensor(x, shape);
      const tape = new wg.GradientTape();
      tape.watch(xs);
      const y = tape.record(() => layer.apply(xs, { training: true }) as wg.Tensor);
      const grads = tape.gradient(y, [xs, layer.gamma!, layer.beta!], wg.tensor(dy, shape));
      tape.dispose();

      const { mean, variance } = channelMoments(x, channels);
      const expected = Array.from(x, (v, i) => {
        const c = i % channels;
        return ((v - mean[c]) / Math.sqrt(variance[c] + 1e-3)) * weights[0][c] + weights[1][c];
      });
      expectClose(await y.data(), expected, 1e-4, offset ? 2e-3 : 1e-4);
      expectClose(await layer.movingMean!.data(), Array.from(mean, (m, c) => 0.9 * weights[2][c] + 0.1 * m), 1e-5, 1e-4);
      expectClose(await layer.movingVariance!.data(), Array.from(variance, (v, c) => 0.9 * weights[3][c] + 0.1 * v), 1e-4, 1e-4);

      const tfGrads = tf.tidy(() =>
        tf.grads((tx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tfTraining(tx, g, b, 1e-3))([tf.tensor(x, shape), tf.tensor(weights[0]), tf.tensor(weights[1])], tf.tensor(dy, shape))
          .map((g) => g.dataSync() as Float32Array),
      );
      // dx = (γ/σ)(dy − mean dy − x̂·mean(dy·x̂)) cancels; sums over thousands of rows round differently.
      const scale = Math.sqrt(size(shape) / channels);
      expectClose(await grads[0]!.data(), tfGrads[0], 2e-3, offset ? 5e-3 : 2e-4);
      expectClose(await grads[1]!.data(), tfGrads[1], 1e-3, 1e-4 * scale);
      expectClose(await grads[2]!.data(), tfGrads[2], 1e-3, 1e-4 * scale);
      layer.dispose();
    });
  }
});

describe('fused batch normalization in inference', () => {
  it('gradients with respect to x, gamma, beta and the watched moving statistics, as tf.grads of tf.batchNorm', async () => {
    const shape = [6, 5, 7];
    const { layer, weights } = makeLayer(shape, 50);
    const x = randomArray(size(shape), 51);
    const dy = randomArray(size(shape), 52);
    const xs = wg.tensor(x, shape);
    const tape = new wg.GradientTape();
    tape.watch([xs, layer.movingMean!, layer.movingVariance!]);
    const y = tape.record(() => layer.apply(xs) as wg.Tensor);
    const grads = tape.gradient(y, [xs, layer.movingMean!, layer.movingVariance!, layer.gamma!, layer.beta!], wg.tensor(dy, shape));
    tape.dispose();
    const tfGrads = tf.tidy(() =>
      tf.grads((tx: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.batchNorm(tx, m, v, b, g, 1e-3))(
        [tf.tensor(x, shape), ...[2, 3, 0, 1].map((i) => tf.tensor(weights[i]))],
        tf.tensor(dy, shape),
      ).map((g) => g.dataSync() as Float32Array),
    );
    for (let k = 0; k < 5; k++) expectClose(await grads[k]!.data(), tfGrads[k], 1e-4, 1e-5);
    layer.dispose();
  });

  it('second derivatives: y = a·x + b per channel, so f = Σ w·y² has ∂²f/∂xᵢ² = 2wᵢaᵢ² and no cross terms', async () => {
    const shape = [3, 4, 6];
    const { layer, weights } = makeLayer(shape, 60);
    const w = randomArray(72, 61);
    const f = (x: wg.Tensor): wg.Tensor => wg.sum(wg.mul(wg.square(layer.apply(x) as wg.Tensor), wg.tensor(w, shape)));
    const a = (c: number) => weights[0][c] / Math.sqrt(weights[3][c] + 1e-3);
    const expected = Array.from(w, (wi, i) => 2 * wi * a(i % 6) ** 2);
    expectClose(await secondDerivativeRowSums(f, randomArray(72, 62), shape), expected, 1e-4, 1e-5);
    layer.dispose();
  });
});

describe('fused batch normalization: NaN and ±Infinity as TensorFlow.js CPU', () => {
  it('a NaN or an infinity in a channel makes that channel NaN in training, the others untouched; inference keeps them elementwise', async () => {
    const shape = [6, 4];
    const x = Array.from(randomArray(24, 20));
    x[5] = NaN; // channel 1
    x[10] = Infinity; // channel 2
    x[15] = -Infinity; // channel 3
    const { layer, weights } = makeLayer(shape, 21);
    // Inference first: training then moves the moving statistics.
    const inference = await (layer.apply(wg.tensor(x, shape)) as wg.Tensor).data();
    const training = await (layer.apply(wg.tensor(x, shape), { training: true }) as wg.Tensor).data();
    const [g, b, mm, mv] = weights.map((w) => tf.tensor(w));
    const tfTrain = tf.tidy(() => tfTraining(tf.tensor(x, shape), g, b, 1e-3).dataSync());
    const tfInfer = tf.tidy(() => tf.batchNorm(tf.tensor(x, shape), mm, mv, b, g, 1e-3).dataSync());
    for (const [ours, theirs] of [[training, tfTrain], [inference, tfInfer]] as const) {
      expect(Array.from(ours, Number.isNaN)).toEqual(Array.from(theirs, Number.isNaN));
      expectClose(ours, theirs, 1e-5, 1e-5);
    }
    expect(Array.from(training, (v, i) => Number.isNaN(v) !== (i % 4 !== 0))).toEqual(Array(24).fill(false));
    expect(inference[10]).toBe(Infinity);
    expect(inference[15]).toBe(-Infinity);
    // Moving mean: NaN stays NaN, ±∞ stays ±∞; moving variance: NaN (∞ − ∞) in all three.
    const [movingMean, movingVariance] = [await layer.movingMean!.data(), await layer.movingVariance!.data()];
    expect([Number.isFinite(movingMean[0]), movingMean[1], movingMean[2], movingMean[3]]).toEqual([true, NaN, Infinity, -Infinity]);
    expect(Array.from(movingVariance, Number.isNaN)).toEqual([false, true, true, true]);
    layer.dispose();
  });
});

describe('fused batch normalization: dispatches', () => {
  const count = (fn: () => unknown): number => {
    const before = wg.memory().numDispatches;
    wg.tidy(() => {
      fn();
    });
    return wg.memory().numDispatches - before;
  };

  it('training forward 3 (statistics in two passes with the moving update, then the output), inference 1, backward 3 (1 for dx alone in inference)', async () => {
    const shape = [16, 14, 14, 8];
    const { layer } = makeLayer(shape, 30);
    const x = wg.tensor(randomArray(size(shape), 31), shape);
    const dy = wg.tensor(randomArray(size(shape), 32), shape);
    expect(count(() => layer.apply(x, { training: true }))).toBe(3);
    expect(count(() => layer.apply(x))).toBe(1);
    const tape = new wg.GradientTape();
    tape.watch(x);
    const y = tape.record(() => layer.apply(x, { training: true }) as wg.Tensor);
    expect(count(() => tape.gradient(y, [x, layer.gamma!, layer.beta!], dy))).toBe(3);
    tape.dispose();
    // A frozen layer (inference, gamma and beta not watched): dx = γ·r·dy alone, no sums.
    layer.trainable = false;
    const frozen = new wg.GradientTape({ persistent: true });
    frozen.watch(x);
    const z = frozen.record(() => layer.apply(x) as wg.Tensor);
    expect(count(() => frozen.gradient(z, [x], dy))).toBe(1);
    const [dx] = frozen.gradient(z, [x], dy);
    frozen.dispose();
    const [gamma, , , movingVariance] = await Promise.all(layer.weights.map((w) => w.data()));
    const dyValues = await dy.data();
    expectClose(await dx!.data(), Array.from(dyValues, (d, i) => (d * gamma[i % 8]) / Math.sqrt(movingVariance[i % 8] + 1e-3)), 1e-5, 1e-6);
    layer.dispose();
  });

  it('another axis, or no beta, keeps the composed path (more dispatches, the same values)', async () => {
    const shape = [5, 3];
    const x = randomArray(15, 40);
    const fused = makeLayer(shape, 41);
    const plain = makeLayer(shape, 41, { center: false });
    const fusedCount = count(() => fused.layer.apply(wg.tensor(x, shape), { training: true }));
    const plainCount = count(() => plain.layer.apply(wg.tensor(x, shape), { training: true }));
    expect(plainCount).toBeGreaterThan(fusedCount);
    const yFused = await (fused.layer.apply(wg.tensor(x, shape)) as wg.Tensor).data();
    const yPlain = await (plain.layer.apply(wg.tensor(x, shape)) as wg.Tensor).data();
    expectClose(yPlain, yFused.map((v, i) => v - fused.weights[1][i % 3]), 1e-5, 1e-5);
    expectClose(await plain.layer.movingMean!.data(), await fused.layer.movingMean!.data(), 1e-6, 1e-6);
    fused.layer.dispose();
    plain.layer.dispose();
  });
});
