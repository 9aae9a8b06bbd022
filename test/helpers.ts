import { expect } from 'vitest';
import { GradientTape, type Tensor, tensor, tidy } from '../src';
import { seededRandom as rng } from '../src/rng';

/** A reproducible stream of numbers (mulberry32), independent of the engine's GPU RNG. */
export { rng };

export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** |a − e| ≤ atol + rtol·|e| elementwise, reporting the worst element. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-5, atol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (e === a) continue;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(`element ${worst}: got ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`);
  }
}

/**
 * Checks the tape's gradients of a scalar function against central finite differences along
 * random directions v: (f(x + hv) − f(x − hv)) / 2h ≈ ⟨∇f(x), v⟩. Values are float32, so h is
 * ~1e-2 and the tolerance is a few percent of the derivative's scale.
 */
export async function checkGradients(
  f: (...xs: Tensor[]) => Tensor,
  inputs: Float32Array[],
  shapes: number[][],
  opts: { directions?: number; h?: number; rtol?: number; seed?: number } = {},
): Promise<void> {
  const { directions = 3, h = 1e-2, rtol = 2e-2, seed = 7 } = opts;
  const evalAt = async (values: Float32Array[]): Promise<number> => {
    const y = tidy(() => f(...values.map((v, i) => tensor(v, shapes[i]))));
    const [out] = await y.data();
    y.dispose();
    return out;
  };
  const grads = await (async () => {
    const xs = inputs.map((v, i) => tensor(v, shapes[i]));
    const tape = new GradientTape();
    tape.watch(xs);
    const y = tape.record(() => f(...xs));
    const gs = tape.gradient(y, xs);
    const out = await Promise.all(gs.map((g, i) => (g ? g.data() : Promise.resolve(new Float32Array(inputs[i].length)))));
    for (const t of [...xs, y, ...gs]) t?.dispose();
    return out;
  })();
  const r = rng(seed);
  for (let d = 0; d < directions; d++) {
    const vs = inputs.map((x) => Float32Array.from(x, () => r() * 2 - 1));
    const plus = inputs.map((x, i) => Float32Array.from(x, (v, j) => v + h * vs[i][j]));
    const minus = inputs.map((x, i) => Float32Array.from(x, (v, j) => v - h * vs[i][j]));
    const numeric = ((await evalAt(plus)) - (await evalAt(minus))) / (2 * h);
    let analytic = 0;
    let scale = 0;
    grads.forEach((g, i) => g.forEach((gj, j) => {
      analytic += gj * vs[i][j];
      scale += Math.abs(gj * vs[i][j]);
    }));
    const tol = rtol * Math.max(scale, 1e-2) + 1e-3;
    if (Math.abs(numeric - analytic) > tol) {
      expect.fail(`direction ${d}: finite difference ${numeric} vs tape ${analytic} (tolerance ${tol})`);
    }
  }
}

// Plain-JS Keras 3 update rules (keras/src/optimizers/*.py), per element, in float64.
// `state` holds the slots of one element; `t` counts steps from 1.
export type Rule = (w: number, g: number, state: number[], t: number) => number;
const decay = (w: number, lr: number, wd: number) => w - w * wd * lr;

export const sgdRule = (lr: number, momentum: number, nesterov: boolean, wd = 0): Rule => (w, g, s) => {
  w = decay(w, lr, wd);
  if (momentum === 0) return w - lr * g;
  s[0] = momentum * (s[0] ?? 0) - lr * g;
  return nesterov ? w + momentum * s[0] - lr * g : w + s[0];
};

export const adamRule = (lr: number, b1: number, b2: number, eps: number, wd = 0): Rule => (w, g, s, t) => {
  const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
  const m = (s[0] ?? 0) + (g - (s[0] ?? 0)) * (1 - b1);
  const v = (s[1] ?? 0) + (g * g - (s[1] ?? 0)) * (1 - b2);
  [s[0], s[1]] = [m, v];
  return decay(w, lr, wd) - (m * alpha) / (Math.sqrt(v) + eps);
};

export const rmspropRule = (lr: number, rho: number, momentum: number, eps: number): Rule => (w, g, s) => {
  s[0] = rho * (s[0] ?? 0) + (1 - rho) * g * g;
  const inc = (lr * g) / Math.sqrt(s[0] + eps);
  if (momentum === 0) return w - inc;
  s[1] = momentum * (s[1] ?? 0) + inc;
  return w - s[1];
};
