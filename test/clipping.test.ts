import { describe, expect, it } from 'vitest';
import * as wg from '../src';
import { adamRule, expectClose, randomArray, type Rule, rmspropRule, sgdRule, size } from './helpers';

const { optimizers } = wg;

// Keras 3 gradient clipping (keras/src/optimizers/base_optimizer.py, _clip_gradients) checked
// against plain float64 formulas. TensorFlow.js's optimizers take no clipping options, so the
// references are written out here: the gradient a variable's update sees is its own plus the
// gradient of its folded L1/L2 penalty, then clipped, then fed to the Keras update rule (the
// rules in test/helpers.ts, which test/optimizers.test.ts checks without clipping).

interface Clip {
  mode: 'clipnorm' | 'clipvalue' | 'globalClipnorm';
  limit: number;
}

const norm = (xs: number[][]) => Math.sqrt(xs.reduce((a, x) => a + x.reduce((b, v) => b + v * v, 0), 0));

/** Keras's clipping of the step's full gradients, in float64. */
function clipped(full: number[][], { mode, limit }: Clip): number[][] {
  if (mode === 'clipvalue') return full.map((g) => g.map((v) => Math.min(limit, Math.max(-limit, v))));
  if (mode === 'clipnorm') return full.map((g) => g.map((v) => (v * limit) / Math.max(norm([g]), limit)));
  const scale = limit / Math.max(norm(full), limit);
  return full.map((g) => g.map((v) => v * scale));
}

const optimizerCases: Array<[string, (clip: Record<string, number>) => wg.Optimizer, Rule]> = [
  ['sgd', (c) => optimizers.sgd({ learningRate: 0.1, ...c }), sgdRule(0.1, 0, false)],
  ['sgd momentum', (c) => optimizers.sgd({ learningRate: 0.05, momentum: 0.9, ...c }), sgdRule(0.05, 0.9, false)],
  ['sgd nesterov', (c) => optimizers.sgd({ learningRate: 0.05, momentum: 0.8, nesterov: true, ...c }), sgdRule(0.05, 0.8, true)],
  ['adam', (c) => optimizers.adam({ learningRate: 0.01, ...c }), adamRule(0.01, 0.9, 0.999, 1e-7)],
  ['adamw', (c) => optimizers.adamw({ learningRate: 0.1, ...c }), adamRule(0.1, 0.9, 0.999, 1e-7, 0.004)],
  ['rmsprop', (c) => optimizers.rmsprop({ learningRate: 0.01, ...c }), rmspropRule(0.01, 0.9, 0, 1e-7)],
  ['rmsprop momentum', (c) => optimizers.rmsprop({ learningRate: 0.01, momentum: 0.5, ...c }), rmspropRule(0.01, 0.9, 0.5, 1e-7)],
];

/** Ragged sizes: a single float, a padded vec4, and one over a chunk of 4096 floats (two chunks, two update blocks). */
const shapes = [[7], [3, 5], [1], [4100], [2, 2]];
/** Penalties folded into some variables' updates (as fit folds kernel regularizers). */
const penalties: Array<{ l1: number; l2: number } | undefined> = [{ l1: 0.3, l2: 0.2 }, undefined, { l1: 0, l2: 1.5 }, { l1: 0.05, l2: 0 }, undefined];

/**
 * Runs `steps` updates through the optimizer and through the float64 reference; `gradScale`
 * sets the gradients' size against the clip limit, `withPenalties` folds the penalties above.
 */
async function checkClipping(make: (c: Record<string, number>) => wg.Optimizer, rule: Rule, clip: Clip, withPenalties: boolean, gradScale = 2, steps = 3): Promise<void> {
  const opt = make({ [clip.mode]: clip.limit });
  const init = shapes.map((s, i) => randomArray(size(s), 10 + i));
  const vars = shapes.map((s, i) => wg.variable(wg.tensor(init[i], s)));
  const expected = init.map((a) => Array.from(a));
  const state = init.map((a) => Array.from(a, () => [] as number[]));
  const folded = new Map(withPenalties ? vars.flatMap((v, i) => (penalties[i] ? [[v, penalties[i]!] as const] : [])) : []);
  for (let t = 1; t <= steps; t++) {
    const grads = init.map((w, i) => randomArray(w.length, 100 * t + i, -gradScale, gradScale));
    wg.tidy(() => opt.applyGradientsWithPenalties(grads.map((g, i) => wg.tensor(g, shapes[i])), vars, folded));
    const full = expected.map((w, i) => {
      const p = withPenalties ? penalties[i] : undefined;
      return w.map((wj, j) => grads[i][j] + (p ? p.l1 * Math.sign(wj) + 2 * p.l2 * wj : 0));
    });
    const g = clipped(full, clip);
    expected.forEach((w, i) => w.forEach((wj, j) => (w[j] = rule(wj, g[i][j], state[i][j], t))));
  }
  for (let i = 0; i < vars.length; i++) expectClose(await vars[i].data(), expected[i], 1e-4, 2e-6);
  for (const v of vars) v.dispose();
  opt.dispose();
}

