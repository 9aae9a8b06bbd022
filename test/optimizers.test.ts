import { describe, expect, it } from 'vitest';
import * as wg from '../src';
import { adamRule, expectClose, randomArray, type Rule, rmspropRule, sgdRule } from './helpers';

const { optimizers } = wg;

/** Runs `steps` updates on two variables through the optimizer and through `rule`; compares. */
async function checkAgainst(opt: wg.Optimizer, rule: Rule, steps = 3): Promise<void> {
  const shapes = [[7], [3, 5]];
  const init = shapes.map((s, i) => randomArray(s.reduce((a, b) => a * b, 1), 10 + i));
  const vars = shapes.map((s, i) => wg.variable(wg.tensor(init[i], s)));
  const expected = init.map((a) => Array.from(a));
  const state = init.map((a) => Array.from(a, () => [] as number[]));
  for (let t = 1; t <= steps; t++) {
    const grads = init.map((w, i) => randomArray(w.length, 100 * t + i, -2, 2));
    opt.applyGradients(grads.map((g, i) => wg.tensor(g, shapes[i])), vars);
    expected.forEach((w, i) => w.forEach((wj, j) => (w[j] = rule(wj, grads[i][j], state[i][j], t))));
  }
  expect(opt.iterations).toBe(steps);
  for (let i = 0; i < vars.length; i++) expectClose(await vars[i].data(), expected[i], 2e-5, 2e-6);
}

describe('optimizer updates match the Keras formulas over 3 steps', () => {
  it('sgd (plain)', () => checkAgainst(optimizers.sgd({ learningRate: 0.1 }), sgdRule(0.1, 0, false)));
  it('sgd with momentum', () => checkAgainst(optimizers.sgd({ learningRate: 0.05, momentum: 0.9 }), sgdRule(0.05, 0.9, false)));
  it('sgd with nesterov momentum', () =>
    checkAgainst(optimizers.sgd({ learningRate: 0.05, momentum: 0.8, nesterov: true }), sgdRule(0.05, 0.8, true)));
  it('adam (defaults but learningRate)', () => checkAgainst(optimizers.adam({ learningRate: 0.01 }), adamRule(0.01, 0.9, 0.999, 1e-7)));
  it('adam with custom betas and epsilon', () =>
    checkAgainst(optimizers.adam({ learningRate: 0.02, beta1: 0.5, beta2: 0.9, epsilon: 1e-3 }), adamRule(0.02, 0.5, 0.9, 1e-3)));
  it('adamw (decoupled decay, default 0.004)', () => checkAgainst(optimizers.adamw({ learningRate: 0.1 }), adamRule(0.1, 0.9, 0.999, 1e-7, 0.004)));
  it('adamw with a large decay', () =>
    checkAgainst(optimizers.adamw({ learningRate: 0.1, weightDecay: 0.5 }), adamRule(0.1, 0.9, 0.999, 1e-7, 0.5)));
  it('rmsprop', () => checkAgainst(optimizers.rmsprop({ learningRate: 0.01 }), rmspropRule(0.01, 0.9, 0, 1e-7)));
  it('rmsprop with momentum', () =>
    checkAgainst(optimizers.rmsprop({ learningRate: 0.01, rho: 0.8, momentum: 0.5, epsilon: 1e-4 }), rmspropRule(0.01, 0.8, 0.5, 1e-4)));
  it('sgd with weightDecay', () => checkAgainst(optimizers.sgd({ learningRate: 0.1, weightDecay: 0.3 }), sgdRule(0.1, 0, false, 0.3)));
});

