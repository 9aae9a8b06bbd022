import { describe, expect, it } from 'vitest';
import * as wg from '../src';
import { randomArray } from './helpers';

// Thousands of training steps of a small regularized model: once warm, live tensors, live bytes
// and the buffer pool must not move at all, step after step (a leak of one 4-byte scalar per step
// would show as a thousand tensors more here).

function regularizedModel(): wg.Sequential {
  const model = wg.sequential({
    layers: [
      wg.layers.dense({
        units: 16,
        inputShape: [8],
        activation: 'relu',
        kernelInitializer: wg.initializers.glorotUniform({ seed: 1 }),
        kernelRegularizer: wg.regularizers.l2(1e-3),
        biasRegularizer: wg.regularizers.l1(1e-4),
      }),
      wg.layers.dropout({ rate: 0.1, seed: 7 }),
      wg.layers.dense({ units: 1, kernelInitializer: wg.initializers.glorotUniform({ seed: 2 }), kernelRegularizer: wg.regularizers.l1l2({ l1: 1e-4, l2: 1e-3 }) }),
    ],
  });
  model.compile({ optimizer: wg.optimizers.adam({ learningRate: 0.01 }), loss: 'mse' });
  return model;
}

/** y = Σ x·w + noise-free offset: a target the model can learn. */
function data(n: number, seed: number): { x: wg.Tensor; y: wg.Tensor } {
  const x = randomArray(n * 8, seed);
  const w = randomArray(8, seed + 1);
  const y = Float32Array.from({ length: n }, (_, i) => w.reduce((acc, wj, j) => acc + wj * x[i * 8 + j], 0.5));
  return { x: wg.tensor(x, [n, 8]), y: wg.tensor(y, [n, 1]) };
}

const snapshot = () => {
  const { numTensors, numBytes, numPooledBytes } = wg.memory();
  return { numTensors, numBytes, numPooledBytes };
};

describe('long runs', () => {
  it('1000 trainOnBatch steps and 2048 fit batches keep tensors, bytes and the pool flat', async () => {
    const model = regularizedModel();
    const { x, y } = data(32, 3);
    const first = await model.trainOnBatch(x, y);
    for (let i = 0; i < 49; i++) await model.trainOnBatch(x, y);
    const warm = snapshot();
    const samples: Array<ReturnType<typeof snapshot>> = [];
    let started = performance.now();
    let last = first;
    for (let step = 1; step <= 1000; step++) {
      last = await model.trainOnBatch(x, y);
      if (step % 100 === 0) samples.push(snapshot());
    }
    const trainOnBatchMs = (performance.now() - started) / 1000;
    for (const s of samples) expect(s).toEqual(warm);
    expect(last.loss).toBeLessThan(first.loss / 10);

    // fit: 32 epochs × 64 shuffled batches; memory is read at every epoch's end.
    const big = data(512, 5);
    const perEpoch: Array<ReturnType<typeof snapshot>> = [];
    await model.fit(big.x, big.y, { epochs: 1, batchSize: 8, seed: 1, verbose: 0 }); // warms fit's own buffers (shuffle order, batch copies)
    const fitWarm = snapshot();
    started = performance.now();
    const history = await model.fit(big.x, big.y, { epochs: 32, batchSize: 8, seed: 2, verbose: 0, callbacks: { onEpochEnd: () => void perEpoch.push(snapshot()) } });
    const fitBatchMs = (performance.now() - started) / (32 * 64);
    // During the fit, its running sums of the logs are alive too: the same at every epoch's end.
    expect(perEpoch.length).toBe(32);
    for (const s of perEpoch) expect(s).toEqual(perEpoch[0]);
    expect(perEpoch[0].numTensors).toBe(fitWarm.numTensors + 1);
    expect(snapshot()).toEqual(fitWarm);
    expect(history.history.loss[31]).toBeLessThan(history.history.loss[0]);
    expect(history.history.regularizationLoss[31]).toBeGreaterThan(0);

    console.log(
      `long run: 1000 trainOnBatch steps (${trainOnBatchMs.toFixed(2)} ms each) with memory ${JSON.stringify(warm)} at every ` +
        `100th step; 2048 fit batches (${fitBatchMs.toFixed(2)} ms each) with ${JSON.stringify(perEpoch[0])} at every epoch end ` +
        `and ${JSON.stringify(fitWarm)} after; loss ${first.loss.toFixed(4)} → ${last.loss.toFixed(4)}, fit ` +
        `${history.history.loss[0].toFixed(4)} → ${history.history.loss[31].toFixed(4)}`,
    );
    for (const t of [x, y, big.x, big.y]) t.dispose();
    model.dispose();
  }, 300_000);
});