describe('gradient clipping matches Keras 3 over 3 steps, for every optimizer', () => {
  for (const [name, make, rule] of optimizerCases) {
    for (const withPenalties of [false, true]) {
      const folded = withPenalties ? ', penalties folded' : '';
      it(`${name}: clipvalue${folded}`, () => checkClipping(make, rule, { mode: 'clipvalue', limit: 0.5 }, withPenalties));
      it(`${name}: clipnorm${folded}`, () => checkClipping(make, rule, { mode: 'clipnorm', limit: 1.5 }, withPenalties));
      it(`${name}: globalClipnorm${folded}`, () => checkClipping(make, rule, { mode: 'globalClipnorm', limit: 3 }, withPenalties));
    }
  }
});

describe('norms below the limit leave the gradients as they are', () => {
  it('globalClipnorm above the global norm: the update is the unclipped one', () =>
    checkClipping((c) => optimizers.sgd({ learningRate: 0.1, ...c }), sgdRule(0.1, 0, false), { mode: 'globalClipnorm', limit: 1e4 }, true, 0.01));
  it('globalClipnorm below it scales every gradient by the same factor', async () => {
    // Two variables with gradients (3, 4) and (12): global norm 13, limit 6.5 halves both.
    const a = wg.variable(wg.tensor([0, 0]));
    const b = wg.variable(wg.tensor([0]));
    optimizers.sgd({ learningRate: 1, globalClipnorm: 6.5 }).applyGradients([wg.tensor([3, 4]), wg.tensor([12])], [a, b]);
    expectClose(await a.data(), [-1.5, -2], 1e-6);
    expectClose(await b.data(), [-6], 1e-6);
  });
  it('clipnorm acts per variable: only the gradient over the limit shrinks', async () => {
    const a = wg.variable(wg.tensor([0, 0]));
    const b = wg.variable(wg.tensor([0]));
    optimizers.sgd({ learningRate: 1, clipnorm: 2.5 }).applyGradients([wg.tensor([3, 4]), wg.tensor([1])], [a, b]);
    expectClose(await a.data(), [-1.5, -2], 1e-6);
    expectClose(await b.data(), [-1], 1e-6);
  });
  it('globalClipnorm gives NaN when the global norm is not finite, as Keras does', async () => {
    const a = wg.variable(wg.tensor([1, 1]));
    const b = wg.variable(wg.tensor([1]));
    optimizers.sgd({ learningRate: 1, globalClipnorm: 1 }).applyGradients([wg.tensor([Infinity, 0]), wg.tensor([1])], [a, b]);
    expect(Array.from(await b.data()).every(Number.isNaN)).toBe(true);
  });
  it('a variable with a penalty and no gradient is clipped on the penalty gradient alone', async () => {
    // d(2·Σw²) = 4w = (4, 8, 0, 0)·... at w = (1, 2): ‖(4, 8)‖ = √80, clipped to norm 1.
    const a = wg.variable(wg.tensor([1, 2]));
    optimizers.sgd({ learningRate: 1, clipnorm: 1 }).applyGradientsWithPenalties([null], [a], new Map([[a, { l1: 0, l2: 2 }]]));
    const n = Math.sqrt(80);
    expectClose(await a.data(), [1 - 4 / n, 2 - 8 / n], 1e-6);
  });
});

describe('clipping through fit sees the folded penalty gradient', () => {
  it('one fit step with a kernel L2 penalty and clipnorm equals the hand-computed update', async () => {
    // y = x·W (no bias), loss = mean((y − t)²) + l2·ΣW²; the gradient of the data term from the
    // tape, the penalty term by formula, the clipping and the SGD step by hand.
    const x = wg.tensor([[1, 2], [3, -1], [0.5, 0.5]]);
    const t = wg.tensor([[1], [0], [2]]);
    const w0 = [0.4, -0.3];
    const l2 = 0.5;
    const model = wg.sequential({ layers: [wg.layers.dense({ units: 1, inputShape: [2], useBias: false, kernelRegularizer: wg.regularizers.l2(l2) })] });
    model.setWeights([wg.tensor(w0, [2, 1])]);
    model.compile({ optimizer: optimizers.sgd({ learningRate: 0.1, clipnorm: 0.5 }), loss: 'meanSquaredError' });
    await model.fit(x, t, { epochs: 1, batchSize: 3, verbose: 0, shuffle: false });
    const xs = [[1, 2], [3, -1], [0.5, 0.5]];
    const ts = [1, 0, 2];
    const g = [0, 0];
    xs.forEach(([a, b], i) => {
      const r = a * w0[0] + b * w0[1] - ts[i];
      g[0] += (2 * r * a) / 3;
      g[1] += (2 * r * b) / 3;
    });
    const full = g.map((v, j) => v + 2 * l2 * w0[j]);
    const scale = 0.5 / Math.max(norm([full]), 0.5);
    expect(norm([full])).toBeGreaterThan(0.5);
    expectClose(await model.getWeights()[0].data(), w0.map((w, j) => w - 0.1 * full[j] * scale), 1e-5, 1e-6);
  });
});

