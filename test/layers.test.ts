import { describe, expect, it } from 'vitest';
import * as wg from '../src';
import { expectClose, randomArray } from './helpers';

// References in plain TypeScript: matmul, bias and the activations from their formulas.
function matmulRef(a: Float32Array, b: Float32Array, m: number, k: number, n: number): number[] {
  const out = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) out[i * n + j] += a[i * k + p] * b[p * n + j];
  return out;
}
const erf = (x: number): number => {
  const steps = 2000; // Simpson's rule on 2/√π e^{-t²}
  const h = x / steps;
  let s = 1 + Math.exp(-x * x);
  for (let i = 1; i < steps; i++) s += (i % 2 ? 4 : 2) * Math.exp(-((i * h) ** 2));
  return (2 / Math.sqrt(Math.PI)) * (h / 3) * s;
};
type ActivationName = Extract<wg.layers.DenseArgs['activation'], string>;
const elementwise = {
  linear: (v) => v,
  relu: (v) => Math.max(v, 0),
  leakyRelu: (v) => (v > 0 ? v : 0.2 * v),
  elu: (v) => (v > 0 ? v : Math.exp(v) - 1),
  gelu: (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)),
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  tanh: (v) => Math.tanh(v),
  softplus: (v) => Math.log1p(Math.exp(v)),
} satisfies { [name in ActivationName]?: (v: number) => number };
function softmaxRows(z: number[], n: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < z.length / n; r++) {
    const row = z.slice(r * n, (r + 1) * n);
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    out.push(...e.map((v) => v / s));
  }
  return out;
}

const mean = (a: ArrayLike<number>): number => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
function std(a: ArrayLike<number>): number {
  const m = mean(a);
  return Math.sqrt(mean(Array.from(a, (v) => (v - m) ** 2)));
}

