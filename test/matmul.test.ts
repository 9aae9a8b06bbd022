import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../src';
import { forceMatmulKernel } from '../src/ops/matmul_kernel';
import { checkGradients, expectClose, randomArray } from './helpers';

/** Plain triple loop in float64: C[b] = op(A[b]) op(B[b]). */
function matmulRef(
  a: Float32Array, b: Float32Array, batch: number, M: number, N: number, K: number,
  tA: boolean, tB: boolean, aBatched: boolean, bBatched: boolean,
): Float32Array {
  const out = new Float32Array(batch * M * N);
  for (let p = 0; p < batch; p++) {
    const ao = aBatched ? p * M * K : 0;
    const bo = bBatched ? p * K * N : 0;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const av = tA ? a[ao + k * M + i] : a[ao + i * K + k];
          const bv = tB ? b[bo + j * K + k] : b[bo + k * N + j];
          s += av * bv;
        }
        out[p * M * N + i * N + j] = s;
      }
    }
  }
  return out;
}

// Both kernels run here whatever the adapter: the register-tiled one (chosen on CPU adapters)
// and the workgroup-memory one (chosen on GPUs).
for (const kernel of ['matmul', 'matmul_tiled'] as const) describe(`matmul (shaders/${kernel}.wgsl)`, () => {
  beforeAll(() => forceMatmulKernel(kernel));
  afterAll(() => forceMatmulKernel(undefined));
  const sizes: Array<[number, number, number]> = [
    [1, 1, 1], [3, 17, 33], [17, 3, 1], [33, 129, 17], [129, 33, 257], [64, 64, 64], [257, 5, 3],
    // every dimension a multiple of 4 (the tiled kernel's vec4 path), in whole tiles and not,
    // with few tiles (its K step of 32) and with many (16)
    [4, 8, 4], [132, 68, 36], [128, 64, 32], [772, 772, 8],
  ];
  for (const [M, N, K] of sizes) {
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      it(`${M}×${K} · ${K}×${N}${tA ? ' Aᵀ' : ''}${tB ? ' Bᵀ' : ''} matches the reference`, async () => {
        const a = randomArray(M * K, M + 7 * K, -1, 1);
        const b = randomArray(K * N, N + 3 * K, -1, 1);
        const c = wg.matmul(wg.tensor(a, tA ? [K, M] : [M, K]), wg.tensor(b, tB ? [N, K] : [K, N]), { transposeA: tA, transposeB: tB });
        expect(c.shape).toEqual([M, N]);
        // Sums of K products of values in [-1, 1]: float32 error grows like √K ulp.
        expectClose(await c.data(), matmulRef(a, b, 1, M, N, K, tA, tB, false, false), 1e-5, 2e-6 * Math.sqrt(K) * 4);
      });
    }
  }

  it('batched rank 3, with a rank-2 operand shared by every batch', async () => {
    const [batch, M, N, K] = [3, 5, 7, 9];
    const a = randomArray(batch * M * K, 1);
    const b = randomArray(batch * K * N, 2);
    const w = randomArray(K * N, 3);
    const c = wg.matmul(wg.tensor(a, [batch, M, K]), wg.tensor(b, [batch, K, N]));
    expect(c.shape).toEqual([batch, M, N]);
    expectClose(await c.data(), matmulRef(a, b, batch, M, N, K, false, false, true, true), 1e-5, 1e-5);
    const d = wg.matmul(wg.tensor(a, [batch, M, K]), wg.tensor(w, [K, N]));
    expectClose(await d.data(), matmulRef(a, w, batch, M, N, K, false, false, true, false), 1e-5, 1e-5);
    const e = wg.matmul(wg.tensor(b, [batch, K, N]), wg.tensor(a.slice(0, M * K), [M, K]), { transposeA: true, transposeB: true });
    expect(e.shape).toEqual([batch, N, M]);
    expectClose(await e.data(), matmulRef(b, a, batch, N, M, K, true, true, true, false), 1e-5, 1e-5);
  });

  it('batched, every dimension a multiple of 4, with a shared operand and transposes', async () => {
    const [batch, M, N, K] = [2, 12, 8, 16];
    const a = randomArray(batch * M * K, 4);
    const w = randomArray(K * N, 5);
    const c = wg.matmul(wg.tensor(a, [batch, M, K]), wg.tensor(w, [K, N]));
    expectClose(await c.data(), matmulRef(a, w, batch, M, N, K, false, false, true, false), 1e-5, 1e-5);
    const d = wg.matmul(wg.tensor(a, [batch, K, M]), wg.tensor(w, [N, K]), { transposeA: true, transposeB: true });
    expectClose(await d.data(), matmulRef(a, w, batch, M, N, K, true, true, true, false), 1e-5, 1e-5);
  });

  it('VJPs match central differences for every transpose combination', async () => {
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const [M, N, K] = [3, 4, 5];
      const w = randomArray(M * N, 9);
      await checkGradients(
        (x, y) => wg.sum(wg.mul(wg.matmul(x, y, { transposeA: tA, transposeB: tB }), wg.tensor(w, [M, N]))),
        [randomArray(M * K, 10), randomArray(K * N, 11)],
        [tA ? [K, M] : [M, K], tB ? [N, K] : [K, N]],
      );
    }
  });

  it('VJP of a batch-shared weight sums over the batch', async () => {
    const w = randomArray(2 * 3 * 4, 12);
    await checkGradients(
      (x, y) => wg.sum(wg.mul(wg.matmul(x, y), wg.tensor(w, [2, 3, 4]))),
      [randomArray(2 * 3 * 5, 13), randomArray(5 * 4, 14)],
      [[2, 3, 5], [5, 4]],
    );
  });

  it('inner-dimension mismatch throws ShapeError naming both shapes, before any dispatch', () => {
    const a = wg.zeros([2, 3]);
    const b = wg.zeros([4, 5]);
    const [v, p, q] = [wg.zeros([2]), wg.zeros([2, 2, 3]), wg.zeros([3, 3, 4])];
    const before = wg.memory().numDispatches;
    expect(() => wg.matmul(a, b)).toThrowError(/matmul: inner dimensions differ \(3 vs 4\) for a \[2,3\] and b \[4,5\]/);
    expect(() => wg.matmul(v, b)).toThrowError(wg.ShapeError);
    expect(() => wg.matmul(p, q)).toThrowError(/batch sizes differ/);
    expect(wg.memory().numDispatches).toBe(before);
  });
});