describe('dispatches of the clipped updates', () => {
  /** Dispatches one applyGradients of `n` variables encodes (shapes cycled from `shapes`), its slots made by an earlier one. */
  function dispatchesOf(opt: wg.Optimizer, n: number): number {
    const vars = Array.from({ length: n }, (_, i) => wg.variable(wg.zeros(shapes[i % shapes.length])));
    const grads = vars.map((v) => wg.ones(v.shape));
    opt.applyGradients(grads, vars);
    const before = wg.memory().numDispatches;
    opt.applyGradients(grads, vars);
    const count = wg.memory().numDispatches - before;
    for (const t of [...vars, ...grads]) t.dispose();
    opt.dispose();
    return count;
  }
  it('clipvalue adds none; clipnorm and globalClipnorm add ⌈V/3⌉ + 1 and bind the scales', () => {
    for (const n of [1, 4, 7]) {
      const norms = Math.ceil(n / 3) + 1;
      expect(dispatchesOf(optimizers.sgd({ clipvalue: 1 }), n)).toBe(Math.ceil(n / 4));
      expect(dispatchesOf(optimizers.adam({ clipvalue: 1 }), n)).toBe(Math.ceil(n / 2));
      expect(dispatchesOf(optimizers.sgd({ clipnorm: 1 }), n)).toBe(norms + Math.ceil(n / 3));
      expect(dispatchesOf(optimizers.sgd({ momentum: 0.9, globalClipnorm: 1 }), n)).toBe(norms + Math.ceil(n / 2));
      expect(dispatchesOf(optimizers.adam({ clipnorm: 1 }), n)).toBe(norms + n);
      expect(dispatchesOf(optimizers.rmsprop({ globalClipnorm: 1 }), n)).toBe(norms + Math.ceil(n / 2));
      expect(dispatchesOf(optimizers.rmsprop({ momentum: 0.5, clipnorm: 1 }), n)).toBe(norms + n);
    }
  });
});

describe('clipping options', () => {
  it('more than one clipping option throws, as in Keras 3', () => {
    expect(() => optimizers.sgd({ clipnorm: 1, clipvalue: 1 })).toThrow(wg.InvalidArgumentError);
    expect(() => optimizers.adam({ clipnorm: 1, globalClipnorm: 1 })).toThrow(/only one of clipnorm, clipvalue and globalClipnorm/);
    expect(() => optimizers.rmsprop({ clipvalue: 1, globalClipnorm: 2 })).toThrow(wg.InvalidArgumentError);
  });
  it('a limit must be a finite number > 0', () => {
    expect(() => optimizers.sgd({ clipnorm: -1 })).toThrow(/clipnorm must be a finite number > 0/);
    expect(() => optimizers.adam({ clipvalue: 0 })).toThrow(wg.InvalidArgumentError);
    expect(() => optimizers.adamw({ globalClipnorm: Infinity })).toThrow(wg.InvalidArgumentError);
    expect(() => optimizers.sgd({ clipnorm: '1' as unknown as number })).toThrow(wg.InvalidArgumentError);
  });
  it('null means unset, as Keras takes None', () => {
    expect(optimizers.sgd({ clipnorm: null, clipvalue: 2 }).getConfig()).toMatchObject({ clipvalue: 2 });
  });
  it('a misspelled option names the clipping option it most likely meant', () => {
    expect(() => optimizers.sgd({ clipNorm: 1 } as never)).toThrow(/unknown option 'clipNorm'; did you mean 'clipnorm'\?/);
    expect(() => optimizers.adam({ global_clipnorm: 1 } as never)).toThrow(/did you mean 'globalClipnorm'\?/);
    expect(() => optimizers.rmsprop({ clipvalu: 1 } as never)).toThrow(/did you mean 'clipvalue'\?/);
  });
  it('getConfig reports the clipping option', () => {
    expect(optimizers.sgd({ learningRate: 0.1, clipnorm: 2 }).getConfig()).toEqual({ learningRate: 0.1, momentum: 0, nesterov: false, clipnorm: 2 });
    expect(optimizers.adam({ globalClipnorm: 1 }).getConfig()).toMatchObject({ globalClipnorm: 1 });
    expect(optimizers.rmsprop({ clipvalue: 0.5 }).getConfig()).toMatchObject({ clipvalue: 0.5 });
    expect(optimizers.adam().getConfig()).not.toHaveProperty('clipnorm');
  });
});
