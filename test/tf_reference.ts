import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import * as wg from '../src';
import { expectClose, randomArray, size } from './helpers';

/** TensorFlow.js's artifacts of a model, as its save writes them. */
export async function tfArtifacts(model: tf.LayersModel): Promise<wg.ModelArtifacts> {
  let saved: wg.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a as wg.ModelArtifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return saved!;
}

/** An input given to both engines: float32 values and a shape. */
export interface Input {
  values: Float32Array;
  shape: number[];
}

export const input = (shape: number[], seed: number, lo = -1, hi = 1): Input => ({ values: randomArray(size(shape), seed, lo, hi), shape });

/**
 * Runs f in webgrad and g in TensorFlow.js (CPU backend) on the same inputs and checks that the
 * outputs agree in shape and value, and that the gradients of Σ w·f (w random, of the output's
 * shape) with respect to the inputs listed in `differentiate` (default: all) agree too.
 */
export async function expectLikeTf(
  f: (...xs: wg.Tensor[]) => wg.Tensor,
  g: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: Input[],
  opts: { rtol?: number; atol?: number; seed?: number; differentiate?: number[] } = {},
): Promise<void> {
  const { rtol = 1e-5, atol = 1e-6, seed = 99, differentiate = inputs.map((_, i) => i) } = opts;
  await tf.setBackend('cpu');
  const txs = inputs.map((i) => tf.tensor(i.values, i.shape));
  const ty = g(...txs);
  const w = randomArray(ty.size, seed);
  const tfGrads = differentiate.length
    ? tf.grads((...ts: tf.Tensor[]) => {
      const all = [...txs];
      differentiate.forEach((i, k) => (all[i] = ts[k]));
      return tf.sum(tf.mul(g(...all), tf.tensor(w, ty.shape)));
    })(differentiate.map((i) => txs[i]))
    : [];
  const tfValue = await ty.data();
  const tfGradValues = await Promise.all(tfGrads.map((t) => t.data()));

  const xs = inputs.map((i) => wg.tensor(i.values, i.shape));
  const y = f(...xs);
  expect(y.shape).toEqual(ty.shape);
  expectClose(await y.data(), tfValue, rtol, atol);
  if (differentiate.length) {
    const tape = new wg.GradientTape();
    const sources = differentiate.map((i) => xs[i]);
    tape.watch(sources);
    const loss = tape.record(() => wg.sum(wg.mul(f(...xs), wg.tensor(w, y.shape as number[]))));
    const grads = tape.gradient(loss, sources);
    for (let k = 0; k < grads.length; k++) {
      expect(grads[k], `gradient ${k}`).not.toBeNull();
      expect(grads[k]!.shape).toEqual(inputs[differentiate[k]].shape);
      expectClose(await grads[k]!.data(), tfGradValues[k], rtol * 10, atol * 10);
    }
    for (const t of [loss, ...grads]) t?.dispose();
  }
  for (const t of [...xs, y]) t.dispose();
  tf.dispose([...txs, ty, ...tfGrads]);
}

/** Expects `fn` to throw `type` (with `message` when given) having dispatched nothing and left no tensor behind. */
export function expectThrowsBeforeWork(fn: () => unknown, type: new (...args: never[]) => Error, message?: RegExp): void {
  const before = wg.memory();
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(type);
  if (message) expect((thrown as Error).message).toMatch(message);
  const after = wg.memory();
  expect(after.numDispatches).toBe(before.numDispatches);
  expect(after.numTensors).toBe(before.numTensors);
}

/** Σᵢ ∂²f/∂xᵢ∂xⱼ for each j, by central differences of a float64 function: the derivative along the all-ones direction, then along xⱼ. */
export function hessianRowSums(f: (x: number[]) => number, x: ArrayLike<number>, h = 1e-4): number[] {
  const x0 = Array.from(x);
  const alongOnes = (v: number[]): number => (f(v.map((u) => u + h)) - f(v.map((u) => u - h))) / (2 * h);
  return x0.map((_, j) => {
    const [plus, minus] = [[...x0], [...x0]];
    plus[j] += h;
    minus[j] -= h;
    return (alongOnes(plus) - alongOnes(minus)) / (2 * h);
  });
}

/** The same by webgrad: an outer tape differentiates Σ of an inner tape's gradient of f at x. */
export async function secondDerivativeRowSums(f: (x: wg.Tensor) => wg.Tensor, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const xt = wg.tensor(x, shape);
  const outer = new wg.GradientTape();
  outer.watch(xt);
  const s = outer.record(() => {
    const inner = new wg.GradientTape();
    inner.watch(xt);
    const y = inner.record(() => f(xt));
    return wg.sum(inner.gradient(y, xt)!);
  });
  const d = outer.gradient(s, xt);
  expect(d).not.toBeNull();
  const out = await d!.data();
  for (const t of [xt, s, d!]) t.dispose();
  return out;
}
