import { describe, expect, it } from 'vitest';
import * as wg from '../src';
import { expectClose, randomArray } from './helpers';

// Sparse labels are class indices: integers in [0, classes). A label that is none (out of range,
// negative, fractional, NaN) must never be scored as some class: the loss functions give NaN, with
// NaN gradients so that no update from them comes out finite, and fit, evaluate and trainOnBatch
// reject such labels with a typed error before any weight changes.

const CLASSES = 3;
const logits = [[0.5, -1, 2], [1, 0.25, -0.5], [-2, 1.5, 0]];

/** (1/rows)(softmax(x) − onehot(y)) per row: the gradient of the mean sparse cross-entropy. */
function referenceGradient(x: number[][], labels: number[]): number[] {
  return x.flatMap((row, r) => {
    const m = Math.max(...row);
    const total = row.reduce((s, v) => s + Math.exp(v - m), 0);
    return row.map((v, c) => (Math.exp(v - m) / total - (c === labels[r] ? 1 : 0)) / x.length);
  });
}

/** The loss and its gradient with respect to the predictions. */
async function lossAndGradient(labels: number[], pred: number[][], fromLogits: boolean): Promise<[number, Float32Array]> {
  const p = wg.tensor(pred);
  const tape = new wg.GradientTape();
  tape.watch(p);
  const loss = tape.record(() => wg.losses.sparseCategoricalCrossentropy(wg.tensor(labels), p, { fromLogits }));
  const [g] = tape.gradient(loss, [p]);
  const out: [number, Float32Array] = [(await loss.data())[0], await g!.data()];
  tape.dispose();
  for (const t of [p, loss, g!]) t.dispose();
  return out;
}

const softmaxRows = (x: number[][]) =>
  x.map((row) => {
    const e = row.map(Math.exp);
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  });

describe('sparseCategoricalCrossentropy on labels that are no class index', () => {
  for (const bad of [CLASSES, 5, -1, 1.5, 0.0001, NaN]) {
    for (const fromLogits of [true, false]) {
      it(`label ${bad} of ${CLASSES} classes (${fromLogits ? 'logits' : 'probabilities'}): NaN loss and a NaN gradient in its row only`, async () => {
        const labels = [0, bad, 2];
        const pred = fromLogits ? logits : softmaxRows(logits);
        const [loss, g] = await lossAndGradient(labels, pred, fromLogits);
        expect(loss).toBeNaN();
        // The bad row: NaN throughout; the others: finite.
        for (let c = 0; c < CLASSES; c++) expect(g[CLASSES + c]).toBeNaN();
        for (const r of [0, 2]) for (let c = 0; c < CLASSES; c++) expect(Number.isFinite(g[r * CLASSES + c])).toBe(true);
        if (fromLogits) {
          // The good rows keep their exact gradient: (softmax − onehot)/rows.
          const expected = referenceGradient(logits, labels);
          expectClose([...g.slice(0, 3), ...g.slice(6)], [...expected.slice(0, 3), ...expected.slice(6)], 1e-5, 1e-7);
        }
      });
    }
  }

  it('valid labels (0 … C−1, given as [N] or [N,1]) keep the formula, loss and gradient', async () => {
    const labels = [2, 0, 1];
    const [loss, g] = await lossAndGradient(labels, logits, true);
    const expectedLoss = logits.reduce((s, row, r) => s + Math.log(row.reduce((a, v) => a + Math.exp(v), 0)) - row[labels[r]], 0) / 3;
    expect(loss).toBeCloseTo(expectedLoss, 5);
    expectClose(g, referenceGradient(logits, labels), 1e-5, 1e-7);
    const column = wg.losses.sparseCategoricalCrossentropy(wg.tensor(labels, [3, 1]), wg.tensor(softmaxRows(logits)));
    expect((await column.data())[0]).toBeCloseTo(expectedLoss, 5);
  });
});

