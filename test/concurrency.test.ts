import { describe, expect, it } from 'vitest';
import * as wg from '../src';
import { expectClose, randomArray } from './helpers';

// Two models training in one process share the device, the command stream and the buffer pool.
// Interleaved, each must end exactly where it ends alone, and a read issued between steps (while
// earlier steps may still be running on the GPU) must see a consistent state: the weights after
// some whole step, never a mix.

interface Setup {
  model: wg.Sequential;
  x: wg.Tensor;
  y: wg.Tensor;
}

/** A deterministic regularized classifier (seeded weights and dropout) with its data. */
function setup(kind: 'a' | 'b'): Setup {
  const [inputs, hidden, classes, seed] = kind === 'a' ? [6, 12, 3, 10] : [5, 8, 4, 20];
  const model = wg.sequential({
    layers: [
      wg.layers.dense({
        units: hidden,
        inputShape: [inputs],
        activation: 'tanh',
        kernelInitializer: wg.initializers.glorotUniform({ seed }),
        kernelRegularizer: wg.regularizers.l1l2({ l1: 1e-3, l2: 1e-3 }),
      }),
      wg.layers.dropout({ rate: 0.2, seed: seed + 1 }),
      wg.layers.dense({ units: classes, activation: 'softmax', kernelInitializer: wg.initializers.glorotUniform({ seed: seed + 2 }) }),
    ],
  });
  model.compile({ optimizer: wg.optimizers.adam({ learningRate: 0.02 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const n = 48;
  const x = randomArray(n * inputs, seed + 3);
  const y = Float32Array.from({ length: n * classes }, (_, i) => (Math.floor(i / classes) % classes === i % classes ? 1 : 0));
  return { model, x: wg.tensor(x, [n, inputs]), y: wg.tensor(y, [n, classes]) };
}

/** All weights, end to end, read in one synchronous block (so from one point of the stream). */
async function readAll(model: wg.Layer): Promise<Float32Array> {
  const parts = await Promise.all(model.weights.map((w) => w.data()));
  return Float32Array.from(parts.flatMap((p) => [...p]));
}

const fitOptions = { epochs: 4, batchSize: 8, seed: 3, verbose: 0 } as const;

function dispose(...setups: Setup[]): void {
  for (const s of setups) {
    s.model.dispose();
    s.x.dispose();
    s.y.dispose();
  }
}

describe('concurrency', () => {
  it('two fits interleaved (Promise.all) end with the same weights and histories as each alone', async () => {
    // Alone, one after the other; every batch's weights are recorded.
    const aloneA = setup('a');
    const stepsA: Float32Array[] = [];
    const historyA = await aloneA.model.fit(aloneA.x, aloneA.y, { ...fitOptions, callbacks: { onBatchEnd: async () => void stepsA.push(await readAll(aloneA.model)) } });
    const aloneB = setup('b');
    const historyB = await aloneB.model.fit(aloneB.x, aloneB.y, fitOptions);
    const [finalA, finalB] = [await readAll(aloneA.model), await readAll(aloneB.model)];

    // Together: A reads its weights after every batch (awaiting a readback each time), so B's
    // steps run in between.
    const a = setup('a');
    const b = setup('b');
    const order: string[] = [];
    const stepsTogether: Float32Array[] = [];
    const [historyA2, historyB2] = await Promise.all([
      a.model.fit(a.x, a.y, { ...fitOptions, callbacks: { onBatchEnd: async () => (order.push('a'), void stepsTogether.push(await readAll(a.model))) } }),
      b.model.fit(b.x, b.y, { ...fitOptions, callbacks: { onBatchEnd: () => void order.push('b') } }),
    ]);
    const switches = order.slice(1).filter((m, i) => m !== order[i]).length;
    expect(switches).toBeGreaterThan(10); // they really did take turns

    expectClose(await readAll(a.model), finalA, 0, 0);
    expectClose(await readAll(b.model), finalB, 0, 0);
    expect(historyA2.history).toEqual(historyA.history);
    expect(historyB2.history).toEqual(historyB.history);
    // Each read between A's batches, issued while B's steps were queued too, saw A's weights after that batch.
    expect(stepsTogether.length).toBe(stepsA.length);
    stepsTogether.forEach((w, i) => expectClose(w, stepsA[i], 0, 0));
    dispose(aloneA, aloneB, a, b);
  });

  it('reads issued while steps are in flight return consistent, correct values', async () => {
    // Reference: the weights before the first step and after each of 24 trainOnBatch steps.
    const reference = setup('a');
    const states = [await readAll(reference.model)];
    for (let k = 0; k < 24; k++) {
      await reference.model.trainOnBatch(reference.x, reference.y);
      states.push(await readAll(reference.model));
    }

    // The same steps, each read issued at once after starting a step: the read is encoded before
    // the step's own work, so it must see exactly the state before that step.
    const m = setup('a');
    for (let k = 0; k < 24; k++) {
      const step = m.model.trainOnBatch(m.x, m.y);
      const before = readAll(m.model);
      await step;
      expectClose(await before, states[k], 0, 0);
      expectClose(await readAll(m.model), states[k + 1], 0, 0);
    }

    // A fit in flight (no callbacks: it submits many steps between its yields to the event loop)
    // while another loop keeps reading: every read of the weights matches one whole step of the
    // reference, in order, and an unrelated product read alongside is exact.
    const reference2 = setup('b');
    const states2 = [await readAll(reference2.model)];
    await reference2.model.fit(reference2.x, reference2.y, { ...fitOptions, callbacks: { onBatchEnd: async () => void states2.push(await readAll(reference2.model)) } });
    const m2 = setup('b');
    const a = randomArray(16 * 8, 7);
    const b = randomArray(8 * 4, 8);
    const product = Float32Array.from({ length: 16 * 4 }, (_, e) => {
      const [i, j] = [Math.floor(e / 4), e % 4];
      let acc = 0;
      for (let k = 0; k < 8; k++) acc += a[i * 8 + k] * b[k * 4 + j];
      return acc;
    });
    const ta = wg.tensor(a, [16, 8]);
    const tb = wg.tensor(b, [8, 4]);
    let done = false;
    const training = m2.model.fit(m2.x, m2.y, fitOptions).finally(() => (done = true));
    const seen: number[] = [];
    while (!done) {
      const c = wg.matmul(ta, tb);
      const [w, values] = await Promise.all([readAll(m2.model), c.data()]);
      c.dispose();
      expectClose(values, product, 1e-5, 1e-6);
      const k = states2.findIndex((s) => s.every((v, i) => Object.is(v, w[i])));
      expect(k, 'a read saw weights of no whole step').toBeGreaterThanOrEqual(0);
      seen.push(k);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await training;
    expect(seen.some((k) => k > 0 && k < states2.length - 1), 'no read landed mid-training').toBe(true);
    expect([...seen].sort((p, q) => p - q)).toEqual(seen); // never backwards
    expectClose(await readAll(m2.model), states2[states2.length - 1], 0, 0);
    ta.dispose();
    tb.dispose();
    dispose(reference, m, reference2, m2);
  });
});
