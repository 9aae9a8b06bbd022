import { afterEach, describe, expect, it, vi } from 'vitest';
import * as wg from '../src';
import { expectClose, randomArray } from './helpers';

const { optimizers } = wg;
const { schedules } = optimizers;

afterEach(() => {
  vi.restoreAllMocks();
});

// Learning-rate schedules against Keras 3's formulas
// (keras/src/optimizers/schedules/learning_rate_schedule.py), written out here per step.

describe('schedules follow the Keras 3 formulas', () => {
  it('exponentialDecay: lr0 · rate^(step / decaySteps)', () => {
    const s = schedules.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 4, decayRate: 0.5 });
    for (const step of [0, 1, 3, 4, 7, 10, 100]) expect(s(step)).toBeCloseTo(0.1 * 0.5 ** (step / 4), 12);
    expect(s(4)).toBeCloseTo(0.05, 12);
  });
  it('exponentialDecay with staircase: the exponent floored', () => {
    const s = schedules.exponentialDecay({ initialLearningRate: 1, decaySteps: 3, decayRate: 0.9, staircase: true });
    expect([0, 1, 2, 3, 5, 6, 8].map(s)).toEqual([1, 1, 1, 0.9, 0.9, 0.9 ** 2, 0.9 ** 2]);
  });
  it('cosineDecay: ½(1 + cos(π·min(step, decaySteps)/decaySteps)) blended with alpha', () => {
    const s = schedules.cosineDecay({ initialLearningRate: 0.2, decaySteps: 10, alpha: 0.1 });
    const keras = (step: number) => {
      const frac = Math.min(step, 10) / 10;
      return 0.2 * (0.9 * 0.5 * (1 + Math.cos(Math.PI * frac)) + 0.1);
    };
    for (const step of [0, 1, 5, 9, 10, 11, 50]) expect(s(step)).toBeCloseTo(keras(step), 12);
    expect(s(0)).toBeCloseTo(0.2, 12);
    expect(s(5)).toBeCloseTo(0.2 * (0.9 * 0.5 + 0.1), 12);
    expect(s(10)).toBeCloseTo(0.02, 12);
    expect(s(1000)).toBeCloseTo(0.02, 12);
  });
  it('cosineDecay with warmup: linear from the initial rate to warmupTarget, then the cosine from there', () => {
    const s = schedules.cosineDecay({ initialLearningRate: 0, decaySteps: 8, warmupTarget: 0.4, warmupSteps: 4 });
    expect([0, 1, 2, 3].map(s).map((v) => +v.toFixed(12))).toEqual([0, 0.1, 0.2, 0.3]);
    expect(s(4)).toBeCloseTo(0.4, 12);
    expect(s(8)).toBeCloseTo(0.2, 12); // half way through the decay: cos(π/2) = 0
    expect(s(12)).toBeCloseTo(0, 12);
    expect(s(40)).toBeCloseTo(0, 12);
  });
  it('cosineDecay with a warmupTarget and no warmup steps decays from the target', () => {
    const s = schedules.cosineDecay({ initialLearningRate: 1, decaySteps: 2, warmupTarget: 0.5 });
    expect(s(0)).toBeCloseTo(0.5, 12);
    expect(s(1)).toBeCloseTo(0.25, 12);
  });
});

/** Float64 SGD and Adam steps on one variable, the rate given per step. */
function handUpdates(init: Float32Array, grads: Float32Array[], rate: (step: number) => number, rule: 'sgd' | 'adam', weightDecay = 0): number[] {
  const w = Array.from(init);
  const m = w.map(() => 0);
  const v = w.map(() => 0);
  grads.forEach((g, step) => {
    const lr = rate(step);
    const t = step + 1;
    for (let j = 0; j < w.length; j++) {
      w[j] -= w[j] * weightDecay * lr;
      if (rule === 'sgd') w[j] -= lr * g[j];
      else {
        m[j] += (g[j] - m[j]) * 0.1;
        v[j] += (g[j] * g[j] - v[j]) * 0.001;
        w[j] -= (m[j] * ((lr * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t))) / (Math.sqrt(v[j]) + 1e-7);
      }
    }
  });
  return w;
}

