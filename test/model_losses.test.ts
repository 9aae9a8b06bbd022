import { describe, expect, it } from 'vitest';
import * as wg from '../src';
import { checkGradients, expectClose, randomArray } from './helpers';

// `layer.losses` with the Keras 3 semantics of API.md. Every expected number is computed here from
// the weights and outputs read back, with plain formulas.

const sumAbs = (a: ArrayLike<number>): number => Array.from(a).reduce((s, v) => s + Math.abs(v), 0);
const sumSq = (a: ArrayLike<number>): number => Array.from(a).reduce((s, v) => s + v * v, 0);

/** y = x ⊙ w over the last axis: a custom layer with one (optionally regularized) weight. */
class Scale extends wg.Layer {
  w: wg.Variable | null = null;
  constructor(private readonly cfg: { regularizer?: wg.regularizers.RegularizerLike; seed?: number; trainableWeight?: boolean } & wg.LayerArgs = {}) {
    super(cfg);
  }
  override build(shape: wg.layers.LayerShape): void {
    this.w = this.addWeight('w', [shape[shape.length - 1]!], {
      initializer: wg.initializers.randomUniform({ minval: -1, maxval: 1, seed: this.cfg.seed ?? 1 }),
      regularizer: this.cfg.regularizer,
      trainable: this.cfg.trainableWeight,
    });
  }
  override call(x: wg.Tensor): wg.Tensor {
    return wg.mul(x, this.w!);
  }
}

/** Adds Σx (a tensor) to its losses on every call. */
class AddsInputSum extends wg.Layer {
  override call(x: wg.Tensor): wg.Tensor {
    this.addLoss(wg.sum(x));
    return x;
  }
}

async function values(ts: wg.Tensor[]): Promise<number[]> {
  return Promise.all(ts.map(async (t) => (await t.data())[0]));
}

function stack(k: number, regularizer: () => wg.regularizers.RegularizerLike): wg.Sequential {
  const model = wg.sequential();
  for (let i = 0; i < k; i++) model.add(new Scale({ regularizer: regularizer(), seed: 100 + i }));
  return model;
}

