import { describe, expect, it } from 'vitest';
import * as wg from '../src';
import { expectClose } from './helpers';

describe('device loss', () => {
  it('a destroyed device turns pending reads and later work into DeviceLostError; init() again works', async () => {
    const w = wg.variable(wg.randomNormal([64], { seed: 1 }));
    const x = wg.randomNormal([32, 64], { seed: 2 });
    const step = () =>
      wg.tidy(() => {
        const tape = new wg.GradientTape();
        const loss = tape.record(() => wg.mean(wg.square(wg.mul(x, w))));
        const [g] = tape.gradient(loss, [w]);
        w.assign(wg.sub(w, wg.mul(g!, 0.1)));
        return loss;
      });
    step();
    const pending = step().data();
    wg.getDevice().destroy();
    await expect(pending).rejects.toThrowError(wg.DeviceLostError);
    expect(() => step()).toThrowError(wg.DeviceLostError);
    expect(() => wg.tensor([1])).toThrowError(wg.DeviceLostError);

    await wg.init();
    expect(() => wg.exp(x)).toThrowError(/lost or replaced/);
    const fresh = wg.variable(wg.tensor([1, 2]));
    expectClose(await wg.mul(fresh, 2).data(), [2, 4]);
  });
});
