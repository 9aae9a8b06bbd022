import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../src';
import { checkGradients, expectClose, randomArray } from './helpers';

// pow, rsqrt, clipByValue and where: values against TensorFlow.js's CPU backend, gradients
// against its gradients and against central finite differences.

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const shape = [3, 7];
const n = 21;

/** TensorFlow.js's value and gradients of Σ w·f(inputs), as flat arrays. */
async function tfReference(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: Array<{ values: Float32Array; shape: number[] }>, w: Float32Array) {
  const xs = inputs.map((i) => tf.tensor(i.values, i.shape));
  const y = f(...xs);
  const value = await y.data();
  const grads = tf.grads((...ts: tf.Tensor[]) => tf.sum(tf.mul(f(...ts), tf.tensor(w, y.shape))))(xs);
  const out = { value: Float32Array.from(value), grads: await Promise.all(grads.map(async (g) => Float32Array.from(await g.data()))) };
  tf.dispose([...xs, y, ...grads]);
  return out;
}

/** webgrad's value and tape gradients of Σ w·f(inputs). */
async function webgradResult(f: (...xs: wg.Tensor[]) => wg.Tensor, inputs: Array<{ values: Float32Array; shape: number[] }>, w: Float32Array) {
  const xs = inputs.map((i) => wg.tensor(i.values, i.shape));
  const y = f(...xs);
  const tape = new wg.GradientTape();
  tape.watch(xs);
  const loss = tape.record(() => wg.sum(wg.mul(f(...xs), wg.tensor(w, y.shape as number[]))));
  const grads = tape.gradient(loss, xs);
  const out = { value: await y.data(), grads: await Promise.all(grads.map((g) => g!.data())) };
  for (const t of [...xs, y, loss, ...grads]) t?.dispose();
  return out;
}

describe('pow', () => {
  it('matches TensorFlow.js in value and both gradients (positive base, any exponent)', async () => {
    const a = { values: randomArray(n, 1, 0.2, 3), shape };
    const b = { values: randomArray(n, 2, -2, 3), shape };
    const w = randomArray(n, 3);
    const ref = await tfReference((x, y) => tf.pow(x, y), [a, b], w);
    const got = await webgradResult((x, y) => wg.pow(x, y), [a, b], w);
    expectClose(got.value, ref.value, 1e-5, 1e-6);
    expectClose(got.grads[0], ref.grads[0], 1e-4, 1e-5);
    expectClose(got.grads[1], ref.grads[1], 1e-4, 1e-5);
  });

  it('a negative base takes integer exponents with their parity; other exponents give NaN; x⁰ = 1', async () => {
    const a = wg.tensor([-2, -2, -2, -2, 0, 0, 3, -1.5]);
    const b = wg.tensor([3, 2, -1, 0.5, 0, 2, 0, 2]);
    const got = Array.from(await wg.pow(a, b).data());
    expectClose(got.slice(0, 3), [-8, 4, -0.5]);
    expect(Number.isNaN(got[3])).toBe(true);
    expectClose(got.slice(4), [1, 0, 1, 2.25]);
  });

  it('broadcasts a row of exponents, and takes a JS number as either operand', async () => {
    const a = wg.tensor([[1, 2, 3], [4, 5, 6]]);
    expectClose(await wg.pow(a, wg.tensor([2, 1, 0])).data(), [1, 2, 1, 16, 5, 1]);
    expectClose(await wg.pow(a, 2).data(), [1, 4, 9, 16, 25, 36]);
    expectClose(await wg.pow(2, a).data(), [2, 4, 8, 16, 32, 64]);
  });

  it('gradients agree with finite differences', async () => {
    await checkGradients((x, y) => wg.sum(wg.pow(x, y)), [randomArray(n, 4, 0.5, 2), randomArray(n, 5, -1, 2)], [shape, shape]);
  });
});

describe('rsqrt', () => {
  it('matches TensorFlow.js in value and gradient', async () => {
    const x = { values: randomArray(n, 6, 0.1, 5), shape };
    const w = randomArray(n, 7);
    const ref = await tfReference((t) => tf.rsqrt(t), [x], w);
    const got = await webgradResult((t) => wg.rsqrt(t), [x], w);
    expectClose(got.value, ref.value, 1e-5, 1e-6);
    expectClose(got.grads[0], ref.grads[0], 1e-4, 1e-5);
  });

  it('1/√0 is +Infinity and 1/√−1 is NaN', async () => {
    const got = await wg.rsqrt(wg.tensor([0, -1, 4])).data();
    expect(got[0]).toBe(Infinity);
    expect(Number.isNaN(got[1])).toBe(true);
    expect(got[2]).toBeCloseTo(0.5, 6);
  });
});