describe('training with a schedule', () => {
  const init = randomArray(9, 3);
  const grads = [0, 1, 2, 3, 4].map((s) => randomArray(9, 20 + s, -1, 1));

  it('the schedule receives the iteration count from 0, and each update uses its rate (sgd)', async () => {
    const steps: number[] = [];
    const rate = (step: number) => {
      steps.push(step);
      return 0.3 / (step + 1);
    };
    const opt = optimizers.sgd({ learningRate: rate });
    const w = wg.variable(wg.tensor(init, [3, 3]));
    for (const g of grads) opt.applyGradients([wg.tensor(g, [3, 3])], [w]);
    expect(steps).toEqual([0, 1, 2, 3, 4]);
    expectClose(await w.data(), handUpdates(init, grads, (s) => 0.3 / (s + 1), 'sgd'), 1e-5, 1e-6);
  });
  it('adamw with cosineDecay: bias correction by step, weight decay at the scheduled rate', async () => {
    const schedule = schedules.cosineDecay({ initialLearningRate: 0.05, decaySteps: 4 });
    const opt = optimizers.adamw({ learningRate: schedule, weightDecay: 0.1 });
    const w = wg.variable(wg.tensor(init));
    for (const g of grads) opt.applyGradients([wg.tensor(g)], [w]);
    expectClose(await w.data(), handUpdates(init, grads, schedule, 'adam', 0.1), 1e-5, 1e-6);
  });
  it('learningRate reads the rate of the next update; a number can replace the schedule', () => {
    const opt = optimizers.sgd(schedules.exponentialDecay({ initialLearningRate: 1, decaySteps: 1, decayRate: 0.5 }));
    expect(opt.learningRate).toBe(1);
    const w = wg.variable(wg.zeros([2]));
    opt.applyGradients([wg.ones([2])], [w]);
    opt.applyGradients([wg.ones([2])], [w]);
    expect(opt.learningRate).toBe(0.25);
    expect(opt.learningRateSchedule).toBeTypeOf('function');
    opt.learningRate = 0.1;
    expect(opt.learningRate).toBe(0.1);
    expect(opt.learningRateSchedule).toBeUndefined();
  });
  it('fit steps the schedule once per batch across epochs', async () => {
    const steps: number[] = [];
    const model = wg.sequential({ layers: [wg.layers.dense({ units: 1, inputShape: [2] })] });
    model.compile({ optimizer: optimizers.sgd({ learningRate: (s: number) => (steps.push(s), 0.01) }), loss: 'meanSquaredError' });
    await model.fit([[1, 2], [3, 4], [5, 6]], [[1], [2], [3]], { epochs: 2, batchSize: 2, verbose: 0 });
    expect(steps).toEqual([0, 1, 2, 3]);
  });
  it('a changing rate compiles no pipeline and keeps the dispatch count', () => {
    const device = wg.getDevice();
    const opts = [
      optimizers.sgd({ learningRate: (s: number) => 0.1 / (1 + s) }),
      optimizers.adam({ learningRate: schedules.cosineDecay({ initialLearningRate: 0.01, decaySteps: 3 }), clipnorm: 1 }),
      optimizers.rmsprop({ learningRate: schedules.exponentialDecay({ initialLearningRate: 0.01, decaySteps: 1, decayRate: 0.9 }), clipvalue: 1 }),
    ];
    const w = wg.variable(wg.zeros([5]));
    for (const opt of opts) opt.applyGradients([wg.ones([5])], [w]);
    const pipelines = vi.spyOn(device, 'createComputePipeline');
    const modules = vi.spyOn(device, 'createShaderModule');
    for (const opt of opts) {
      const before = wg.memory().numDispatches;
      opt.applyGradients([wg.ones([5])], [w]);
      const per = wg.memory().numDispatches - before;
      for (let i = 0; i < 4; i++) {
        const b = wg.memory().numDispatches;
        opt.applyGradients([wg.ones([5])], [w]);
        expect(wg.memory().numDispatches - b).toBe(per);
      }
    }
    expect(pipelines).not.toHaveBeenCalled();
    expect(modules).not.toHaveBeenCalled();
  });
});

describe('schedule options and serialization', () => {
  it('getConfig gives a schedule of this module as { className, config }', () => {
    const s = schedules.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 100, decayRate: 0.96, staircase: true });
    expect(optimizers.sgd({ learningRate: s }).getConfig()).toEqual({
      learningRate: { className: 'ExponentialDecay', config: { initialLearningRate: 0.1, decaySteps: 100, decayRate: 0.96, staircase: true } },
      momentum: 0,
      nesterov: false,
    });
    const c = schedules.cosineDecay({ initialLearningRate: 0.1, decaySteps: 10 });
    expect(optimizers.adam({ learningRate: c }).getConfig().learningRate).toEqual({
      className: 'CosineDecay',
      config: { initialLearningRate: 0.1, decaySteps: 10, alpha: 0, warmupTarget: null, warmupSteps: 0 },
    });
  });
  it('bad learning rates and schedules are InvalidArgumentErrors', () => {
    expect(() => optimizers.sgd({ learningRate: 'fast' as unknown as number })).toThrow(/learningRate must be a finite number or a schedule/);
    expect(() => optimizers.adam({ learningRate: { initialLearningRate: 0.1 } as unknown as number })).toThrow(wg.InvalidArgumentError);
    expect(() => schedules.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.9 })).toThrow(/decaySteps must be a finite number > 0/);
    expect(() => schedules.cosineDecay({ initialLearningRate: 0.1, decaySteps: -1 })).toThrow(wg.InvalidArgumentError);
    expect(() => schedules.cosineDecay({ initialLearningRate: 0.1, decaySteps: 5, warmupSteps: -1 })).toThrow(wg.InvalidArgumentError);
    expect(() => schedules.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 5, decayRate: 0.9, staircase: 1 as unknown as boolean })).toThrow(wg.InvalidArgumentError);
    expect(() => schedules.cosineDecay({ initialLearningRate: 0.1, decaySteps: 5, warmup_target: 1 } as never)).toThrow(/did you mean 'warmupTarget'\?/);
  });
  it('a schedule that returns no finite number throws before any weight changes', async () => {
    const opt = optimizers.sgd({ learningRate: (s: number) => (s < 1 ? 0.1 : NaN) });
    const w = wg.variable(wg.tensor([1, 2]));
    opt.applyGradients([wg.ones([2])], [w]);
    const before = wg.memory().numDispatches;
    expect(() => opt.applyGradients([wg.ones([2])], [w])).toThrow(/schedule returned NaN at step 1/);
    expect(wg.memory().numDispatches).toBe(before);
    expect(opt.iterations).toBe(1);
    expectClose(await w.data(), [0.9, 1.9], 1e-6);
  });
});