describe('losses: weight penalties', () => {
  it('one penalty per regularized weight, recomputed from the current value at each read', async () => {
    const layer = new Scale({ regularizer: wg.regularizers.l1l2({ l1: 0.1, l2: 0.2 }) });
    expect(layer.losses).toEqual([]);
    layer.apply(wg.ones([2, 6]));
    const w = await layer.w!.data();
    const first = layer.losses;
    expect(first).toHaveLength(1);
    expect(first[0].shape).toEqual([]);
    expectClose(await values(first), [0.1 * sumAbs(w) + 0.2 * sumSq(w)], 1e-5);

    const next = randomArray(6, 42, -3, 3);
    layer.w!.assign(wg.tensor(next));
    const second = layer.losses;
    expect(second).not.toBe(first);
    expect(second[0]).not.toBe(first[0]);
    expectClose(await values(second), [0.1 * sumAbs(next) + 0.2 * sumSq(next)], 1e-5);
    expectClose(await values(first), [0.1 * sumAbs(w) + 0.2 * sumSq(w)], 1e-5); // an earlier read keeps its value
  });

  it('eager safe: read inside tape.record, the penalties reach the weights; read before, they do not', async () => {
    const layer = new Scale({ regularizer: wg.regularizers.l1l2({ l1: 0.3, l2: 0.05 }) });
    layer.apply(wg.ones([1, 5]));
    const w = await layer.w!.data();
    const outside = layer.losses;
    const tape = new wg.GradientTape({ persistent: true });
    const [eager, stale] = tape.record(() => [wg.addN(layer.losses), wg.addN(outside)]);
    const g = tape.gradient(eager, layer.w!)!;
    expectClose(await g.data(), Array.from(w, (v) => 0.3 * Math.sign(v) + 2 * 0.05 * v), 1e-5, 1e-6);
    expect(tape.gradient(stale, layer.w!)).toBeNull();
    tape.dispose();
  });

  it('nested layers and models count, with their penalties summed from the formulas', async () => {
    class Block extends wg.Model {
      readonly a = new Scale({ regularizer: wg.regularizers.l2(0.5), seed: 3 });
      readonly inner = wg.sequential({ layers: [new Scale({ regularizer: wg.regularizers.l1(0.25), seed: 4 })] });
      override call(x: wg.Tensor): wg.Tensor {
        return this.inner.apply(this.a.apply(x));
      }
    }
    class Outer extends wg.Model {
      readonly blocks = [new Block(), new Block()];
      readonly head = new Scale({ regularizer: (w: wg.Tensor) => wg.mul(wg.sum(wg.abs(w)), 2), seed: 5 });
      override call(x: wg.Tensor): wg.Tensor {
        return this.head.apply(this.blocks[1].apply(this.blocks[0].apply(x)));
      }
    }
    const model = new Outer();
    model.apply(wg.ones([2, 3]));
    expect(model.weights).toHaveLength(5);
    const expected: number[] = [];
    for (const b of model.blocks) {
      expected.push(0.5 * sumSq(await b.a.w!.data()), 0.25 * sumAbs(await (b.inner.layers[0] as Scale).w!.data()));
    }
    expected.push(2 * sumAbs(await model.head.w!.data()));
    const losses = model.losses;
    expect(losses).toHaveLength(5);
    expectClose((await values(losses)).sort(), expected.sort(), 1e-5, 1e-6);
    expect(model.blocks[0].losses).toHaveLength(2);
  });

  it('a weight shared by two layers counts once; so does a layer held twice', async () => {
    const a = new Scale({ regularizer: wg.regularizers.l2(1) });
    a.apply(wg.ones([1, 4]));
    class Tied extends wg.Layer {
      readonly w = a.w!;
      override call(x: wg.Tensor): wg.Tensor {
        return wg.mul(x, this.w);
      }
    }
    const model = wg.sequential({ layers: [a, new Tied()] });
    class Twice extends wg.Model {
      readonly first = a;
      readonly again = [a];
    }
    expect(model.weights).toHaveLength(1);
    expect(new Twice().weights).toHaveLength(1);
    expectClose(await values(model.losses), [sumSq(await a.w!.data())], 1e-5);
    expect(new Twice().losses).toHaveLength(1);
  });

  it('frozen layers (and their sublayers) count not at all; unfreezing restores them', async () => {
    const inner = wg.sequential({ layers: [new Scale({ regularizer: wg.regularizers.l2(1), seed: 7 })] });
    const kept = new Scale({ regularizer: wg.regularizers.l1(1), seed: 8 });
    const model = wg.sequential({ layers: [inner, kept] });
    model.apply(wg.ones([1, 3]));
    expect(model.losses).toHaveLength(2);
    inner.trainable = false;
    expect(inner.layers[0].trainable).toBe(false);
    expect(inner.layers[0].weights[0].trainable).toBe(false);
    expect(model.trainableWeights).toEqual([kept.w]);
    expect(model.nonTrainableWeights).toHaveLength(1);
    expectClose(await values(model.losses), [sumAbs(await kept.w!.data())], 1e-5);
    expect(inner.losses).toEqual([]);
    model.trainable = false;
    expect(model.losses).toEqual([]);
    expect(model.trainableWeights).toEqual([]);
    model.trainable = true;
    expect(model.losses).toHaveLength(2);
  });

  it('a non-trainable weight is not penalized (Keras reads the trainable weights)', () => {
    const layer = new Scale({ regularizer: wg.regularizers.l2(1), trainableWeight: false });
    layer.apply(wg.ones([1, 2]));
    expect(layer.nonTrainableWeights).toHaveLength(1);
    expect(layer.losses).toEqual([]);
  });

  it('the gradient of one penalty reaches only its own weight', async () => {
    const model = stack(3, () => wg.regularizers.l2(0.5));
    model.apply(wg.ones([1, 4]));
    const ws = model.trainableWeights;
    const tape = new wg.GradientTape();
    const losses = tape.record(() => model.losses);
    const g = tape.gradient(losses[1], ws);
    expect(g[0]).toBeNull();
    expect(g[2]).toBeNull();
    expectClose(await g[1]!.data(), Array.from(await ws[1].data(), (v) => v), 1e-6);
  });
});

