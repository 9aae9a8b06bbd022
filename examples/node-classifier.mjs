// A Keras-style classifier: a Sequential model with L2-regularized kernels, trained with fit,
// its penalties read from model.losses, then saved to disk and loaded back.
// In your own project: `npm install @webgrad/core webgpu`, then `node node-classifier.mjs`.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as wg from '@webgrad/core';

await wg.init();

// Three clouds of 2-D points around three centres; the label is the cloud's index.
const centres = [[0, 2], [-1.7, -1], [1.7, -1]];
const n = 600;
const labels = Array.from({ length: n }, (_, i) => i % 3);
const x = wg.add(wg.tensor(labels.map((k) => centres[k])), wg.randomNormal([n, 2], { stddev: 0.6, seed: 7 }));
const y = wg.tensor(labels);

const model = wg.sequential({
  layers: [
    wg.layers.dense({ units: 16, activation: 'relu', inputShape: [2], kernelRegularizer: wg.regularizers.l2(1e-3) }),
    wg.layers.dense({ units: 3, activation: 'softmax', kernelRegularizer: wg.regularizers.l2(1e-3) }),
  ],
});
model.compile({ optimizer: wg.optimizers.adam({ learningRate: 0.05 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });

const history = await model.fit(x, y, {
  epochs: 15,
  batchSize: 32,
  validationSplit: 0.2,
  seed: 1,
  callbacks: {
    onEpochEnd: (epoch, logs) => {
      if (epoch % 5 === 4) console.log(`epoch ${epoch + 1}: loss ${logs.loss.toFixed(4)}, val_accuracy ${logs.val_accuracy.toFixed(3)}`);
    },
  },
});
const { loss, val_accuracy: valAccuracy } = history.history;
console.log(`loss ${loss[0].toFixed(4)} → ${loss.at(-1).toFixed(4)}, validation accuracy ${valAccuracy.at(-1).toFixed(3)}`);

// model.losses: one GPU scalar per regularized kernel, recomputed from the current weights.
// fit added them to the compiled loss; history.history.regularizationLoss is their epoch mean.
const penalties = model.losses;
const penalty = wg.addN(penalties);
console.log(`penalty now ${(await penalty.data())[0].toFixed(5)} from ${penalties.length} kernels`);
for (const t of [...penalties, penalty]) t.dispose();

// Save in the TensorFlow.js layers format (model.json + weights.bin), load it back, compare.
const dir = mkdtempSync(join(tmpdir(), 'webgrad-classifier-'));
await model.save(`file://${dir}`);
const restored = await wg.loadModel(`file://${dir}`);
const difference = wg.max(wg.abs(wg.sub(restored.predict(x), model.predict(x))));
console.log(`saved to ${dir}; restored predictions differ by ${(await difference.data())[0]}`);