describe('matmul with a fused bias', () => {
  it('adds the bias to every row and its VJP gives the bias the column sums', async () => {
    const [M, N, K] = [5, 7, 3];
    const a = randomArray(M * K, 31);
    const b = randomArray(K * N, 32);
    const bias = randomArray(N, 33);
    const ref = matmulRef(a, b, 1, M, N, K, false, false, false, false).map((v, i) => v + bias[i % N]);
    const before = wg.memory().numDispatches;
    const c = wg.matmul(wg.tensor(a, [M, K]), wg.tensor(b, [K, N]), { bias: wg.tensor(bias) });
    expect(wg.memory().numDispatches).toBe(before + 1);
    expectClose(await c.data(), ref, 1e-5, 1e-5);
    const w = randomArray(M * N, 34);
    await checkGradients(
      (x, y, z) => wg.sum(wg.mul(wg.matmul(x, y, { bias: z }), wg.tensor(w, [M, N]))),
      [a, b, bias],
      [[M, K], [K, N], [N]],
    );
    expect(() => wg.matmul(wg.tensor(a, [M, K]), wg.tensor(b, [K, N]), { bias: wg.zeros([N + 1]) })).toThrowError(/bias \[8\] must have N = 7/);
  });
});

describe('matmul with a fused activation', () => {
  type Fusable = NonNullable<wg.MatmulOptions['activation']>;
  const acts = {
    relu: (z) => Math.max(z, 0),
    leakyRelu: (z) => (z > 0 ? z : 0.2 * z),
    elu: (z) => (z > 0 ? z : Math.exp(z) - 1),
    sigmoid: (z) => 1 / (1 + Math.exp(-z)),
    tanh: (z) => Math.tanh(z),
  } satisfies { [name in Fusable]?: (z: number) => number };
  for (const kernel of ['matmul', 'matmul_tiled'] as const) {
    for (const [activation, f] of Object.entries(acts) as [keyof typeof acts, (z: number) => number][]) {
      it(`${activation} in the epilogue of ${kernel}: forward matches f(AB + bias), VJP matches central differences`, async () => {
        forceMatmulKernel(kernel);
        try {
          const [M, N, K] = [6, 9, 5];
          const a = randomArray(M * K, 41, -2, 2);
          const b = randomArray(K * N, 42, -2, 2);
          const bias = randomArray(N, 43);
          const ref = matmulRef(a, b, 1, M, N, K, false, false, false, false).map((v, i) => f(v + bias[i % N]));
          const [at, bt, ct] = [wg.tensor(a, [M, K]), wg.tensor(b, [K, N]), wg.tensor(bias)];
          const before = wg.memory().numDispatches;
          const y = wg.matmul(at, bt, { bias: ct, activation });
          expect(wg.memory().numDispatches).toBe(before + 1); // the whole layer is one kernel
          expectClose(await y.data(), ref, 1e-5, 1e-5);
          const w = randomArray(M * N, 44);
          await checkGradients(
            (x, k, c) => wg.sum(wg.mul(wg.matmul(x, k, { bias: c, activation }), wg.tensor(w, [M, N]))),
            [a, b, bias],
            [[M, K], [K, N], [N]],
          );
        } finally {
          forceMatmulKernel(undefined);
        }
      });
    }
  }

  it('refuses activations whose derivative needs the input', () => {
    // @ts-expect-error gelu is not fusable: rejected at run time too
    expect(() => wg.matmul(wg.ones([2, 2]), wg.ones([2, 2]), { activation: 'gelu' })).toThrowError(wg.InvalidArgumentError);
  });
});
