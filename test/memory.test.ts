import { afterEach, describe, expect, it, vi } from 'vitest';
import * as wg from '../src';
import { engine } from '../src/device/engine';
import { MIN_POOL_BUDGET, STAGING_BUDGET, sizeClass } from '../src/device/pool';

// The buffer pool keeps idle buffers for reuse up to a budget, max(64 MiB, the most bytes tensors
// held at once), and readbacks keep idle staging buffers up to 32 MiB; `releaseMemory()` frees
// both. A steady training step must still find every buffer it needs in the pool.

const MiB = 1 << 20;
const fmtMiB = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

function model(inputs: number, hidden: number, units: number): wg.Sequential {
  const m = wg.sequential({
    layers: [
      wg.layers.dense({ units: hidden, inputShape: [inputs], activation: 'relu', kernelInitializer: wg.initializers.glorotUniform({ seed: 1 }) }),
      wg.layers.dense({ units, kernelInitializer: wg.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  m.compile({ optimizer: wg.optimizers.adam({ learningRate: 1e-3 }), loss: 'sparseCategoricalCrossentropy' });
  return m;
}

afterEach(() => {
  engine().pool.minBudget = MIN_POOL_BUDGET;
  wg.releaseMemory();
});

describe('size classes', () => {
  it('waste less than 1/8 of each buffer from 128 bytes on, and nearby sizes share a class', () => {
    for (let bytes = 1; bytes < 64 * MiB; bytes = Math.ceil(bytes * 1.37) + 3) {
      const size = sizeClass(bytes);
      expect(size % 16).toBe(0);
      expect(size).toBeGreaterThanOrEqual(bytes);
      if (bytes >= 128) expect((size - bytes) / size).toBeLessThan(1 / 8);
    }
    expect(sizeClass(10 * MiB + 1)).toBe(sizeClass(11 * MiB));
  });
});

describe('a bounded pool', () => {
  it('growing tensors (1 … 24 MiB), each filled, read and disposed, leave the pool under its budget; releaseMemory empties it', async () => {
    wg.releaseMemory();
    const start = wg.memory();
    let peakPooled = 0;
    let peakStaging = 0;
    for (let mib = 1; mib <= 24; mib++) {
      const n = (mib * MiB) / 4;
      const t = wg.fill([n], mib);
      const values = await t.data();
      expect(values[n - 1]).toBe(mib);
      t.dispose();
      const m = wg.memory();
      peakPooled = Math.max(peakPooled, m.numPooledBytes);
      peakStaging = Math.max(peakStaging, m.numStagingBytes);
      expect(m.numPooledBytes).toBeLessThanOrEqual(engine().pool.budget);
      expect(m.numStagingBytes).toBeLessThanOrEqual(STAGING_BUDGET);
    }
    const settled = wg.memory();
    expect(settled.numTensors).toBe(start.numTensors);
    expect(settled.numBytes).toBe(start.numBytes);
    expect(engine().pool.budget).toBe(MIN_POOL_BUDGET); // no more than one 24 MiB tensor lived at once
    expect(peakStaging).toBeGreaterThan(0); // readbacks' buffers are counted
    wg.releaseMemory();
    const released = wg.memory();
    expect(released.numPooledBytes).toBe(0);
    expect(released.numStagingBytes).toBe(0);
    console.log(
      `growing tensors 1…24 MiB: pool peak ${fmtMiB(peakPooled)}, settled ${fmtMiB(settled.numPooledBytes)} (budget ${fmtMiB(MIN_POOL_BUDGET)}); ` +
        `staging peak ${fmtMiB(peakStaging)}, settled ${fmtMiB(settled.numStagingBytes)} (budget ${fmtMiB(STAGING_BUDGET)}); after releaseMemory 0 and 0`,
    );
    // Work after a release makes its buffers afresh.
    const again = wg.fill([1000], 3);
    expect((await wg.sum(again).data())[0]).toBe(3000);
  });

  it('predict on 20 batch sizes keeps the pool under its budget', async () => {
    const m = model(1024, 64, 10);
    wg.releaseMemory();
    const budgets: number[] = [];
    let peakPooled = 0;
    for (let i = 1; i <= 20; i++) {
      const rows = 100 * i + (i % 3);
      const x = wg.randomNormal([rows, 1024], { seed: i });
      const y = m.predict(x, { batchSize: rows });
      expect(y.shape).toEqual([rows, 10]);
      expect((await y.data()).every(Number.isFinite)).toBe(true);
      x.dispose();
      y.dispose();
      const pooled = wg.memory().numPooledBytes;
      peakPooled = Math.max(peakPooled, pooled);
      budgets.push(engine().pool.budget);
      expect(pooled).toBeLessThanOrEqual(engine().pool.budget);
    }
    console.log(`predict at 20 batch sizes (100 … 2002 rows of 1024): pool peak ${fmtMiB(peakPooled)}, settled ${fmtMiB(wg.memory().numPooledBytes)}, budget ${fmtMiB(Math.max(...budgets))}`);
    m.dispose();
  });

  it('soak: 300 training steps at changing batch sizes keep pooled bytes bounded; a repeated step still makes no buffer', async () => {
    const m = model(256, 64, 10);
    const sample = (rows: number, seed: number) => ({
      x: wg.randomNormal([rows, 256], { seed }),
      y: wg.tensor(Float32Array.from({ length: rows }, (_, i) => (i * 7 + seed) % 10)),
    });
    await m.trainOnBatch(sample(8, 0).x, sample(8, 0).y); // builds the model
    wg.releaseMemory();
    // A small floor, so the bound is the peak of live bytes (weights, Adam's slots, a step's values).
    engine().pool.minBudget = 2 * MiB;
    let peakPooled = 0;
    for (let step = 0; step < 300; step++) {
      const rows = 16 + ((step * 37) % 241); // 16 … 256 rows, no two neighbours alike
      const { x, y } = sample(rows, step);
      const logs = await m.trainOnBatch(x, y);
      expect(Number.isFinite(logs.loss)).toBe(true);
      x.dispose();
      y.dispose();
      const pooled = wg.memory().numPooledBytes;
      peakPooled = Math.max(peakPooled, pooled);
      expect(pooled).toBeLessThanOrEqual(engine().pool.budget);
    }
    const budget = engine().pool.budget;
    expect(budget).toBeLessThan(4 * MiB);

    // The same step again and again: after the first, the pool serves every buffer.
    const { x, y } = sample(200, 1);
    await m.trainOnBatch(x, y);
    await m.trainOnBatch(x, y);
    const creates = vi.spyOn(GPUDevice.prototype, 'createBuffer');
    for (let i = 0; i < 20; i++) await m.trainOnBatch(x, y);
    expect(creates).not.toHaveBeenCalled();
    creates.mockRestore();
    console.log(
      `soak: 300 trainOnBatch steps at 16 … 256 rows: pool peak ${fmtMiB(peakPooled)}, settled ${fmtMiB(wg.memory().numPooledBytes)}, ` +
        `budget ${fmtMiB(budget)}, live ${fmtMiB(wg.memory().numBytes)}`,
    );
    for (const t of [x, y]) t.dispose();
    m.dispose();
  });
});
