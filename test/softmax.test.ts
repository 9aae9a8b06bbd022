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

const SHAPES = [[7], [5, 1], [4, 10], [3, 65], [2, 3, 33], [3, 1500], [2, 1, 3, 2, 5]];
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
