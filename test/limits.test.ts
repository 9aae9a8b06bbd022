import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../src';
import { findGpu } from '../src/device/gpu';
import { expectClose } from './helpers';

// On a device with WebGPU's default limits, a buffer may hold 256 MiB (maxBufferSize) but a
// kernel may bind only 128 MiB of one (maxStorageBufferBindingSize). Every op checks the sizes
// its kernels bind before it allocates or encodes anything, and throws a ResourceLimitError that
// names the op, the size and the limit: no tensor is left behind and the rest of the batch (an
// assign encoded just before) still runs.

const MiB = 1 << 20;
let limit = 0;

beforeAll(async () => {
  const gpu = await findGpu();
  const adapter = await gpu.requestAdapter();
  const device = await adapter!.requestDevice(); // WebGPU's default limits
  await wg.init({ device, gpu });
  limit = device.limits.maxStorageBufferBindingSize;
  expect(limit).toBeLessThan(device.limits.maxBufferSize);
});

afterAll(async () => {
  await wg.init();
});

/** Floats one past what one binding holds (whole vec4s). */
const overLimit = () => limit / 4 + 4;

describe('size limits are checked before any work is encoded', () => {
  it('ones([40e6]) after an assign in the same batch: a ResourceLimitError, no tensor left, the assign lands', async () => {
    const v = wg.variable(wg.zeros([4]));
    await v.data();
    const before = wg.memory();
    const value = wg.tensor([1, 2, 3, 4]);
    v.assign(value);
    value.dispose();
    let error: unknown;
    try {
      wg.ones([40e6]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(wg.ResourceLimitError);
    const e = error as wg.ResourceLimitError;
    expect(e.message).toMatch(new RegExp(`^fill: .*160000000 bytes exceeds this device's maxStorageBufferBindingSize \\(${limit} bytes\\)`));
    expect([e.op, e.bytes, e.limit, e.limitBytes]).toEqual(['fill', 160e6, 'maxStorageBufferBindingSize', limit]);
    expect(Array.from(await v.data())).toEqual([1, 2, 3, 4]);
    expect(wg.memory().numTensors).toBe(before.numTensors);
    expect(wg.memory().numBytes).toBe(before.numBytes);
    v.dispose();
  });

  it('every op on a tensor one binding cannot hold, or with such a result, throws and loses nothing', async () => {
    // A tensor just over the binding limit, built by buffer copies (which no binding limit covers).
    const half = wg.zeros([overLimit() / 2]);
    const big = wg.stack([half, half]).reshape([overLimit()]);
    half.dispose();
    const wide = wg.zeros([1, 16 * MiB]); // 64 MiB: three rows of it are over the limit
    const small = wg.variable(wg.tensor([1, 2, 3]));
    const column = wg.zeros([6000, 1]);
    const sgd = wg.optimizers.sgd({ learningRate: 1 });
    const bigVariable = wg.variable(big);
    const two = wg.tensor([2]);
    const ones3 = wg.tensor([1, 1, 1]);
    const bigMatrix = big.reshape([overLimit() / 4, 4]);
    const cases: Array<[string, number, () => unknown]> = [
      ['neg', 4 * overLimit(), () => wg.neg(big)],
      ['relu', 4 * overLimit(), () => big.relu()],
      ['add (a tensor and a number)', 4 * overLimit(), () => wg.add(big, 1)],
      ['mul (broadcast)', 4 * overLimit(), () => wg.mul(big, two)],
      ['where', 4 * overLimit(), () => wg.where(big, 1, 0)],
      ['clipByValue', 4 * overLimit(), () => wg.clipByValue(big, 0, 1)],
      ['sum', 4 * overLimit(), () => wg.sum(big)],
      ['max', 4 * overLimit(), () => wg.max(big)],
      ['mean', 4 * overLimit(), () => wg.mean(big)],
      ['softmax', 4 * overLimit(), () => wg.softmax(big)],
      ['transpose', 4 * overLimit(), () => wg.transpose(bigMatrix)],
      ['broadcastTo (the result)', 3 * 64 * MiB, () => wg.broadcastTo(wide, [3, 16 * MiB])],
      ['matmul (the result, 6000 × 6000)', 4 * 36e6, () => wg.matmul(column, column, { transposeB: true })],
      ['gather (the result)', 3 * 64 * MiB, () => wg.gather(wide, [0, 0, 0])],
      ['gather (the input)', 4 * overLimit(), () => wg.gather(bigMatrix, [1, 2], 1)],
      ['meanSquaredError', 4 * overLimit(), () => wg.losses.meanSquaredError(big, big)],
      ['randomNormal', 4 * overLimit(), () => wg.randomNormal([overLimit()])],
      ['an L2 penalty', 4 * overLimit(), () => wg.regularizers.l2(0.1).apply(big)],
      ['applyGradients of two variables, the second too big', 4 * overLimit(), () => sgd.applyGradients([ones3, big], [small, bigVariable])],
    ];
    const rows: string[] = [];
    for (const [i, [name, bytes, run]] of cases.entries()) {
      const before = wg.memory();
      const value = wg.tensor([i, i + 1, i + 2]);
      small.assign(value);
      value.dispose();
      let error: unknown;
      try {
        run();
      } catch (e) {
        error = e;
      }
      expect(error, name).toBeInstanceOf(wg.ResourceLimitError);
      const e = error as wg.ResourceLimitError;
      expect(e.message, name).toMatch(new RegExp(`^\\w+(\\.\\w+)?: .* of ${bytes} bytes exceeds this device's maxStorageBufferBindingSize \\(${limit} bytes\\)\\.$`));
      rows.push(`${name.padEnd(54)} ${String(bytes).padStart(10)} bytes > ${limit}: ${e.message}`);
      // Numbers given as operands become scalar tensors that live until the task ends.
      await Promise.resolve();
      expect(wg.memory().numTensors, name).toBe(before.numTensors);
      expect(wg.memory().numBytes, name).toBe(before.numBytes);
      expect(Array.from(await small.data()), name).toEqual([i, i + 1, i + 2]);
    }
    console.log(`sizes tried against maxStorageBufferBindingSize ${limit} (maxBufferSize ${wg.getDevice().limits.maxBufferSize}):\n${rows.join('\n')}`);
    expect(sgd.iterations).toBe(0);
    for (const t of [big, wide, small, column, bigVariable, two, ones3, bigMatrix]) t.dispose();
  });

  it('a buffer past maxBufferSize is refused by name too, before it exists', () => {
    const max = wg.getDevice().limits.maxBufferSize;
    const before = wg.memory();
    const third = wg.zeros([Math.ceil(max / 12) + 4]);
    expect(() => wg.stack([third, third, third])).toThrowError(new RegExp(`^stack: .* exceeds this device's maxBufferSize \\(${max} bytes\\)`));
    expect(() => wg.tensor(new Float32Array(max / 4 + 4))).toThrowError(wg.ResourceLimitError);
    third.dispose();
    expect(wg.memory().numTensors).toBe(before.numTensors);
  });

  it('addN of tensors that fit one binding each but not stacked sums them pairwise', async () => {
    const n = 16 * MiB + 4; // 64 MiB each: three stacked are over the limit
    const ts = [1, 2, 4].map((v) => wg.fill([n], v));
    const total = wg.addN(ts);
    const values = await total.data();
    expect(values.length).toBe(n);
    expectClose([values[0], values[n >> 1], values[n - 1]], [7, 7, 7]);
    for (const t of [...ts, total]) t.dispose();
  });
});
