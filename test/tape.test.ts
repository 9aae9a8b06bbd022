import { describe, expect, it } from 'vitest';
import * as wg from '../src';
import { expectClose } from './helpers';

describe('GradientTape', () => {
  it('gives d/dw of a small loss: L = Σ (w·x)², dL/dw = 2 (w·x) x', async () => {
    const w = wg.variable(wg.tensor([1, -2, 3]));
    const x = wg.tensor([0.5, 1, 2]);
    const tape = new wg.GradientTape();
    const loss = tape.record(() => wg.square(wg.sum(wg.mul(w, x))));
    const [dw] = tape.gradient(loss, [w]);
    const dot = 0.5 - 2 + 6;
    expectClose(await loss.data(), [dot * dot]);
    expectClose(await dw!.data(), [2 * dot * 0.5, 2 * dot * 1, 2 * dot * 2]);
  });

  it('accumulates fan-out: y = x·x + x gives dy/dx = 2x + 1', async () => {
    const x = wg.tensor([3]);
    const tape = new wg.GradientTape();
    tape.watch(x);
    const y = tape.record(() => wg.add(wg.mul(x, x), x));
    expectClose(await tape.gradient(y, x)!.data(), [7]);
  });

  it('returns null for sources the target does not depend on', () => {
    const a = wg.variable(wg.tensor([1]));
    const b = wg.variable(wg.tensor([2]));
    const tape = new wg.GradientTape();
    const y = tape.record(() => wg.mul(a, 3));
    const [da, db] = tape.gradient(y, [a, b]);
    expect(da).not.toBeNull();
    expect(db).toBeNull();
  });

  it('records ops run from anywhere inside record (a getter)', async () => {
    const w = wg.variable(wg.tensor([2]));
    const holder = { get penalty() { return wg.square(w); } };
    const tape = new wg.GradientTape();
    const y = tape.record(() => holder.penalty);
    expectClose(await tape.gradient(y, w)!.data(), [4]);
  });

  it('does not record outside record() and ignores plain tensors unless watched', () => {
    const x = wg.tensor([1]);
    const tape = new wg.GradientTape();
    const y = tape.record(() => wg.mul(x, 2));
    expect(tape.gradient(y, x)).toBeNull();
  });

  it('does not watch non-trainable variables automatically', () => {
    const v = wg.variable(wg.tensor([1]), { trainable: false });
    const tape = new wg.GradientTape();
    const y = tape.record(() => wg.mul(v, 2));
    expect(tape.gradient(y, v)).toBeNull();
  });

  it('allows one gradient call on a non-persistent tape, many on a persistent one', async () => {
    const w = wg.variable(wg.tensor([1, 2]));
    const tape = new wg.GradientTape();
    const y = tape.record(() => wg.sum(wg.square(w)));
    tape.gradient(y, [w]);
    expect(() => tape.gradient(y, [w])).toThrowError(wg.GradientTapeError);

    const p = new wg.GradientTape({ persistent: true });
    const z = p.record(() => wg.sum(wg.square(w)));
    const u = p.record(() => wg.sum(wg.mul(w, 3)));
    expectClose(await p.gradient(z, w)!.data(), [2, 4]);
    expectClose(await p.gradient(u, w)!.data(), [3, 3]);
    p.dispose();
    expect(() => p.gradient(z, w)).toThrowError(wg.GradientTapeError);
  });

  it('differentiates a list of targets as their sum, with one dy per target', async () => {
    // a = Σ w², b = Σ 3w, c = w²: d(a + b)/dw = 2w + 3; with c's dy = [1, 2]: 2w·[1, 2] added.
    const w = wg.variable(wg.tensor([1, -2]));
    const tape = new wg.GradientTape({ persistent: true });
    const [a, b, c] = tape.record(() => [wg.sum(wg.square(w)), wg.sum(wg.mul(w, 3)), wg.square(w)]);
    expectClose(await tape.gradient([a, b], w)!.data(), [2 * 1 + 3, 2 * -2 + 3]);
    expectClose(await tape.gradient([a, a], w)!.data(), [4, -8]);
    expectClose(await tape.gradient([a, c], w, [undefined, wg.tensor([1, 2])])!.data(), [2 + 2, -4 - 8]);
    expect(() => tape.gradient([a, c], w)).toThrowError(/target 1 has shape \[2\]/);
    expect(() => tape.gradient([a, b], w, [undefined])).toThrowError(wg.InvalidArgumentError);
    expect(() => tape.gradient([], w)).toThrowError(wg.InvalidArgumentError);
    tape.dispose();
  });

  it('takes dy for a non-scalar target and refuses to guess without it', async () => {
    const x = wg.tensor([1, 2, 3]);
    const tape = new wg.GradientTape({ persistent: true });
    tape.watch(x);
    const y = tape.record(() => wg.square(x));
    expect(() => tape.gradient(y, x)).toThrowError(wg.ShapeError);
    expect(() => tape.gradient(y, x, wg.tensor([1, 1]))).toThrowError(/dy has shape \[2\].*\[3\]/);
    expectClose(await tape.gradient(y, x, wg.tensor([1, 0, -1]))!.data(), [2, 0, -6]);
  });

  it('keeps the values it saved even when the user disposes or reassigns them', async () => {
    const w = wg.variable(wg.tensor([3]));
    const x = wg.tensor([5]);
    const tape = new wg.GradientTape();
    const y = tape.record(() => wg.mul(w, x));
    x.dispose();
    w.assign(wg.tensor([100]));
    expectClose(await tape.gradient(y, w)!.data(), [5]);
  });

  it('an op that throws inside record leaves no half-recorded state', async () => {
    const w = wg.variable(wg.tensor([1, 2]));
    const tape = new wg.GradientTape();
    const before = wg.memory().numTensors;
    expect(() =>
      wg.tidy(() =>
        tape.record(() => {
          wg.mul(w, 2);
          return wg.add(w, wg.zeros([3]));
        }),
      ),
    ).toThrowError(wg.ShapeError);
    // The tape's views of the recorded mul were dropped with the failed record.
    expect(wg.memory().numTensors).toBe(before);
    const y = tape.record(() => wg.sum(wg.mul(w, w)));
    expectClose(await tape.gradient(y, w)!.data(), [2, 4]);
  });

  it('un-broadcasts gradients: a bias added to every row gets the column sums', async () => {
    const b = wg.variable(wg.tensor([0, 0, 0]));
    const x = wg.tensor([[1, 2, 3], [4, 5, 6]]);
    const tape = new wg.GradientTape();
    const y = tape.record(() => wg.sum(wg.mul(wg.add(x, b), x)));
    expectClose(await tape.gradient(y, b)!.data(), [5, 7, 9]);
  });

  it('stopGradient blocks the gradient', async () => {
    const x = wg.tensor([2]);
    const tape = new wg.GradientTape();
    tape.watch(x);
    const y = tape.record(() => wg.add(wg.mul(x, x), wg.mul(wg.stopGradient(x), x)));
    expectClose(await tape.gradient(y, x)!.data(), [4 + 2]);
  });

  it('releases what it saved after gradient: live tensors return to the baseline', () => {
    const w = wg.variable(wg.tensor([1, 2, 3]));
    const base = wg.memory().numTensors;
    wg.tidy(() => {
      const tape = new wg.GradientTape();
      const y = tape.record(() => wg.sum(wg.tanh(wg.mul(w, 2))));
      tape.gradient(y, [w]);
    });
    expect(wg.memory().numTensors).toBe(base);
  });
});
