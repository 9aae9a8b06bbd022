import { describe, expect, it } from 'vitest';
import * as wg from '../src';
import { checkGradients, expectClose, randomArray } from './helpers';

/** Plain reference: x viewed as [outer, n, inner], out[o, j, i] = x[o, idx[j], i] (0 out of range). */
function gatherRef(x: ArrayLike<number>, shape: number[], idx: number[], axis: number): number[] {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const n = shape[axis];
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const r of idx) for (let i = 0; i < inner; i++) out.push(r >= 0 && r < n ? x[(o * n + r) * inner + i] : 0);
  }
  return out;
}

describe('gather', () => {
  it('takes int32 indices (a tensor or an Int32Array) and gives what float32 indices give, gradient included', async () => {
    const x = randomArray(7 * 5, 11);
    const idx = [6, 0, 3, 3, -1, 9];
    const xt = wg.tensor(x, [7, 5]);
    const ids = wg.tensor(idx, [6], 'int32');
    expectClose(await wg.gather(xt, ids).data(), gatherRef(x, [7, 5], idx, 0), 0, 0);
    expectClose(await wg.gather(xt, new Int32Array(idx)).data(), gatherRef(x, [7, 5], idx, 0), 0, 0);
    const tape = new wg.GradientTape();
    tape.watch(xt);
    const [dx] = tape.gradient(tape.record(() => wg.sum(wg.gather(xt, ids))), [xt]);
    const counts = [1, 0, 0, 2, 0, 0, 1];
    expectClose(await dx!.data(), counts.flatMap((c) => new Array(5).fill(c)), 0, 0);
    for (const t of [xt, ids, dx!]) t.dispose();
  });

  it('picks rows (axis 0) with repeats, in any order', async () => {
    const x = randomArray(7 * 5, 1);
    const idx = [6, 0, 3, 3, 1];
    const out = wg.gather(wg.tensor(x, [7, 5]), wg.tensor(idx));
    expect(out.shape).toEqual([5, 5]);
    expectClose(await out.data(), gatherRef(x, [7, 5], idx, 0), 0, 0);
  });

  it('gathers along an inner axis with 2-D indices (TF.js output shape)', async () => {
    const x = randomArray(3 * 4 * 2, 2);
    const idx = [[3, 1], [0, 0], [2, 3]];
    const out = wg.gather(wg.tensor(x, [3, 4, 2]), wg.tensor(idx), 1);
    expect(out.shape).toEqual([3, 3, 2, 2]);
    expectClose(await out.data(), gatherRef(x, [3, 4, 2], idx.flat(), 1), 0, 0);
  });

  it('indices outside the axis (or negative) read as 0', async () => {
    const out = wg.gather(wg.tensor([[1, 2], [3, 4]]), [1, 2, -1]);
    expect(await out.array()).toEqual([[3, 4], [0, 0], [0, 0]]);
  });

  it('VJP sums repeated rows back (central differences)', async () => {
    const idx = wg.tensor([4, 1, 1, 0, 4, 4]);
    const w = wg.tensor(randomArray(6 * 3, 3), [6, 3]);
    await checkGradients((x) => wg.sum(wg.mul(wg.gather(x, idx), w)), [randomArray(5 * 3, 4)], [[5, 3]]);
    const idx1 = wg.tensor([2, 0, 2]);
    const w1 = wg.tensor(randomArray(2 * 3 * 2, 5), [2, 3, 2]);
    await checkGradients((x) => wg.sum(wg.mul(wg.gather(x, idx1, 1), w1)), [randomArray(2 * 3 * 2, 6)], [[2, 3, 2]]);
  });

  it('rejects an axis out of range', () => {
    expect(() => wg.gather(wg.zeros([2, 2]), [0], 2)).toThrow(wg.InvalidArgumentError);
  });
});
