import { it, expect } from 'vitest';
import * as wg from '../src';
it('nan probe', async () => {
  const x = wg.tensor([1, 2, Infinity, 3e38, -3e38, 1e-45]);
  const y = wg.tensor([1, NaN, 2]);
  const z = wg.tensor([3e38, 3e38, -Infinity]);
  const w = wg.tensor([3e38, 3e38, 3e38]);
  for (const t of [x, y, z, w]) console.log(await wg.sum(wg.mul(t, 0)).data(), await wg.mul(t, 0).data());
});
