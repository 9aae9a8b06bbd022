import { describe, expect, it } from 'vitest';
import * as wg from '../src';
import { checkShader } from '../src/kernels/index';
import { expectClose } from './helpers';

describe('tensors', () => {
  it('round-trips nested arrays, Float32Array and scalars with their shapes', async () => {
    const t = wg.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.rank).toBe(2);
    expect(t.size).toBe(6);
    expect(await t.array()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(await wg.tensor(new Float32Array([1, 2, 3, 4]), [2, 2]).array()).toEqual([[1, 2], [3, 4]]);
    expect(await wg.scalar(2.5).array()).toBe(2.5);
    expect(wg.scalar(1).shape).toEqual([]);
  });

  it('fills zeros, ones and constants', async () => {
    expectClose(await wg.zeros([2, 2]).data(), [0, 0, 0, 0]);
    expectClose(await wg.ones([3]).data(), [1, 1, 1]);
    expectClose(await wg.fill([2], -7.5).data(), [-7.5, -7.5]);
    // Large fills run the fill kernel; small ones are uploads.
    const before = wg.memory().numDispatches;
    const big = wg.fill([70, 50], 2.5);
    expect(wg.memory().numDispatches).toBe(before + 1);
    expectClose(await big.data(), new Float32Array(3500).fill(2.5));
  });

  it('uploads large arrays (beyond the staging arena) intact', async () => {
    const n = 100_003;
    const v = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const back = await wg.tensor(v).data();
    expectClose(back, v, 0, 0);
  });

  it('rejects values that do not fill the shape, and ragged arrays, with ShapeError', () => {
    expect(() => wg.tensor([1, 2, 3], [2, 2])).toThrowError(/3 values do not fill shape \[2,2\]/);
    expect(() => wg.tensor([[1, 2], [3]])).toThrowError(wg.ShapeError);
    expect(() => wg.zeros([2, -1])).toThrowError(wg.ShapeError);
  });

  it('randomNormal is seeded and has the requested moments', async () => {
    const n = 20_000;
    const a = await wg.randomNormal([n], { mean: 2, stddev: 3, seed: 42 }).data();
    const b = await wg.randomNormal([n], { mean: 2, stddev: 3, seed: 42 }).data();
    const c = await wg.randomNormal([n], { mean: 2, stddev: 3, seed: 43 }).data();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    const mean = a.reduce((s, v) => s + v, 0) / n;
    const sd = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
    // Standard error of the mean is 3/√20000 ≈ 0.021; allow 5 of them.
    expect(Math.abs(mean - 2)).toBeLessThan(0.11);
    expect(Math.abs(sd - 3)).toBeLessThan(0.1);
  });

  it('randomUniform stays in [minval, maxval) with a flat histogram', async () => {
    const n = 20_000;
    const u = await wg.randomUniform([n], { minval: -1, maxval: 3, seed: 7 }).data();
    const bins = new Array(4).fill(0);
    for (const v of u) {
      expect(v >= -1 && v < 3).toBe(true);
      bins[Math.floor(v + 1)]++;
    }
    for (const count of bins) expect(Math.abs(count - n / 4)).toBeLessThan(400); // ~6 sd
  });

  it('truncatedNormal stays within two standard deviations', async () => {
    const t = await wg.truncatedNormal([5000], { stddev: 0.5, seed: 3 }).data();
    expect(Math.max(...t.map(Math.abs))).toBeLessThanOrEqual(1.0000001);
  });
});

describe('variables', () => {
  it('assign replaces the value and checks the shape', async () => {
    const v = wg.variable(wg.tensor([1, 2]), { name: 'v' });
    expect(v.trainable).toBe(true);
    expect(v.name).toBe('v');
    v.assign(wg.tensor([5, 6]));
    expectClose(await v.data(), [5, 6]);
    expect(() => v.assign(wg.tensor([1, 2, 3]))).toThrowError(/variable 'v' has shape \[2\].*\[3\]/);
    expectClose(await v.data(), [5, 6]);
  });

  it('a variable is a copy: changing the initial tensor does not change it', async () => {
    const init = wg.tensor([1]);
    const v = wg.variable(init);
    init.dispose();
    expectClose(await v.data(), [1]);
  });
});

