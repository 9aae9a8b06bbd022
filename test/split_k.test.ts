import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../src';
import { forceMatmulKernel, forceMatmulSlices } from '../src/ops/matmul_kernel';
import { checkGradients, expectClose, randomArray } from './helpers';

// Split-K (src/ops/matmul_kernel.ts): a plain product whose C makes few workgroups and whose K is
// long is summed in slices by separate workgroups, then the slices are added: two dispatches.

/** C[b] = op(A[b]) · op(B[b]) by a triple loop in float64; B shared by every batch when !bBatched. */
function matmulRef(a: Float32Array, b: Float32Array, batch: number, M: number, N: number, K: number, tA: boolean, tB: boolean, bBatched = true): Float64Array {
  const out = new Float64Array(batch * M * N);
  for (let p = 0; p < batch; p++) {
    const ao = p * M * K;
    const bo = bBatched ? p * K * N : 0;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += (tA ? a[ao + k * M + i] : a[ao + i * K + k]) * (tB ? b[bo + j * K + k] : b[bo + k * N + j]);
        out[p * M * N + i * N + j] = s;
      }
    }
  }
  return out;
}

/** The product and the dispatches it took. */
function product(a: wg.Tensor, b: wg.Tensor, opts: wg.MatmulOptions = {}): { c: wg.Tensor; dispatches: number } {
  const before = wg.memory().numDispatches;
  const c = wg.matmul(a, b, opts);
  return { c, dispatches: wg.memory().numDispatches - before };
}

// float32 sums of K products of values in [-1, 1]: the error grows like √K ulp.
const atolFor = (K: number) => 8e-6 * Math.sqrt(K);

for (const kernel of ['matmul', 'matmul_tiled'] as const) {
  describe(`split-K (shaders/${kernel}.wgsl)`, () => {
    beforeAll(() => forceMatmulKernel(kernel));
    afterAll(() => forceMatmulKernel(undefined));
    afterEach(() => forceMatmulSlices(undefined));

    // One workgroup's tile of C on either kernel (at most 64 × 64) and K ≥ 256: split on every adapter.
    const long: Array<[number, number, number, boolean, boolean]> = [
      [64, 64, 1024, true, false], // a weight gradient xᵀ·dy as dense layers take it
      [64, 64, 2048, false, true],
      [5, 7, 257, false, false],
      [33, 17, 8192, true, false],
      [63, 61, 4099, true, true],
      [20, 12, 1500, false, true],
    ];
    for (const [M, N, K, tA, tB] of long) {
      it(`${M}×${K} · ${K}×${N}${tA ? ' Aᵀ' : ''}${tB ? ' Bᵀ' : ''} splits (two dispatches) and matches float64 dot products`, async () => {
        const a = randomArray(M * K, M + 7 * K);
        const b = randomArray(K * N, N + 3 * K);
        const { c, dispatches } = product(wg.tensor(a, tA ? [K, M] : [M, K]), wg.tensor(b, tB ? [N, K] : [K, N]), { transposeA: tA, transposeB: tB });
        expect(dispatches).toBe(2);
        expect(c.shape).toEqual([M, N]);
        expectClose(await c.data(), matmulRef(a, b, 1, M, N, K, tA, tB), 1e-5, atolFor(K));
      });
    }

    it('batched [3, 20, 600] · [600, 12], B shared by the batches, split in 4 (forced) and matches', async () => {
      forceMatmulSlices(4);
      const [batch, M, N, K] = [3, 20, 12, 600];
      const a = randomArray(batch * M * K, 31);
      const b = randomArray(K * N, 32);
      const { c, dispatches } = product(wg.tensor(a, [batch, M, K]), wg.tensor(b, [K, N]));
      expect(dispatches).toBe(2);
      expect(c.shape).toEqual([batch, M, N]);
      expectClose(await c.data(), matmulRef(a, b, batch, M, N, K, false, false, false), 1e-5, atolFor(K));
    });

    it('forced on small shapes (3 slices, K from 2 to 100, odd sizes, every transpose, batched) matches', async () => {
      forceMatmulSlices(3);
      const shapes: Array<[number, number, number, number]> = [[1, 1, 1, 2], [1, 3, 17, 33], [2, 17, 3, 65], [1, 129, 33, 100], [4, 5, 9, 40]];
      for (const [batch, M, N, K] of shapes) {
        for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          const a = randomArray(batch * M * K, M + 7 * K);
          const b = randomArray(batch * K * N, N + 3 * K);
          const lead = batch > 1 ? [batch] : [];
          const { c, dispatches } = product(wg.tensor(a, [...lead, ...(tA ? [K, M] : [M, K])]), wg.tensor(b, [...lead, ...(tB ? [N, K] : [K, N])]), { transposeA: tA, transposeB: tB });
          // The tiled kernel's slices are whole K steps (16 or 32), so a K within one step stays whole.
          if (kernel === 'matmul' || K > 32) expect(dispatches).toBe(2);
          expectClose(await c.data(), matmulRef(a, b, batch, M, N, K, tA, tB), 1e-5, atolFor(K));
          c.dispose();
        }
      }
    });

    it('a bias or an activation keeps the product whole, even when forced (one dispatch)', async () => {
      forceMatmulSlices(4);
      const [M, N, K] = [6, 5, 300];
      const [a, b, bias] = [randomArray(M * K, 41), randomArray(K * N, 42), randomArray(N, 43)];
      const plain = matmulRef(a, b, 1, M, N, K, false, false);
      const withBias = product(wg.tensor(a, [M, K]), wg.tensor(b, [K, N]), { bias: wg.tensor(bias) });
      const relu = product(wg.tensor(a, [M, K]), wg.tensor(b, [K, N]), { activation: 'relu' });
      expect([withBias.dispatches, relu.dispatches]).toEqual([1, 1]);
      expectClose(await withBias.c.data(), plain.map((v, i) => v + bias[i % N]), 1e-5, atolFor(K));
      expectClose(await relu.c.data(), plain.map((v) => Math.max(v, 0)), 1e-5, atolFor(K));
    });

    it('gradients through split products match central differences (forced, 4 slices)', async () => {
      forceMatmulSlices(4);
      const w = wg.tensor(randomArray(6 * 5, 51), [6, 5]);
      await checkGradients(
        (a, b) => wg.sum(wg.mul(wg.matmul(a, b, { transposeA: true }), w)),
        [randomArray(40 * 6, 52), randomArray(40 * 5, 53)],
        [[40, 6], [40, 5]],
      );
    });
  });
}