describe('applyGradients', () => {
  it('skips null gradients and takes Keras [grad, var] pairs', async () => {
    const a = wg.variable(wg.tensor([1, 2]));
    const b = wg.variable(wg.tensor([3, 4]));
    const opt = optimizers.sgd({ learningRate: 0.5 });
    opt.applyGradients([null, wg.tensor([2, 2])], [a, b]);
    opt.applyGradients([[wg.tensor([1, -1]), a], [null, b]]);
    expect(await a.array()).toEqual([0.5, 2.5]);
    expect(await b.array()).toEqual([2, 3]);
  });

  it('several variables per dispatch (2 for adam, 4 for plain sgd) once slots exist, and no new buffers', async () => {
    const vars = [wg.variable(wg.zeros([5])), wg.variable(wg.zeros([2, 3])), wg.variable(wg.zeros([4]))];
    const grads = vars.map((v) => wg.ones(v.shape));
    const opt = optimizers.adam();
    opt.applyGradients(grads, vars); // creates the slots
    const before = wg.memory();
    opt.applyGradients(grads, vars);
    const after = wg.memory();
    expect(after.numDispatches - before.numDispatches).toBe(2);
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    const sgd = optimizers.sgd({ learningRate: 0.5 });
    const d0 = wg.memory().numDispatches;
    sgd.applyGradients(grads, vars);
    expect(wg.memory().numDispatches - d0).toBe(1);
  });

  it('plain sgd over 6 variables of ragged sizes, one gradient shared by two, matches w − lr·g', async () => {
    const sizes = [1, 7, 4097, 3, 4, 9];
    const init = sizes.map((n, i) => randomArray(n, 40 + i));
    const gs = sizes.map((n, i) => randomArray(n, 50 + i));
    const vars = init.map((a) => wg.variable(wg.tensor(a)));
    const grads = gs.map((g) => wg.tensor(g));
    const shared = wg.tensor(gs[1]);
    grads[1] = shared;
    const extra = wg.variable(wg.tensor(init[1]));
    const d0 = wg.memory().numDispatches;
    optimizers.sgd({ learningRate: 0.25 }).applyGradients([...grads, shared], [...vars, extra]);
    expect(wg.memory().numDispatches - d0).toBe(2); // 7 variables, 4 per dispatch
    for (let i = 0; i < sizes.length; i++) {
      expectClose(await vars[i].data(), Array.from(init[i], (w, j) => w - 0.25 * gs[i][j]));
    }
    expectClose(await extra.data(), Array.from(init[1], (w, j) => w - 0.25 * gs[1][j]));
  });

  it('a variable that is another one\'s gradient goes to a dispatch of its own (no aliased bindings)', async () => {
    const a = wg.variable(wg.tensor([1, 2]));
    const b = wg.variable(wg.tensor([10, 20]));
    optimizers.sgd({ learningRate: 1 }).applyGradients([wg.tensor([1, 1]), a], [a, b]);
    expect(await a.array()).toEqual([0, 1]);
    expect(await b.array()).toEqual([10, 19]); // a's gradient ran first, as the order says
  });

  it('folds an L1/L2 penalty gradient into the update, also for a variable with no other gradient', async () => {
    const w0 = [0.5, -2, 0, 3];
    const a = wg.variable(wg.tensor(w0));
    const b = wg.variable(wg.tensor(w0));
    const g = [1, 1, -1, 0];
    const opt = optimizers.sgd({ learningRate: 0.1 });
    opt.applyGradientsWithPenalties([wg.tensor(g), null], [a, b], new Map([[a, { l1: 0.5, l2: 0.25 }], [b, { l1: 0, l2: 1 }]]));
    // a: g + 0.5·sign(w) + 0.5·w;  b: 2w alone
    expectClose(await a.data(), w0.map((w, i) => w - 0.1 * (g[i] + 0.5 * Math.sign(w) + 0.5 * w)));
    expectClose(await b.data(), w0.map((w) => w - 0.1 * 2 * w));
  });

  it('a view the tape saved keeps the old value: the update goes to a fresh buffer', async () => {
    const w = wg.variable(wg.tensor([1, 2, 3]));
    const tape = new wg.GradientTape({ persistent: true });
    const y = tape.record(() => wg.sum(wg.square(w)));
    const opt = optimizers.sgd({ learningRate: 0.1 });
    opt.applyGradients([wg.tensor([10, 10, 10])], [w]);
    expect(await w.array()).toEqual([0, 1, 2].map((v) => Math.fround(v)));
    // d/dw Σw² at the recorded (old) value [1,2,3] is [2,4,6].
    expectClose(await tape.gradient(y, w)!.data(), [2, 4, 6]);
    tape.dispose();
  });

  it('a variable used as its own gradient is read before it is written', async () => {
    const w = wg.variable(wg.tensor([2, 4]));
    optimizers.sgd({ learningRate: 0.25 }).applyGradients([w], [w]);
    expect(await w.array()).toEqual([1.5, 3]);
  });

  it('bad arguments throw typed errors and change nothing', async () => {
    const a = wg.variable(wg.tensor([1, 2]));
    const b = wg.variable(wg.tensor([3, 4]));
    const opt = optimizers.adam({ learningRate: 0.1 });
    expect(() => opt.applyGradients([wg.tensor([1, 1]), wg.tensor([1, 1, 1])], [a, b])).toThrow(wg.ShapeError);
    expect(() => opt.applyGradients([wg.tensor([1, 1])], [a, b])).toThrow(wg.InvalidArgumentError);
    expect(() => opt.applyGradients([null, null], [a, b])).toThrow(wg.InvalidArgumentError);
    // @ts-expect-error a plain tensor where a variable goes: rejected at run time too
    expect(() => opt.applyGradients([wg.tensor([1, 1])], [wg.tensor([1, 2])])).toThrow(wg.InvalidArgumentError);
    expect(opt.iterations).toBe(0);
    expect(await a.array()).toEqual([1, 2]);
    expect(await b.array()).toEqual([3, 4]);
  });

  it('hyperparameters are checked: non-finite learning rate, momentum outside [0, 1], beta = 1', () => {
    expect(() => optimizers.sgd({ learningRate: NaN })).toThrow(wg.InvalidArgumentError);
    expect(() => optimizers.adam({ learningRate: Infinity })).toThrow(wg.InvalidArgumentError);
    expect(() => optimizers.sgd({ momentum: 1.5 })).toThrow(wg.InvalidArgumentError);
    expect(() => optimizers.adam({ beta1: 1 })).toThrow(wg.InvalidArgumentError);
    expect(() => optimizers.rmsprop({ epsilon: -1 })).toThrow(wg.InvalidArgumentError);
    expect(() => optimizers.adamw({ weightDecay: -0.1 })).toThrow(wg.InvalidArgumentError);
    const opt = optimizers.sgd();
    expect(() => (opt.learningRate = NaN)).toThrow(wg.InvalidArgumentError);
    expect(opt.learningRate).toBe(0.01);
  });

  it('names give Keras defaults; an unknown name throws', () => {
    expect(optimizers.getOptimizer('adam').getConfig()).toEqual({ learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    expect(optimizers.getOptimizer('adamw').getConfig()).toMatchObject({ weightDecay: 0.004 });
    expect(optimizers.getOptimizer('SGD').getConfig()).toEqual({ learningRate: 0.01, momentum: 0, nesterov: false });
    expect(optimizers.getOptimizer('rmsprop').getConfig()).toEqual({ learningRate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7 });
    expect(() => optimizers.getOptimizer('adagrad')).toThrow(wg.InvalidArgumentError);
  });
});