describe('memory management', () => {
  it('tidy disposes intermediates, keeps the result and kept tensors', async () => {
    const before = wg.memory().numTensors;
    let kept!: wg.Tensor;
    const out = wg.tidy(() => {
      const a = wg.ones([4]);
      kept = wg.keep(wg.mul(a, 3));
      return wg.add(a, 1);
    });
    expect(wg.memory().numTensors).toBe(before + 2);
    expectClose(await out.data(), [2, 2, 2, 2]);
    expectClose(await kept.data(), [3, 3, 3, 3]);
    out.dispose();
    kept.dispose();
    expect(wg.memory().numTensors).toBe(before);
  });

  it('live tensors and pooled bytes stay flat over 200 training-like steps inside tidy', async () => {
    const w = wg.variable(wg.randomNormal([17, 5], { seed: 1 }));
    const x = wg.randomNormal([33, 17], { seed: 2 });
    const step = () =>
      wg.tidy(() => {
        const tape = new wg.GradientTape();
        const loss = tape.record(() => wg.mean(wg.square(wg.tanh(wg.mul(wg.sum(x, 0), 0.1)).reshape([17, 1]).mul(w))));
        const [g] = tape.gradient(loss, [w]);
        w.assign(wg.sub(w, wg.mul(g!, 0.01)));
      });
    for (let i = 0; i < 5; i++) step();
    await wg.sync();
    const start = wg.memory();
    for (let i = 0; i < 200; i++) step();
    await wg.sync();
    const end = wg.memory();
    expect(end.numTensors).toBe(start.numTensors);
    expect(end.numBytes).toBe(start.numBytes);
    expect(end.numPooledBytes).toBe(start.numPooledBytes);
    expect(end.numDispatches).toBeGreaterThan(start.numDispatches);
  });
});

describe('errors', () => {
  it('a disposed tensor throws DisposedTensorError on use, before GPU work', () => {
    const t = wg.tensor([1, 2]);
    t.dispose();
    const live = wg.ones([2]);
    const before = wg.memory().numDispatches;
    expect(() => wg.exp(t)).toThrowError(wg.DisposedTensorError);
    expect(() => wg.add(live, t)).toThrowError(/add: tensor \[2\].*disposed/);
    expect(wg.memory().numDispatches).toBe(before);
    expect(t.isDisposed).toBe(true);
  });

  it('non-tensor operands get InvalidArgumentError naming the op', () => {
    // @ts-expect-error a string operand: rejected at run time too
    expect(() => wg.matmul('x', wg.ones([2, 2]))).toThrowError(/matmul: argument 'a'/);
    // @ts-expect-error a null operand: rejected at run time too
    expect(() => wg.sum(null)).toThrowError(wg.InvalidArgumentError);
  });

  it('init with no adapter throws WebGPUUnavailableError that says how to get one', async () => {
    // A stub: init asks a GPU for nothing but an adapter.
    const stub: Pick<GPU, 'requestAdapter'> = { requestAdapter: async () => null };
    const noAdapter = stub as GPU;
    await expect(wg.init({ gpu: noAdapter })).rejects.toThrowError(wg.WebGPUUnavailableError);
    await expect(wg.init({ gpu: noAdapter })).rejects.toThrowError(/SwiftShader|--enable-unsafe-webgpu/);
    // The engine in use is untouched.
    expectClose(await wg.add(wg.ones([1]), 1).data(), [2]);
  });

  it('a WGSL error is reported with shaders/file.wgsl:line:column', async () => {
    const broken = 'fn main() {\n  let x: f32 = 1u;\n}\n';
    await expect(checkShader('broken', broken)).rejects.toThrowError(wg.ShaderCompileError);
    await expect(checkShader('broken', broken)).rejects.toThrowError(/shaders\/broken\.wgsl:2:\d+/);
  });

  it('every shader in shaders/ compiles', async () => {
    const names = await wg.compileAllShaders();
    expect(names.length).toBeGreaterThanOrEqual(7);
  });

  it('memory() reports the adapter-independent counters', () => {
    const m = wg.memory();
    for (const k of ['numTensors', 'numBytes', 'numPooledBytes', 'numDispatches'] as const) expect(typeof m[k]).toBe('number');
  });
});