describe('losses: activity regularizers and addLoss', () => {
  it('an activity penalty is regularizer(output), not divided by the batch size (Keras 3), from the most recent outermost apply', async () => {
    const layer = new Scale({ activityRegularizer: wg.regularizers.l2(0.1), seed: 9 });
    const x4 = randomArray(4 * 3, 10);
    const y4 = await layer.apply(wg.tensor(x4, [4, 3])).data();
    expectClose(await values(layer.losses), [0.1 * sumSq(y4)], 1e-5);
    const y2 = await layer.apply(wg.tensor(randomArray(2 * 3, 11), [2, 3])).data();
    expectClose(await values(layer.losses), [0.1 * sumSq(y2)], 1e-5);
  });

  it('an activity penalty is differentiable through the layer when applied inside the tape', async () => {
    const layer = new Scale({ activityRegularizer: wg.regularizers.l2(0.5), seed: 12 });
    const x = randomArray(2 * 3, 13);
    layer.apply(wg.tensor(x, [2, 3]));
    const w = await layer.w!.data();
    const tape = new wg.GradientTape();
    const loss = tape.record(() => {
      layer.apply(wg.tensor(x, [2, 3]));
      return wg.addN(layer.losses);
    });
    // d/dw_j of 0.5·Σ_i (x_ij w_j)² = w_j · Σ_i x_ij²
    const expected = Array.from(w, (wj, j) => wj * (x[j] ** 2 + x[3 + j] ** 2));
    expectClose(await tape.gradient(loss, layer.w!)!.data(), expected, 1e-5, 1e-6);
  });

  it('addLoss tensors are cleared when the next outermost apply starts, nested ones included', async () => {
    const inner = new AddsInputSum();
    class Outer extends wg.Model {
      readonly inner = inner;
      override call(x: wg.Tensor): wg.Tensor {
        this.addLoss(wg.mul(wg.sum(x), 10));
        return this.inner.apply(x);
      }
    }
    const model = new Outer();
    model.apply(wg.tensor([[1, 2]]));
    expect(await values(model.losses)).toEqual([30, 3]);
    model.apply(wg.tensor([[4, 5]]));
    expect(await values(model.losses)).toEqual([90, 9]);
    // Applied on its own, the inner layer clears only itself.
    inner.apply(wg.tensor([[100]]));
    expect(await values(inner.losses)).toEqual([100]);
    expect(await values(model.losses)).toEqual([90, 100]);
  });

  it('a tensor given to addLoss outside apply stays until the next outermost apply; the caller may dispose its own', async () => {
    const layer = new Scale();
    const t = wg.scalar(5);
    layer.addLoss(t);
    t.dispose();
    expect(await values(layer.losses)).toEqual([5]);
    layer.apply(wg.ones([1, 2]));
    expect(layer.losses).toEqual([]);
  });

  it('addLoss callables are called on every read and never cleared', async () => {
    const layer = new Scale({ seed: 14 });
    layer.apply(wg.ones([1, 3]));
    layer.addLoss(() => wg.sum(wg.square(layer.w!)));
    expectClose(await values(layer.losses), [sumSq(await layer.w!.data())], 1e-5);
    layer.w!.assign(wg.tensor([1, 2, 3]));
    layer.apply(wg.ones([1, 3]));
    expect(await values(layer.losses)).toEqual([14]);
    expect(() => {
      // @ts-expect-error a loss function that returns a number: caught when the losses are read
      layer.addLoss(() => 3);
      return layer.losses;
    }).toThrow(wg.InvalidArgumentError);
  });

  it('a non-scalar addLoss tensor is summed', async () => {
    const layer = new Scale();
    layer.addLoss(wg.tensor([1, 2, 3]));
    expect(await values(layer.losses)).toEqual([6]);
  });
});