/** A seeded softmax classifier of 4 features into 3 classes. */
function classifier(): wg.Sequential {
  return wg.sequential({
    layers: [
      wg.layers.dense({ units: 5, inputShape: [4], activation: 'tanh', kernelInitializer: wg.initializers.glorotUniform({ seed: 1 }) }),
      wg.layers.dense({ units: CLASSES, activation: 'softmax', kernelInitializer: wg.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
}

const logitsLoss = (t: wg.Tensor, p: wg.Tensor) => wg.losses.sparseCategoricalCrossentropy(t, p, { fromLogits: true });

const x = () => wg.tensor(randomArray(10 * 4, 3), [10, 4]);
const goodLabels = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0];
const withLabel = (at: number, value: number) => goodLabels.map((v, i) => (i === at ? value : v));

async function weightsOf(model: wg.Layer): Promise<number[]> {
  return (await Promise.all(model.weights.map((w) => w.data()))).flatMap((d) => [...d]);
}

describe('fit, evaluate and trainOnBatch reject labels that are no class index', () => {
  const cases: Array<[string, wg.CompileArgs['loss']]> = [
    ['the loss by name', 'sparseCategoricalCrossentropy'],
    ['the Keras name', 'sparse_categorical_crossentropy'],
    ['the loss function itself', wg.losses.sparseCategoricalCrossentropy],
    ['a function of the user calling it with fromLogits', logitsLoss],
  ];
  for (const [how, loss] of cases) {
    it(`${how}: label 5 of 3 classes, -1, 1.5: InvalidArgumentError naming the sample, weights and optimizer unchanged`, async () => {
      const model = classifier();
      const optimizer = wg.optimizers.adam(0.01);
      model.compile({ optimizer, loss });
      const before = await weightsOf(model);
      for (const [at, bad] of [[7, 5], [2, -1], [4, 1.5], [9, CLASSES]]) {
        const y = wg.tensor(withLabel(at, bad));
        const message = new RegExp(`^fit: y \\[10\\] holds the label ${bad} in sample ${at}, outside the valid range .*\\[0, 3\\).*no weight was changed`);
        await expect(model.fit(x(), y, { epochs: 2, batchSize: 4, verbose: 0 })).rejects.toThrow(message);
        await expect(model.fit(x(), y, { epochs: 1, verbose: 0 })).rejects.toThrow(wg.InvalidArgumentError);
        await expect(model.evaluate(x(), y)).rejects.toThrow(/^evaluate: y \[10\] holds the label/);
        await expect(model.trainOnBatch(x(), y)).rejects.toThrow(/^trainOnBatch: y \[10\] holds the label/);
        y.dispose();
      }
      expect(await weightsOf(model)).toEqual(before);
      expect(optimizer.iterations).toBe(0);
      // Good labels train, in either shape.
      const h = await model.fit(x(), wg.tensor(goodLabels, [10, 1]), { epochs: 2, batchSize: 4, verbose: 0 });
      expect(h.history.loss.every(Number.isFinite)).toBe(true);
      expect(await weightsOf(model)).not.toEqual(before);
      model.dispose();
    });
  }

  it('bad labels in validationData are rejected before the first step', async () => {
    const model = classifier();
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const before = await weightsOf(model);
    const validationData: [wg.Tensor, wg.Tensor] = [wg.tensor(randomArray(3 * 4, 9), [3, 4]), wg.tensor([1, 3, 0])];
    await expect(model.fit(x(), wg.tensor(goodLabels), { validationData, verbose: 0 })).rejects.toThrow(
      /^fit: validationData y \[3\] holds the label 3 in sample 1/,
    );
    expect(await weightsOf(model)).toEqual(before);
    model.dispose();
  });

  it('a label that is fine for a 5-class model fails a 3-class one (the check knows the model)', async () => {
    const y = wg.tensor(withLabel(0, 4));
    const wide = wg.sequential({ layers: [wg.layers.dense({ units: 5, inputShape: [4], activation: 'softmax' })] });
    wide.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await wide.fit(x(), y, { verbose: 0 });
    const narrow = classifier();
    narrow.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await expect(narrow.fit(x(), y, { verbose: 0 })).rejects.toThrow(/label 4 in sample 0/);
    wide.dispose();
    narrow.dispose();
  });

  it('losses of values (mse, a custom one) take any finite y: nothing is read as a class', async () => {
    const model = wg.sequential({ layers: [wg.layers.dense({ units: 1, inputShape: [4] })] });
    const y = wg.tensor(goodLabels.map((v) => [v * 2.5 - 7]));
    for (const loss of ['mse', (t: wg.Tensor, p: wg.Tensor) => wg.losses.meanAbsoluteError(t, p)] as const) {
      model.compile({ optimizer: 'sgd', loss });
      const h = await model.fit(x(), y, { epochs: 1, verbose: 0 });
      expect(Number.isFinite(h.history.loss[0])).toBe(true);
    }
    model.dispose();
  });
});
