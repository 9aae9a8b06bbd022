import { describe, expect, it } from 'vitest';
import * as wg from '../src';
import { expectClose } from './helpers';

describe('wg.profile', () => {
  it('times consecutive dispatches of one pipeline, each in a pass of its own, and they still compute', async () => {
    // [[1, 2], [3, 4]]² = [[7, 10], [15, 22]]; the square again = [[199, 290], [435, 634]].
    const a = wg.tensor([[1, 2], [3, 4]]);
    let c: wg.Tensor | undefined;
    const times = await wg.profile(async () => {
      const b = wg.matmul(a, a);
      c = wg.matmul(b, b);
      b.dispose();
      await wg.sync();
    });
    const matmuls = times.filter((t) => t.kernel.startsWith('matmul'));
    expect(matmuls.reduce((n, t) => n + t.calls, 0)).toBe(2);
    expect(matmuls.every((t) => t.ms >= 0)).toBe(true);
    expectClose(await c!.data(), [199, 290, 435, 634]);
  });
});