describe('clipByValue', () => {
  it('matches TensorFlow.js in value and gradient, including values on the bounds', async () => {
    const values = randomArray(n, 8, -2, 2);
    values.set([-0.5, 0.75], 0); // exactly on the bounds: TensorFlow passes the gradient there
    const x = { values, shape };
    const w = randomArray(n, 9);
    const ref = await tfReference((t) => tf.clipByValue(t, -0.5, 0.75), [x], w);
    const got = await webgradResult((t) => wg.clipByValue(t, -0.5, 0.75), [x], w);
    expectClose(got.value, ref.value);
    expectClose(got.grads[0], ref.grads[0]);
  });

  it('refuses bounds out of order or not numbers, before any GPU work', () => {
    const x = wg.tensor([1, 2]);
    const before = wg.memory().numDispatches;
    expect(() => wg.clipByValue(x, 1, 0)).toThrow(wg.InvalidArgumentError);
    expect(() => wg.clipByValue(x, Number.NaN, 1)).toThrow(wg.InvalidArgumentError);
    expect(wg.memory().numDispatches).toBe(before);
    x.dispose();
  });
});

describe('where', () => {
  it('matches TensorFlow.js with a broadcast condition: values and the gradients of both branches', async () => {
    const condValues = Float32Array.from(randomArray(7, 10), (v) => (v > 0 ? 1 : 0));
    const a = { values: randomArray(n, 11), shape };
    const b = { values: randomArray(n, 12), shape };
    const w = randomArray(n, 13);
    const condTf = tf.tensor(condValues, [1, 7], 'bool');
    const ref = await tfReference((x, y) => tf.where(tf.broadcastTo(condTf, shape) as tf.Tensor, x, y), [a, b], w);
    condTf.dispose();
    const cond = wg.tensor(condValues, [1, 7]);
    const got = await webgradResult((x, y) => wg.where(cond, x, y), [a, b], w);
    cond.dispose();
    expectClose(got.value, ref.value);
    expectClose(got.grads[0], ref.grads[0]);
    expectClose(got.grads[1], ref.grads[1]);
  });

  it('takes a comparison as the condition and numbers as branches; the unchosen NaN does not leak', async () => {
    const x = wg.tensor([-1, 0, 2, 5]);
    expectClose(await wg.where(wg.greater(x, 0), x, 0).data(), [0, 0, 2, 5]);
    const safeLog = wg.where(wg.greater(x, 0), wg.log(x), 0);
    expectClose(await safeLog.data(), [0, 0, Math.log(2), Math.log(5)]);
  });

  it('gradients reach a broadcast branch summed to its shape', async () => {
    // The condition stays fixed (a perturbed 0 would turn true); only the branches move.
    const cond = wg.tensor(Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0)), shape);
    const w = randomArray(n, 14);
    await checkGradients((a, b) => wg.sum(wg.mul(wg.where(cond, a, b), wg.tensor(w, shape))), [randomArray(7, 15), randomArray(n, 16)], [[7], shape]);
    cond.dispose();
  });

  it('shapes that do not broadcast are a ShapeError before any GPU work', () => {
    const a = wg.tensor([1, 2, 3]);
    const b = wg.tensor([1, 2]);
    const before = wg.memory().numDispatches;
    expect(() => wg.where(a, a, b)).toThrow(wg.ShapeError);
    expect(wg.memory().numDispatches).toBe(before);
    a.dispose();
    b.dispose();
  });
});

describe('dtype', () => {
  it('int32 tensors hold integers, read back as Int32Array, and are refused by float32 kernels with a typed error', async () => {
    const ids = wg.tensor([1, -2, 3], [3], 'int32');
    expect(ids.dtype).toBe('int32');
    const back = await ids.data();
    expect(back).toBeInstanceOf(Int32Array);
    expect(Array.from(back)).toEqual([1, -2, 3]);
    expect(wg.tensor(new Int32Array([4, 5])).dtype).toBe('int32');
    expect(ids.reshape([3, 1]).dtype).toBe('int32');
    expect(() => wg.relu(ids)).toThrow(wg.InvalidArgumentError);
    expect(() => wg.tensor([1.5], [1], 'int32')).toThrow(wg.InvalidArgumentError);
    ids.dispose();
  });
});