describe('layers.dense', () => {
  const [m, k, n] = [5, 7, 3];
  const x = randomArray(m * k, 1, -2, 2);
  const w = randomArray(k * n, 2);
  const b = randomArray(n, 3);
  const z = matmulRef(x, w, m, k, n).map((v, i) => v + b[i % n]);

  for (const activation of [...(Object.keys(elementwise) as (keyof typeof elementwise)[]), 'softmax'] as const) {
    it(`forward is ${activation}(x·W + b), against a plain matmul`, async () => {
      const layer = wg.layers.dense({ units: n, activation });
      layer.apply(wg.zeros([1, k]));
      layer.setWeights([wg.tensor(w, [k, n]), wg.tensor(b)]);
      const y = layer.apply(wg.tensor(x, [m, k]));
      expect(y.shape).toEqual([m, n]);
      const expected = activation === 'softmax' ? softmaxRows(z, n) : z.map(elementwise[activation]);
      expectClose(await y.data(), expected, 1e-5, 1e-5);
    });
  }

  it('applies to the last axis of a rank-3 input, and accepts a custom activation function', async () => {
    const layer = wg.layers.dense({ units: n, useBias: false, activation: (t: wg.Tensor) => wg.mul(t, 2) });
    layer.build([null, k]);
    layer.setWeights([wg.tensor(w, [k, n])]);
    const y = layer.apply(wg.tensor(x.subarray(0, 4 * k), [2, 2, k]));
    expect(y.shape).toEqual([2, 2, n]);
    expectClose(await y.data(), matmulRef(x.subarray(0, 4 * k), w, 4, k, n).map((v) => 2 * v), 1e-5, 1e-5);
    expect(layer.weights.map((v) => v.name)).toEqual([`${layer.name}/kernel`]);
  });

  it('defaults: kernel glorotUniform in ±√(6/(in+out)) with the right spread, bias zeros', async () => {
    const layer = wg.layers.dense({ units: 64 });
    layer.apply(wg.zeros([1, 192]));
    const [kernel, bias] = await Promise.all(layer.getWeights().map((t) => t.data()));
    const limit = Math.sqrt(6 / (192 + 64));
    expect(Math.max(...Array.from(kernel, Math.abs))).toBeLessThanOrEqual(limit);
    expect(std(kernel)).toBeCloseTo(limit / Math.sqrt(3), 2);
    expect(Array.from(bias)).toEqual(new Array(64).fill(0));
    expect(layer.weights.map((v) => v.name)).toEqual([`${layer.name}/kernel`, `${layer.name}/bias`]);
  });

  it('initializers by name (camelCase or Keras snake_case) follow Keras formulas', async () => {
    const draw = async (init: string, shape = [256, 128]) => {
      const layer = wg.layers.dense({ units: shape[1], kernelInitializer: init, biasInitializer: 'ones' });
      layer.build([null, shape[0]]);
      const [kernel, bias] = await Promise.all(layer.getWeights().map((t) => t.data()));
      expect(Array.from(bias)).toEqual(new Array(shape[1]).fill(1));
      return kernel;
    };
    const he = await draw('heNormal');
    expect(std(he)).toBeCloseTo(Math.sqrt(2 / 256), 2); // truncated at 2σ, σ corrected by Keras
    expect(Math.max(...Array.from(he, Math.abs))).toBeLessThanOrEqual((2 * Math.sqrt(2 / 256)) / 0.87962566103423978 + 1e-6);
    expect(std(await draw('he_uniform'))).toBeCloseTo(Math.sqrt(2 / 256), 2);
    expect(std(await draw('leCunNormal'))).toBeCloseTo(Math.sqrt(1 / 256), 2);
    expect(std(await draw('glorot_normal'))).toBeCloseTo(Math.sqrt(2 / (256 + 128)), 2);
    expect(std(await draw('randomNormal'))).toBeCloseTo(0.05, 2);
    expect(Array.from(await draw('zeros', [3, 2]))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(await draw('ones', [2, 2]))).toEqual([1, 1, 1, 1]);
  });

  it('a seeded initializer gives the same weights every time; unseeded ones differ', async () => {
    const make = (seed?: number) => {
      const layer = wg.layers.dense({ units: 4, kernelInitializer: wg.initializers.glorotUniform({ seed }) });
      layer.build([null, 3]);
      return layer.getWeights()[0].data();
    };
    expect(Array.from(await make(7))).toEqual(Array.from(await make(7)));
    expect(Array.from(await make(7))).not.toEqual(Array.from(await make(8)));
    expect(Array.from(await make())).not.toEqual(Array.from(await make()));
  });

  it('rejects bad arguments and inputs with typed errors before any GPU work', () => {
    expect(() => wg.layers.dense({ units: 0 })).toThrow(wg.InvalidArgumentError);
    // @ts-expect-error an unknown activation name: rejected at run time too
    expect(() => wg.layers.dense({ units: 2, activation: 'swish' })).toThrow(/unknown activation/);
    expect(() => wg.layers.dense({ units: 2, kernelInitializer: 'glorotUnifrom' })).toThrow(wg.InvalidArgumentError);
    // @ts-expect-error an unknown regularizer name: rejected at run time too
    expect(() => wg.layers.dense({ units: 2, kernelRegularizer: 'l3' })).toThrow(wg.InvalidArgumentError);
    const layer = wg.layers.dense({ units: 2 });
    layer.apply(wg.zeros([1, 3]));
    const wide = wg.zeros([1, 4]);
    const before = wg.memory().numDispatches;
    expect(() => layer.apply(wide)).toThrow(wg.ShapeError);
    // @ts-expect-error a nested array is not a Tensor: rejected before any dispatch
    expect(() => layer.apply([[1, 2, 3]])).toThrow(wg.InvalidArgumentError);
    expect(wg.memory().numDispatches).toBe(before);
  });
});

