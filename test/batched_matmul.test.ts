import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../src';
import { forceMatmulKernel } from '../src/ops/matmul_kernel';
import { checkGradients, randomArray, size } from './helpers';
import { expectLikeTf, expectThrowsBeforeWork, input } from './tf_reference';

// matmul over leading batch dimensions that broadcast by NumPy's rules (attention's
// [b, h, q, d] · [b, h, d, k]), against TensorFlow.js's CPU backend. Its own matMul gradient
// does not sum broadcast batch dimensions back, so the reference broadcasts the operands first,
// by multiplying with ones (mul's gradient does the summing, at any rank).

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The result's batch dimensions for operands of these shapes. */
function batchOf(a: number[], b: number[]): number[] {
  const [ba, bb] = [a.slice(0, -2), b.slice(0, -2)];
  const rank = Math.max(ba.length, bb.length);
  return Array.from({ length: rank }, (_, i) => Math.max(ba[ba.length - rank + i] ?? 1, bb[bb.length - rank + i] ?? 1));
}

function tfMatmul(a: tf.Tensor, b: tf.Tensor, tA: boolean, tB: boolean): tf.Tensor {
  const batch = batchOf(a.shape, b.shape);
  const full = (t: tf.Tensor) => tf.mul(t, tf.ones([...batch, ...t.shape.slice(-2)]));
  return tf.matMul(full(a), full(b), tA, tB);
}

const cases: Array<[string, number[], number[], boolean, boolean]> = [
  ['attention scores [b,h,q,d]·[b,h,d,k]', [2, 3, 5, 4], [2, 3, 4, 6], false, false],
  ['attention scores with keys transposed in place', [2, 3, 5, 4], [2, 3, 6, 4], false, true],
  ['a rank-2 operand shared by a rank-4 batch', [2, 3, 5, 4], [4, 6], false, false],
  ['rank 3 against rank 4 with a batch dimension of 1', [3, 5, 4], [2, 1, 4, 6], false, false],
  ['a batch of 1 repeated over heads ([b,1,m,k]·[b,h,k,n])', [2, 1, 5, 4], [2, 3, 4, 6], false, false],
  ['both operands repeated ([1,h]·[b,1]), both transposed', [1, 3, 4, 5], [2, 1, 6, 4], true, true],
  ['rank 5, odd sizes', [2, 1, 3, 3, 7], [2, 2, 1, 7, 1], false, false],
];

for (const kernel of ['matmul', 'matmul_tiled'] as const) {
  describe(`batched matmul with broadcasting (shaders/${kernel}.wgsl)`, () => {
    beforeAll(() => forceMatmulKernel(kernel));
    afterAll(() => forceMatmulKernel(undefined));
    for (const [what, sa, sb, tA, tB] of cases) {
      it(`${what}: value and both gradients as TensorFlow.js`, async () => {
        await expectLikeTf(
          (a, b) => wg.matmul(a, b, { transposeA: tA, transposeB: tB }),
          (a, b) => tfMatmul(a, b, tA, tB),
          [input(sa, size(sa)), input(sb, size(sb) + 1)],
          { rtol: 1e-5, atol: 1e-5 },
        );
      });
    }

    it('a fused bias and activation on a rank-4 batch: as TensorFlow.js', async () => {
      await expectLikeTf(
        (a, b, c) => wg.matmul(a, b, { bias: c, activation: 'tanh' }),
        (a, b, c) => tf.tanh(tf.add(tfMatmul(a, b, false, false), c)),
        [input([2, 2, 3, 5], 1), input([2, 2, 5, 4], 2), input([4], 3)],
        { rtol: 1e-5, atol: 1e-5 },
      );
    });
  });
}

describe('batched matmul: dispatches, gradients, errors', () => {
  it('operands with the result\'s batch or none are read in place (one dispatch); one that broadcasts partly is copied once', () => {
    const count = (a: number[], b: number[]) => {
      const [x, y] = [wg.ones(a), wg.ones(b)];
      const before = wg.memory().numDispatches;
      const c = wg.matmul(x, y);
      const n = wg.memory().numDispatches - before;
      for (const t of [x, y, c]) t.dispose();
      return n;
    };
    expect(count([2, 3, 5, 4], [2, 3, 4, 6])).toBe(1);
    expect(count([2, 3, 5, 4], [4, 6])).toBe(1);
    expect(count([1, 1, 5, 4], [2, 3, 4, 6])).toBe(1);
    expect(count([3, 5, 4], [1, 3, 4, 6])).toBe(1);
    expect(count([2, 1, 5, 4], [2, 3, 4, 6])).toBe(2);
    expect(count([1, 3, 5, 4], [2, 1, 4, 6])).toBe(3);
  });

  it('gradients agree with central differences where both operands broadcast', async () => {
    const w = wg.tensor(randomArray(2 * 3 * 2 * 3, 7), [2, 3, 2, 3]);
    await checkGradients(
      (a, b) => wg.sum(wg.mul(wg.matmul(a, b), w)),
      [randomArray(3 * 2 * 4, 8), randomArray(2 * 4 * 3, 9)],
      [[1, 3, 2, 4], [2, 1, 4, 3]],
    );
  });

  it('batch dimensions that do not broadcast, rank below 2 or above 8, int32 operands: typed errors naming both shapes, before any work', () => {
    const [a, b] = [wg.ones([2, 3, 4, 5]), wg.ones([4, 5, 6])];
    expectThrowsBeforeWork(() => wg.matmul(a, b), wg.ShapeError, /matmul: batch sizes differ \(\[2,3\] vs \[4\]\) for a \[2,3,4,5\] and b \[4,5,6\]/);
    const v = wg.ones([5]);
    expectThrowsBeforeWork(() => wg.matmul(v, b), wg.ShapeError, /rank 2 or more/);
    const deep = wg.ones([1, 1, 1, 1, 1, 1, 1, 2, 2]);
    expectThrowsBeforeWork(() => wg.matmul(deep, deep), wg.ShapeError, /rank 9 exceeds/);
    const i = wg.tensor([[1, 2], [3, 4]], undefined, 'int32');
    expectThrowsBeforeWork(() => wg.matmul(i, i), wg.InvalidArgumentError, /float32/);
  });
});