describe('losses: custom regularizers', () => {
  it('a function (w) => scalar is accepted as kernel, activity or addWeight regularizer', async () => {
    const reg = (w: wg.Tensor) => wg.mul(wg.sum(wg.square(wg.sub(w, 1))), 0.5);
    const layer = new Scale({ regularizer: reg, activityRegularizer: reg, seed: 15 });
    const y = await layer.apply(wg.ones([2, 3])).data();
    const w = await layer.w!.data();
    const half = (a: ArrayLike<number>) => 0.5 * sumSq(Array.from(a, (v) => v - 1));
    expectClose((await values(layer.losses)).sort((a, b) => a - b), [half(y), half(w)].sort((a, b) => a - b), 1e-5);
    await checkGradients((v) => reg(v), [randomArray(6, 16)], [[2, 3]]);
  });

  it('a custom regularizer that returns a non-scalar throws a clear error', () => {
    const layer = new Scale({ regularizer: (w: wg.Tensor) => wg.abs(w) });
    layer.apply(wg.ones([1, 3]));
    expect(() => layer.losses).toThrow(/scalar/);
  });
});

describe('losses: aggregated on the GPU', () => {
  it('reading and differentiating the penalties of 2 to 32 regularized layers takes a constant number of dispatches', async () => {
    const counts: Array<{ k: number; read: number; grad: number; extra: number }> = [];
    for (const k of [2, 8, 32]) {
      const model = stack(k, () => wg.regularizers.l1l2({ l1: 0.01, l2: 0.02 }));
      const x = wg.ones([2, 5]);
      model.apply(x);
      const ws = model.trainableWeights;
      expect(ws).toHaveLength(k);

      const d0 = wg.memory().numDispatches;
      const losses = model.losses;
      const read = wg.memory().numDispatches - d0;
      expectClose(
        await values(losses),
        await Promise.all(ws.map(async (w) => {
          const v = await w.data();
          return 0.01 * sumAbs(v) + 0.02 * sumSq(v);
        })),
        1e-5,
        1e-6,
      );

      // Gradient of Σ losses alone.
      let tape = new wg.GradientTape();
      let sum = tape.record(() => wg.addN(model.losses));
      const d1 = wg.memory().numDispatches;
      const grads = tape.gradient(sum, ws);
      const grad = wg.memory().numDispatches - d1;
      for (let i = 0; i < k; i++) {
        const v = await ws[i].data();
        expectClose(await grads[i]!.data(), Array.from(v, (w) => 0.01 * Math.sign(w) + 0.04 * w), 1e-5, 1e-6);
      }

      // In a full step the penalty gradients go into the data gradients: one dispatch, no adds.
      const data = (): wg.Tensor => wg.sum(wg.square(model.apply(x)));
      tape = new wg.GradientTape();
      sum = tape.record(() => data());
      let d2 = wg.memory().numDispatches;
      const plain = tape.gradient(sum, ws);
      const dataOnly = wg.memory().numDispatches - d2;
      tape = new wg.GradientTape();
      sum = tape.record(() => wg.add(data(), wg.addN(model.losses)));
      d2 = wg.memory().numDispatches;
      const both = tape.gradient(sum, ws);
      const extra = wg.memory().numDispatches - d2 - dataOnly;
      for (let i = 0; i < k; i++) {
        const v = await ws[i].data();
        const p = await plain[i]!.data();
        expectClose(await both[i]!.data(), Array.from(v, (w, j) => p[j] + 0.01 * Math.sign(w) + 0.04 * w), 1e-5, 1e-5);
      }
      counts.push({ k, read, grad, extra });
      model.dispose();
    }
    expect(counts.map((c) => c.read)).toEqual([2, 2, 2]);
    // penalty_grad alone: the seed is an upload and addN hands its cotangent on as it is.
    expect(counts.map((c) => c.grad)).toEqual([1, 1, 1]);
    expect(counts.map((c) => c.extra)).toEqual([1, 1, 1]);
  });

  it('penalties read before the forward pass still add into the data gradients in place', async () => {
    const model = stack(3, () => wg.regularizers.l2(0.5));
    const x = wg.tensor(randomArray(2 * 4, 17), [2, 4]);
    model.apply(x);
    const ws = model.trainableWeights;
    const tape = new wg.GradientTape();
    const loss = tape.record(() => {
      const reg = wg.addN(model.losses);
      return wg.add(reg, wg.sum(model.apply(x)));
    });
    const grads = tape.gradient(loss, ws);
    // d/dw_i Σ (x ⊙ w1 ⊙ w2 ⊙ w3) = Σ_rows x ⊙ Π_{j≠i} w_j, plus 0.5·2·w_i.
    const w = await Promise.all(ws.map((v) => v.data()));
    const xs = randomArray(2 * 4, 17);
    for (let i = 0; i < 3; i++) {
      const expected = Array.from({ length: 4 }, (_, c) => {
        const others = w.reduce((p, wj, j) => (j === i ? p : p * wj[c]), 1);
        return (xs[c] + xs[4 + c]) * others + w[i][c];
      });
      expectClose(await grads[i]!.data(), expected, 1e-5, 1e-6);
    }
  });

  it('weights whose gradients so far share one buffer each get their own sum (no write through a shared view)', async () => {
    const model = stack(2, () => wg.regularizers.l2(0.5));
    model.apply(wg.ones([1, 3]));
    const [w1, w2] = model.trainableWeights;
    const tape = new wg.GradientTape();
    // add's VJP hands the same cotangent (views of one buffer) to w1 and w2.
    const loss = tape.record(() => wg.add(wg.sum(wg.add(w1, w2)), wg.addN(model.losses)));
    const [g1, g2] = tape.gradient(loss, [w1, w2]);
    expectClose(await g1!.data(), Array.from(await w1.data(), (v) => 1 + v), 1e-6);
    expectClose(await g2!.data(), Array.from(await w2.data(), (v) => 1 + v), 1e-6);
  });

  it('a persistent tape gives the same penalty gradients on every gradient call', async () => {
    const model = stack(3, () => wg.regularizers.l1l2({ l1: 0.1, l2: 0.2 }));
    const x = wg.ones([2, 4]);
    model.apply(x);
    const ws = model.trainableWeights;
    const tape = new wg.GradientTape({ persistent: true });
    const loss = tape.record(() => wg.add(wg.sum(model.apply(x)), wg.addN(model.losses)));
    const first = await Promise.all(tape.gradient(loss, ws).map((g) => g!.data()));
    const second = await Promise.all(tape.gradient(loss, ws).map((g) => g!.data()));
    for (let i = 0; i < 3; i++) expect(Array.from(second[i])).toEqual(Array.from(first[i]));
    tape.dispose();
  });

  it('leaves no tensors behind: repeated steps in tidy keep the tensor count fixed', async () => {
    const model = stack(4, () => wg.regularizers.l1l2());
    model.layers[1].activityRegularizer = wg.regularizers.l2(0.01);
    const x = wg.ones([3, 2]);
    const step = () =>
      wg.tidy(() => {
        const tape = new wg.GradientTape();
        const loss = tape.record(() => wg.add(wg.sum(model.apply(x, { training: true })), wg.addN(model.losses)));
        tape.gradient(loss, model.trainableWeights);
        tape.dispose();
      });
    step();
    const before = wg.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(wg.memory().numTensors).toBe(before);
    model.dispose();
    x.dispose();
  });
});