describe('Layer base', () => {
  class Affine extends wg.Layer {
    a: wg.Variable | null = null;
    override build(shape: wg.layers.LayerShape): void {
      this.a = this.addWeight('a', [shape[1]!], { initializer: 'ones' });
      this.addWeight('frozen', [2], { initializer: 'zeros', trainable: false });
    }
    override call(x: wg.Tensor): wg.Tensor {
      return wg.add(x, this.a!);
    }
  }

  it('builds lazily on first apply with the input shape; build() run directly also marks it built', () => {
    const layer = new Affine();
    expect(layer.built).toBe(false);
    expect(layer.weights).toEqual([]);
    layer.apply(wg.zeros([2, 3]));
    expect(layer.built).toBe(true);
    expect(layer.weights.map((v) => v.shape)).toEqual([[3], [2]]);
    expect(layer.trainableWeights).toHaveLength(1);
    expect(layer.nonTrainableWeights).toHaveLength(1);
    const direct = new Affine();
    direct.build([null, 4]);
    expect(direct.built).toBe(true);
    direct.apply(wg.zeros([1, 4]));
    expect(direct.weights).toHaveLength(2);
  });

  it('automatic names are unique per class (snake case, Keras style); given names are kept', () => {
    const a = new Affine();
    const b = new Affine();
    expect(a.name).toMatch(/^affine(_\d+)?$/);
    expect(b.name).not.toBe(a.name);
    expect(wg.layers.dense({ units: 1, name: 'head' }).name).toBe('head');
  });

  it('getWeights returns copies; setWeights round-trips them', async () => {
    const layer = new Affine();
    layer.apply(wg.zeros([1, 3]));
    const saved = layer.getWeights();
    layer.setWeights([wg.tensor([4, 5, 6]), wg.tensor([7, 8])]);
    expect(Array.from(await saved[0].data())).toEqual([1, 1, 1]);
    expect(Array.from(await layer.getWeights()[1].data())).toEqual([7, 8]);
    layer.setWeights(saved);
    expect(Array.from(await layer.getWeights()[0].data())).toEqual([1, 1, 1]);
  });

  it('setWeights checks the count and every shape before changing any weight', async () => {
    const layer = new Affine();
    layer.apply(wg.zeros([1, 3]));
    expect(() => layer.setWeights([wg.tensor([1, 2, 3])])).toThrow(wg.InvalidArgumentError);
    expect(() => layer.setWeights([wg.tensor([9, 9, 9]), wg.tensor([1, 2, 3])])).toThrow(wg.ShapeError);
    expect(Array.from(await layer.getWeights()[0].data())).toEqual([1, 1, 1]);
  });

  it('trainable: false at construction, or set later, freezes the weights; nested layers follow', () => {
    const frozen = new Affine({ trainable: false });
    frozen.apply(wg.zeros([1, 2]));
    expect(frozen.trainableWeights).toEqual([]);
    expect(frozen.weights.every((v) => !v.trainable)).toBe(true);
    frozen.trainable = true;
    expect(frozen.trainableWeights).toHaveLength(1); // the weight made non-trainable stays so
    const inner = new Affine();
    const model = wg.sequential({ layers: [inner] });
    model.apply(wg.zeros([1, 2]));
    model.trainable = false;
    expect(inner.trainable).toBe(false);
    expect(inner.weights[0].trainable).toBe(false);
  });

  it('a subclassed Model with its own call nests inside a Sequential, weights tracked through both', async () => {
    class Residual extends wg.Model {
      readonly body = wg.layers.dense({ units: 3, kernelInitializer: 'ones', biasInitializer: 'ones' });
      override call(x: wg.Tensor): wg.Tensor {
        return wg.add(x, this.body.apply(x));
      }
    }
    const model = wg.sequential({ layers: [new Residual(), wg.layers.activation({ activation: 'relu' })] });
    const y = model.apply(wg.tensor([[1, -2, -3]]));
    expect(model.weights).toHaveLength(2);
    expect(Array.from(await y.data())).toEqual([0, 0, 0]); // 1 + (−4 + 1) = −2, −2 −3 = −5, ... then relu
    const y2 = model.apply(wg.tensor([[1, 2, 3]]));
    expect(Array.from(await y2.data())).toEqual([8, 9, 10]);
  });

  it('apply rejects a non-tensor and a call that returns none', () => {
    class Broken extends wg.Layer {
      override call(): wg.Tensor {
        // @ts-expect-error a call that returns a number: apply must catch it
        return 3;
      }
    }
    expect(() => new Broken().apply(wg.zeros([1]))).toThrow(/must return a Tensor/);
    expect(() => new wg.Layer().apply(wg.zeros([1]))).toThrow(/implement call/);
    // @ts-expect-error null input: rejected at run time too
    expect(() => new Affine().apply(null)).toThrow(wg.InvalidArgumentError);
  });

  it('applying in tidy leaves no tensors behind; outside tidy only the output remains', () => {
    const model = wg.sequential({
      layers: [wg.layers.dense({ units: 4, inputShape: [3], activation: 'relu' }), wg.layers.dense({ units: 2 }), wg.layers.activation({ activation: 'softmax' })],
    });
    const x = wg.ones([2, 3]);
    const before = wg.memory().numTensors;
    wg.tidy(() => model.apply(x).dispose());
    expect(wg.memory().numTensors).toBe(before);
    const y = model.apply(x);
    expect(wg.memory().numTensors).toBe(before + 1);
    y.dispose();
  });
});

describe('sequential', () => {
  it('inputShape on the first layer builds every layer at once (as TensorFlow.js does)', () => {
    const model = wg.sequential({ layers: [wg.layers.dense({ units: 5, inputShape: [3] }), wg.layers.dropout({ rate: 0.5 })] });
    model.add(wg.layers.dense({ units: 2 }));
    expect(model.weights.map((v) => v.shape)).toEqual([[3, 5], [5], [5, 2], [2]]);
    expect(model.layers.every((l) => l.built)).toBe(true);
  });

  it('add rejects non-layers and a layer already present', () => {
    const d = wg.layers.dense({ units: 1 });
    const model = wg.sequential({ layers: [d] });
    expect(() => model.add(d)).toThrow(wg.InvalidArgumentError);
    // @ts-expect-error a plain object is not a Layer: rejected at run time too
    expect(() => model.add({})).toThrow(wg.InvalidArgumentError);
    expect(() => model.add(model)).toThrow(wg.InvalidArgumentError);
  });
});