describe('split-K in training', () => {
  it("a weight gradient over 1024 rows, split by default, is xᵀ·dy, with one dispatch more than unsplit", async () => {
    const [rows, k, n] = [1024, 64, 64];
    const x = randomArray(rows * k, 61);
    const g = randomArray(rows * n, 62);
    const w = wg.variable(wg.tensor(randomArray(k * n, 63), [k, n]));
    const gradient = async (slices: number | undefined) => {
      forceMatmulSlices(slices);
      try {
        const tape = new wg.GradientTape();
        const loss = tape.record(() => wg.sum(wg.mul(wg.matmul(wg.tensor(x, [rows, k]), w), wg.tensor(g, [rows, n]))));
        const before = wg.memory().numDispatches;
        const [dw] = tape.gradient(loss, [w]);
        return { dispatches: wg.memory().numDispatches - before, values: await dw!.data() };
      } finally {
        forceMatmulSlices(undefined);
      }
    };
    // dL/dW = xᵀ·g
    const expected = matmulRef(x, g, 1, k, n, rows, true, false);
    const whole = await gradient(1);
    const split = await gradient(undefined);
    expect(split.dispatches).toBe(whole.dispatches + 1);
    expectClose(split.values, expected, 1e-5, atolFor(rows));
    expectClose(whole.values, expected, 1e-5, atolFor(rows));
  });

  // The benchmark's small training steps (bench/engines/webgrad.ts): dense relu and linear layers,
  // l1l2 on both kernels, SGD. None of their products has a K long enough to split.
  const steps: Array<[number, number, number, number, 'ce' | 'mse']> = [[784, 256, 10, 128, 'ce'], [32, 64, 1, 32, 'mse']];
  for (const [nIn, nHidden, nOut, batch, loss] of steps) {
    it(`the ${nIn}-${nHidden}-${nOut} b${batch} step's dispatches are those of a build that never splits`, async () => {
      const perStep = async (slices: number | undefined): Promise<number> => {
        forceMatmulSlices(slices);
        try {
          const regularizer = () => wg.regularizers.l1l2({ l1: 1e-5, l2: 1e-4 });
          const model = wg.sequential({
            layers: [
              wg.layers.dense({ units: nHidden, inputShape: [nIn], activation: 'relu', kernelRegularizer: regularizer() }),
              wg.layers.dense({ units: nOut, kernelRegularizer: regularizer() }),
            ],
          });
          model.compile({
            optimizer: wg.optimizers.sgd({ learningRate: 0.05 }),
            loss: loss === 'ce' ? (yTrue: wg.Tensor, yPred: wg.Tensor) => wg.losses.categoricalCrossentropy(yTrue, yPred, { fromLogits: true }) : 'meanSquaredError',
          });
          const x = wg.tensor(randomArray(batch * nIn, 71, 0, 1), [batch, nIn]);
          const y = wg.tensor(randomArray(batch * nOut, 72, 0, 1), [batch, nOut]);
          await model.trainOnBatch(x, y);
          const before = wg.memory().numDispatches;
          await model.trainOnBatch(x, y);
          const count = wg.memory().numDispatches - before;
          model.dispose();
          x.dispose();
          y.dispose();
          return count;
        } finally {
          forceMatmulSlices(undefined);
        }
      };
      const never = await perStep(1);
      expect(never).toBeGreaterThan(0);
      expect(await perStep(undefined)).toBe(never);
    });
  }
});
