// softmax and logSoftmax over the last axis (one kernel forward, one backward) against
// TensorFlow.js's CPU backend: rows of 1, ragged widths, rows wider than a workgroup and than
// 1024, rank 1 to 5; the composed path along another axis; second derivatives against central
// differences of the float64 functions.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../src';
import { composedRules } from '../src/autodiff/composed_rules';
import type { TapeNode, VjpRule } from '../src/ops/primitive';
import { vjpRules } from '../src/ops/rules';
import { expectClose, randomArray, size } from './helpers';
import { expectLikeTf, hessianRowSums, input, secondDerivativeRowSums } from './tf_reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// [3, 1500] and [2, 1029] take the 'wide' entries (a workgroup per row), [20, 1100] the invocation per row.
const SHAPES = [[7], [5, 1], [4, 10], [3, 65], [2, 3, 33], [3, 1500], [2, 1029], [20, 1100], [2, 1, 3, 2, 5]];
const OPS = ['softmax', 'logSoftmax'] as const;

describe('softmax and logSoftmax over the last axis', () => {
  for (const op of OPS) {
    for (const shape of SHAPES) {
      it(`${op} of ${JSON.stringify(shape)}: values and gradients as TensorFlow.js`, async () => {
        await expectLikeTf((x) => wg[op](x), (x) => tf[op](x), [input(shape, shape.length * 31 + size(shape), -6, 6)]);
      });
    }

    it(`${op}: one dispatch forward and one backward, with axis -1 or rank − 1`, async () => {
      for (const axis of [-1, 2]) {
        const x = wg.tensor(randomArray(2 * 3 * 9, 3), [2, 3, 9]);
        const tape = new wg.GradientTape();
        tape.watch(x);
        const before = wg.memory().numDispatches;
        const y = tape.record(() => wg[op](x, axis));
        expect(wg.memory().numDispatches - before).toBe(1);
        const dy = wg.tensor(randomArray(x.size, 4), x.shape);
        const mid = wg.memory().numDispatches;
        const dx = tape.gradient(y, x, dy);
        expect(wg.memory().numDispatches - mid).toBe(1);
        expect(dx!.shape).toEqual([2, 3, 9]);
        for (const t of [x, y, dy, dx!]) t.dispose();
      }
    });

    it(`${op}: NaN, ±Infinity and all −Infinity in rows of 300 (a workgroup per row) and of 3, as TensorFlow.js`, async () => {
      const specials: Array<[number, number]> = [[5, NaN], [299, Infinity], [0, -Infinity]];
      const long = [
        ...specials.map(([at, v]) => Array.from({ length: 300 }, (_, i) => (i === at ? v : Math.sin(i)))),
        Array.from({ length: 300 }, () => -Infinity),
        Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? -Infinity : Math.cos(i) * 30)),
      ];
      const short = [[1, NaN, 2], [Infinity, 1, 2], [-Infinity, -Infinity, -Infinity], [-Infinity, 1, 2]];
      for (const rows of [long, short]) {
        const x = wg.tensor(rows);
        const y = wg[op](x);
        const got = await y.data();
        const want = tf.tidy(() => tf[op](tf.tensor(rows)).dataSync());
        want.forEach((w, i) => {
          if (Number.isNaN(w) || !Number.isFinite(w)) expect(Object.is(got[i], w) || (Number.isNaN(w) && Number.isNaN(got[i])), `entry ${i}: ${got[i]} vs ${w}`).toBe(true);
          else expect(Math.abs(got[i] - w), `entry ${i}`).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(w));
        });
        x.dispose();
        y.dispose();
      }
    });

    it(`${op}: few long rows take a workgroup each, many rows an invocation each`, async () => {
      for (const [shape, entry] of [[[3, 1500], 'wide'], [[20, 1100], 'main'], [[4, 10], 'main']] as const) {
        const x = wg.tensor(randomArray(size(shape), 70), [...shape]);
        const tape = new wg.GradientTape();
        tape.watch(x);
        let dx: wg.Tensor | null = null;
        const kernels = await wg.profile(() => {
          const y = tape.record(() => wg[op](x));
          dx = tape.gradient(y, x, wg.ones([...shape]));
        });
        const names = kernels.map((k) => k.kernel.split(',')[0]);
        expect(names).toContain(`masked_softmax:${entry}`);
        expect(names).toContain(`masked_softmax_grad:${entry}`);
        await dx!.data();
      }
    });

    it(`${op} along a leading axis (the composed path) as TensorFlow.js`, async () => {
      await expectLikeTf((x) => wg[op](x, 0), (x) => tf[op](tf.transpose(x)).transpose(), [input([6, 4], 41, -3, 3)]);
    });

    it(`${op}: the fused VJP and the one of recorded ops (for gradients of gradients) agree`, async () => {
      const x = wg.tensor(randomArray(5 * 70, 50, -4, 4), [5, 70]);
      const ct = wg.tensor(randomArray(5 * 70, 51), [5, 70]);
      const y = wg[op](x);
      const node: TapeNode<'maskedSoftmax'> = { prim: 'maskedSoftmax', params: { mask: 'none', scale: 1, log: op === 'logSoftmax' }, inputs: [x], output: y, needs: [true] };
      const [fused] = (vjpRules.maskedSoftmax as VjpRule<'maskedSoftmax'>)(ct, node);
      const [composed] = (composedRules.maskedSoftmax as VjpRule<'maskedSoftmax'>)(ct, node);
      expectClose(await composed!.data(), await fused!.data(), 1e-5, 1e-6);
      for (const t of [x, ct, y, fused!, composed!]) t.dispose();
    });

    it(`${op}: second derivatives as central differences of the float64 function`, async () => {
      const [rows, len] = [3, 5];
      const x = randomArray(rows * len, 60, -2, 2);
      const w = Array.from(randomArray(rows * len, 61));
      const f = (v: wg.Tensor) => wg.sum(wg.mul(wg[op](v), wg.tensor(w, [rows, len])));
      const reference = (v: number[]) => {
        let acc = 0;
        for (let r = 0; r < rows; r++) {
          const row = v.slice(r * len, (r + 1) * len);
          const top = Math.max(...row);
          const lse = top + Math.log(row.reduce((a, u) => a + Math.exp(u - top), 0));
          row.forEach((u, j) => (acc += (op === 'softmax' ? Math.exp(u - lse) : u - lse) * w[r * len + j]));
        }
        return acc;
      };
      expectClose(await secondDerivativeRowSums(f, x, [rows, len]), hessianRowSums(reference, x), 1e-3, 1e-3);
    });
  }
});
