// wg.profile: each dispatch in a timed pass of its own.
import { describe, expect, it } from 'vitest';
import * as wg from '../src';

describe('profile', () => {
  it('times consecutive dispatches of one pipeline (each pass sets its pipeline again) and leaves their results right', async () => {
    const a = wg.tensor([1, 2, 3, 4], [4]);
    let sum: wg.Tensor | null = null;
    const kernels = await wg.profile(() => {
      sum = wg.add(wg.add(a, a), a);
    });
    const calls = kernels.reduce((n, k) => n + k.calls, 0);
    expect(calls).toBe(2);
    expect(kernels.every((k) => k.ms >= 0)).toBe(true);
    expect(Array.from(await sum!.data())).toEqual([3, 6, 9, 12]);
  });
});