describe('layers.dropout', () => {
  it('is inactive unless training: the input passes unchanged', async () => {
    const layer = wg.layers.dropout({ rate: 0.5, seed: 1 });
    const x = wg.tensor(randomArray(100, 4));
    expect(layer.apply(x)).toBe(x);
    expect(layer.apply(x, { training: false })).toBe(x);
  });

  it('in training keeps each value with probability 1 − rate, scaled by 1/(1 − rate)', async () => {
    const rate = 0.3;
    const x = randomArray(20000, 5, 0.5, 1.5);
    const y = await wg.layers.dropout({ rate, seed: 2 }).apply(wg.tensor(x), { training: true }).data();
    let dropped = 0;
    y.forEach((v, i) => {
      if (v === 0) dropped++;
      else expect(Math.abs(v - x[i] / (1 - rate))).toBeLessThan(1e-5);
    });
    expect(dropped / x.length).toBeCloseTo(rate, 1.5);
    expect(mean(y)).toBeCloseTo(mean(x), 1);
  });

  it('is seeded: the same seed gives the same sequence of masks, successive applies differ', async () => {
    const x = wg.ones([64]);
    const run = async () => {
      const layer = wg.layers.dropout({ rate: 0.5, seed: 9 });
      return [await layer.apply(x, { training: true }).data(), await layer.apply(x, { training: true }).data()].map((a) => Array.from(a));
    };
    const [a1, a2] = await run();
    const [b1, b2] = await run();
    expect(a1).toEqual(b1);
    expect(a2).toEqual(b2);
    expect(a1).not.toEqual(a2);
  });

  it('nested layers inherit training from the outermost apply; the gradient flows through kept units', async () => {
    const model = wg.sequential({ layers: [wg.layers.dropout({ rate: 0.5, seed: 3 })] });
    const x = wg.variable(wg.tensor(randomArray(32, 6, 1, 2)));
    const tape = new wg.GradientTape();
    const [y, total] = tape.record(() => {
      const out = model.apply(x, { training: true });
      return [out, wg.sum(out)];
    });
    const out = await y.data();
    expect(out.some((v) => v === 0)).toBe(true);
    const g = await tape.gradient(total, x)!.data();
    expect(Array.from(g)).toEqual(Array.from(out, (v) => (v === 0 ? 0 : 2)));
    expect(model.apply(x)).toBe(x);
  });

  it('rejects a rate outside [0, 1)', () => {
    for (const rate of [-0.1, 1, NaN]) expect(() => wg.layers.dropout({ rate })).toThrow(wg.InvalidArgumentError);
  });
});

describe('Model training methods', () => {
  it('fit before compile fails with a clear error', async () => {
    const model = wg.sequential({ layers: [wg.layers.dense({ units: 1, inputShape: [2] })] });
    await expect(model.fit(wg.ones([4, 2]), wg.ones([4, 1]))).rejects.toThrow(/compile/);
  });

  it('compile, fit, evaluate and predict delegate to training; evaluate reports Σ losses as regularizationLoss', async () => {
    const model = wg.sequential({
      layers: [
        wg.layers.dense({ units: 4, inputShape: [3], activation: 'tanh', kernelRegularizer: wg.regularizers.l2(0.01) }),
        wg.layers.dense({ units: 1, kernelRegularizer: wg.regularizers.l1(0.01) }),
      ],
    });
    model.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.05 }), loss: 'mse' });
    const x = wg.tensor(randomArray(16 * 3, 7), [16, 3]);
    const yv = randomArray(16, 8);
    const y = wg.tensor(yv, [16, 1]);
    const history = await model.fit(x, y, { epochs: 3, batchSize: 8, seed: 1, verbose: 0 });
    expect(history.history.loss).toHaveLength(3);
    expect(history.history.regularizationLoss.every((v) => v > 0)).toBe(true);
    const logs = await model.evaluate(x, y, { batchSize: 16 });
    const penalty = (await Promise.all(model.losses.map((t) => t.data()))).reduce((s, d) => s + d[0], 0);
    expectClose([logs.regularizationLoss], [penalty], 1e-5, 1e-7);
    const pred = await model.predict(x).data();
    const mse = mean(Array.from(pred, (p, i) => (p - yv[i]) ** 2));
    expectClose([logs.loss], [mse + penalty], 1e-4, 1e-6);
  });
});
