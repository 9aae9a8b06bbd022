// Hostile-input and lifetime checks: tapes that free what they recorded, higher-order gradients,
// tidy's survivors, loading that trusts neither paths nor shapes, typed errors for odd inputs, and
// nested models that round-trip. References: formulas, TensorFlow.js (CPU backend).
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as wg from '../src';
import { expectClose, randomArray } from './helpers';
import { hessianRowSums, secondDerivativeRowSums } from './tf_reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const live = (): number => wg.memory().numTensors;

/** The README's regularized model (inputShape 4, two regularized kernels). */
function readmeModel(): wg.Sequential {
  return wg.sequential({
    layers: [
      wg.layers.dense({ units: 32, activation: 'relu', inputShape: [4], kernelRegularizer: wg.regularizers.l1l2({ l1: 1e-4, l2: 1e-3 }) }),
      wg.layers.dense({ units: 3, activation: 'softmax', kernelRegularizer: wg.regularizers.l2(1e-3) }),
    ],
  });
}

describe('a tape owns what its record made', () => {
  it("the README's penalty step, run 300 times, leaves the tensor count flat and the gradients right", async () => {
    const model = readmeModel();
    const step = (): Array<wg.Tensor | null> => {
      const tape = new wg.GradientTape();
      const penalty = tape.record(() => wg.addN(model.losses)); // recomputed from the current weights
      const grads = tape.gradient(penalty, model.trainableWeights);
      penalty.dispose();
      return grads;
    };
    for (const g of step()) g?.dispose();
    const start = live();
    for (let i = 0; i < 300; i++) for (const g of step()) g?.dispose();
    expect(live()).toBe(start);
    const grads = step();
    const kernel = await model.trainableWeights[0].data();
    expectClose(await grads[0]!.data(), Array.from(kernel, (v) => 1e-4 * Math.sign(v) + 2e-3 * v), 1e-4, 1e-7);
    for (const g of grads) g?.dispose();
    model.dispose();
  });

  it('frees intermediates after a non-persistent gradient, and on dispose() for a persistent tape; keeps what the caller holds', async () => {
    const x = wg.tensor([1, 2, 3]);
    const w = wg.variable(wg.tensor([0.5, -1, 2]));
    const start = live();
    let intermediate: wg.Tensor | undefined;
    let kept: wg.Tensor | undefined;
    const tape = new wg.GradientTape();
    const out = tape.record(() => {
      intermediate = wg.mul(x, w);
      kept = wg.keep(wg.exp(intermediate));
      return { loss: wg.sum(wg.square(intermediate)), extra: [wg.add(x, 1)] };
    });
    expect(intermediate!.isDisposed).toBe(false); // alive until the tape is done with it
    const [dw] = tape.gradient(out.loss, [w]);
    expect(intermediate!.isDisposed).toBe(true);
    for (const t of [x, w, kept!, out.loss, out.extra[0], dw!]) expect(t.isDisposed).toBe(false);
    // d/dw Σ(xw)² = 2x²w
    expectClose(await dw!.data(), [2 * 1 * 0.5, 2 * 4 * -1, 2 * 9 * 2]);
    expect(live()).toBe(start + 4); // kept, loss, extra, dw
    for (const t of [kept!, out.loss, out.extra[0], dw!]) t.dispose();

    const persistent = new wg.GradientTape({ persistent: true });
    let made: wg.Tensor[] = [];
    const y = persistent.record(() => {
      made = [wg.mul(x, w)];
      made.push(wg.exp(made[0]));
      return wg.sum(made[1]);
    });
    persistent.gradient(y, w)!.dispose();
    persistent.gradient(y, w)!.dispose();
    expect(made.map((t) => t.isDisposed)).toEqual([false, false]); // until dispose()
    persistent.dispose();
    expect(made.map((t) => t.isDisposed)).toEqual([true, true]);
    expect(y.isDisposed).toBe(false);
    y.dispose();
    expect(live()).toBe(start);
  });

  it('leaves weights and layer state made inside record alone (a model built by its first apply)', async () => {
    const model = wg.sequential({ layers: [wg.layers.dense({ units: 2, activityRegularizer: wg.regularizers.l2(0.1) })] });
    const x = wg.tensor([[1, 2, 3]]);
    const tape = new wg.GradientTape();
    const loss = tape.record(() => wg.add(wg.sum(model.apply(x)), wg.addN(model.losses)));
    const grads = tape.gradient(loss, model.trainableWeights);
    expect(model.weights.every((v) => !v.isDisposed)).toBe(true);
    const held = model.losses; // the activity penalty of the apply inside record is still held
    expect(held).toHaveLength(1);
    expect((await held[0].data())[0]).toBeGreaterThan(0);
    for (const t of [...grads, ...held, loss]) t?.dispose();
    model.dispose();
  });
});

describe('higher-order gradients', () => {
  const a0 = [0.5, -1.5, 2];

  it('d²/da² Σa³ = 6a, from an outer tape over an inner gradient (plain tensor and variable)', async () => {
    for (const kind of ['watched', 'variable'] as const) {
      const a = kind === 'variable' ? wg.variable(wg.tensor(a0)) : wg.tensor(a0);
      const outer = new wg.GradientTape();
      if (kind === 'watched') outer.watch(a);
      const s = outer.record(() => {
        const inner = new wg.GradientTape();
        if (kind === 'watched') inner.watch(a);
        const y = inner.record(() => wg.sum(wg.mul(wg.mul(a, a), a)));
        const g = inner.gradient(y, a)!;
        return { g, s: wg.sum(g) };
      });
      expectClose(await s.g.data(), a0.map((v) => 3 * v * v), 1e-6);
      const dd = outer.gradient(s.s, a);
      expect(dd).not.toBeNull();
      expectClose(await dd!.data(), a0.map((v) => 6 * v), 1e-6);
      for (const t of [s.g, s.s, dd!, a]) t.dispose();
    }
  });

  it('null still means "does not depend on": d/da of (d/da Σ a·b) = d/da b is null, d/db is 1', async () => {
    const a = wg.tensor(a0);
    const b = wg.tensor([2, 3, 4]);
    const outer = new wg.GradientTape({ persistent: true });
    outer.watch(a, b);
    const s = outer.record(() => {
      const inner = new wg.GradientTape();
      inner.watch(a);
      const y = inner.record(() => wg.sum(wg.mul(a, b)));
      return wg.sum(inner.gradient(y, a)!);
    });
    const [da, db] = outer.gradient(s, [a, b]);
    expect(da).toBeNull();
    expectClose(await db!.data(), [1, 1, 1]);
    outer.dispose();
  });

  // References: plain float64 functions differentiated twice by central differences. (TensorFlow.js
  // cannot be one here: it has no gradient for the gradients of exp, sigmoid, tanh, elu, softmax,
  // greater or equal, and silently treats the outputs they save as constants.)

  /** webgrad's Σ of the second derivatives of f at x, for a rank-1 x (see test/tf_reference.ts). */
  const wgSecond = (f: (x: wg.Tensor) => wg.Tensor, x: Float32Array) => secondDerivativeRowSums(f, x, [x.length]);

  const sumOf = (v: number[]): number => v.reduce((acc, u) => acc + u, 0);
  const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
  const x6 = Float32Array.from([-1.3, -0.4, 0.2, 0.7, 1.1, 2.4]);
  const pos6 = Float32Array.from([0.3, 0.6, 0.9, 1.4, 2.2, 3.1]);
  const weights23 = [1, 2, 3, -1, 0, 4];
  const unaryCases: Array<[string, (x: wg.Tensor) => wg.Tensor, (x: number[]) => number, Float32Array]> = [
    ['square', (x) => wg.sum(wg.mul(wg.square(x), x)), (x) => sumOf(x.map((v) => v * v * v)), x6],
    ['exp', (x) => wg.sum(wg.exp(wg.mul(x, 0.7))), (x) => sumOf(x.map((v) => Math.exp(0.7 * v))), x6],
    ['log', (x) => wg.sum(wg.mul(wg.log(x), x)), (x) => sumOf(x.map((v) => Math.log(v) * v)), pos6],
    ['sqrt', (x) => wg.sum(wg.sqrt(x)), (x) => sumOf(x.map(Math.sqrt)), pos6],
    ['neg, abs', (x) => wg.sum(wg.mul(wg.abs(x), wg.neg(x))), (x) => sumOf(x.map((v) => -Math.abs(v) * v)), x6],
    ['sigmoid', (x) => wg.sum(wg.sigmoid(x)), (x) => sumOf(x.map(sigmoid)), x6],
    ['tanh', (x) => wg.sum(wg.tanh(x)), (x) => sumOf(x.map(Math.tanh)), x6],
    ['softplus', (x) => wg.sum(wg.softplus(x)), (x) => sumOf(x.map((v) => Math.log1p(Math.exp(v)))), x6],
    ['relu', (x) => wg.sum(wg.mul(wg.relu(x), x)), (x) => sumOf(x.map((v) => Math.max(v, 0) * v)), x6],
    ['leakyRelu', (x) => wg.sum(wg.mul(wg.leakyRelu(x, 0.2), x)), (x) => sumOf(x.map((v) => (v > 0 ? v : 0.2 * v) * v)), x6],
    ['elu', (x) => wg.sum(wg.elu(x)), (x) => sumOf(x.map((v) => (v > 0 ? v : Math.expm1(v)))), x6],
    [
      'softmax',
      (x) => wg.sum(wg.mul(wg.softmax(x.reshape([2, 3])), wg.tensor(weights23, [2, 3]))),
      (x) => sumOf([0, 3].map((r) => {
        const e = x.slice(r, r + 3).map(Math.exp);
        return sumOf(e.map((v, c) => (v / sumOf(e)) * weights23[r + c]));
      })),
      x6,
    ],
    ['max, mean', (x) => wg.mul(wg.max(wg.square(x)), wg.mean(x)), (x) => Math.max(...x.map((v) => v * v)) * (sumOf(x) / x.length), x6],
    [
      'div, transpose, broadcast',
      (x) => wg.sum(wg.div(wg.transpose(x.reshape([2, 3])), wg.add(wg.square(x.reshape([3, 2])), 1))),
      (x) => sumOf([0, 1, 2].flatMap((i) => [0, 1].map((j) => x[j * 3 + i] / (x[i * 2 + j] ** 2 + 1)))),
      x6,
    ],
  ];
  for (const [name, f, reference, x] of unaryCases) {
    it(`through ${name}: as central differences of the float64 function`, async () => {
      expectClose(await wgSecond(f, x), hessianRowSums(reference, x), 1e-4, 1e-4);
    });
  }

  it("through gelu: d²/dx² x·Φ(x) = φ(x)·(2 − x²)", async () => {
    const phi = (v: number): number => Math.exp(-v * v / 2) / Math.sqrt(2 * Math.PI);
    expectClose(await wgSecond((x) => wg.sum(wg.gelu(x)), x6), Array.from(x6, (v) => phi(v) * (2 - v * v)), 1e-4, 1e-4);
  });

  it('a gradient penalty (WGAN-GP style) through a dense layer with a fused activation, addN, mean errors', async () => {
    const [N, F, U] = [5, 4, 3];
    const xv = randomArray(N * F, 3);
    const wv = randomArray(F * U, 4);
    const bv = randomArray(U, 5);
    const tv = randomArray(N * U, 6);
    const activations = {
      tanh: [Math.tanh, (z: number) => 1 - Math.tanh(z) ** 2],
      sigmoid: [sigmoid, (z: number) => sigmoid(z) * (1 - sigmoid(z))],
      elu: [(z: number) => (z > 0 ? z : Math.expm1(z)), (z: number) => (z > 0 ? 1 : Math.exp(z))],
      relu: [(z: number) => Math.max(z, 0), (z: number) => (z > 0 ? 1 : 0)],
      leakyRelu: [(z: number) => (z > 0 ? z : 0.2 * z), (z: number) => (z > 0 ? 1 : 0.2)],
    } as const;
    for (const [activation, [act, dAct]] of Object.entries(activations) as Array<[keyof typeof activations, readonly [(z: number) => number, (z: number) => number]]>) {
      const x = wg.tensor(xv, [N, F]);
      const w = wg.variable(wg.tensor(wv, [F, U]));
      const b = wg.variable(wg.tensor(bv, [U]));
      const target = wg.tensor(tv, [N, U]);
      const outer = new wg.GradientTape();
      const gp = outer.record(() => {
        const inner = new wg.GradientTape();
        inner.watch(x);
        const y = inner.record(() => {
          const h = wg.matmul(x, w, { bias: b, activation });
          return wg.addN([wg.losses.meanSquaredError(target, h), wg.sum(h), wg.losses.meanAbsoluteError(target, h)]);
        });
        return wg.sum(wg.square(inner.gradient(y, x)!));
      });
      const [dw, db] = outer.gradient(gp, [w, b]);

      // The penalty in float64, its inner gradient written out: with z = xW + b, h = act(z),
      // dy/dh = 2(h − t)/NU + 1 + sign(h − t)/NU and dy/dx = (dy/dh ⊙ act'(z)) Wᵀ.
      const penalty = (params: number[]): number => {
        const [W, B] = [params.slice(0, F * U), params.slice(F * U)];
        let total = 0;
        for (let n = 0; n < N; n++) {
          const dz = Array.from({ length: U }, (_, u) => {
            const z = B[u] + sumOf(Array.from({ length: F }, (_, f) => xv[n * F + f] * W[f * U + u]));
            const d = act(z) - tv[n * U + u];
            return (2 * d / (N * U) + 1 + Math.sign(d) / (N * U)) * dAct(z);
          });
          for (let f = 0; f < F; f++) total += sumOf(dz.map((g, u) => g * W[f * U + u])) ** 2;
        }
        return total;
      };
      const params = [...wv, ...bv];
      const h = 1e-6;
      const numeric = params.map((_, i) => {
        const [plus, minus] = [[...params], [...params]];
        plus[i] += h;
        minus[i] -= h;
        return (penalty(plus) - penalty(minus)) / (2 * h);
      });
      expectClose(await dw!.data(), numeric.slice(0, F * U), 2e-4, 2e-5);
      expectClose(await db!.data(), numeric.slice(F * U), 2e-4, 2e-5);
      for (const t of [x, w, b, target, gp, dw!, db!]) t.dispose();
    }
  });

  it('through the fused weight penalties of model.losses: d/dw of Σ d/dw (l1·Σ|w| + l2·Σw²) = 2·l2', async () => {
    const model = readmeModel();
    const outer = new wg.GradientTape();
    const s = outer.record(() => {
      const inner = new wg.GradientTape();
      const penalty = inner.record(() => wg.addN(model.losses));
      const grads = inner.gradient(penalty, model.trainableWeights).filter((g): g is wg.Tensor => g !== null);
      return wg.addN(grads.map((g) => wg.sum(g)));
    });
    const [k1, b1, k2, b2] = outer.gradient(s, model.trainableWeights);
    expect(b1).toBeNull();
    expect(b2).toBeNull();
    expectClose(await k1!.data(), new Array(4 * 32).fill(2e-3), 1e-5, 1e-9);
    expectClose(await k2!.data(), new Array(32 * 3).fill(2e-3), 1e-5, 1e-9);
    model.dispose();
  });

  it('through softmax cross-entropy (sparse and dense labels) and gather', async () => {
    const logits = randomArray(4 * 3, 8);
    const labels = [2, 0, 1, 1];
    const onehot = Float32Array.from({ length: 12 }, (_, i) => (labels[Math.floor(i / 3)] === i % 3 ? 1 : 0));
    // mean over rows of −log softmax(x)[label]
    const crossEntropy = (x: number[]): number =>
      sumOf(labels.map((c, r) => Math.log(sumOf(x.slice(3 * r, 3 * r + 3).map(Math.exp))) - x[3 * r + c])) / labels.length;
    const reference = hessianRowSums(crossEntropy, logits);
    for (const sparse of [true, false]) {
      const f = (x: wg.Tensor): wg.Tensor =>
        sparse
          ? wg.losses.sparseCategoricalCrossentropy(wg.tensor(labels), x.reshape([4, 3]), { fromLogits: true })
          : wg.losses.categoricalCrossentropy(wg.tensor(onehot, [4, 3]), x.reshape([4, 3]), { fromLogits: true });
      expectClose(await wgSecond(f, logits), reference, 1e-4, 1e-5);
    }
    // Σ (x[idx])²: each entry's second derivative is 2 × how often its row is gathered.
    const idx = [2, 0, 2, 1];
    const counts = [0, 1, 2].map((r) => idx.filter((i) => i === r).length);
    expectClose(await wgSecond((x) => wg.sum(wg.square(wg.gather(x.reshape([3, 2]), idx))), x6), counts.flatMap((c) => [2 * c, 2 * c]), 1e-6);
  });
});

describe('tidy keeps every returned tensor', () => {
  class Holder {
    constructor(readonly t: wg.Tensor, readonly inner: { u: wg.Tensor }) {}
  }

  it('in a Map (keys and values), a Set, a class instance, 20 levels deep, and through a cycle', async () => {
    const start = live();
    const out = wg.tidy(() => {
      wg.ones([2]); // an intermediate
      const deep: Record<string, unknown> = {};
      let cursor = deep;
      for (let i = 0; i < 20; i++) cursor = (cursor.next = {}) as Record<string, unknown>;
      cursor.t = wg.fill([1], 20);
      const cyclic: Record<string, unknown> = { t: wg.fill([1], 7) };
      cyclic.self = cyclic;
      cyclic.list = [cyclic];
      return {
        map: new Map<unknown, unknown>([['a', wg.fill([1], 1)], [wg.fill([1], 2), 'key']]),
        set: new Set([wg.fill([1], 3)]),
        holder: new Holder(wg.fill([1], 4), { u: wg.fill([1], 5) }),
        deep,
        cyclic,
      };
    });
    expect(live()).toBe(start + 7);
    const values: number[] = [];
    const read = async (t: wg.Tensor) => values.push((await t.data())[0]);
    await read(out.map.get('a') as wg.Tensor);
    await read([...out.map.keys()].find((k) => k instanceof wg.Tensor) as wg.Tensor);
    await read([...out.set][0]);
    await read(out.holder.t);
    await read(out.holder.inner.u);
    let cursor = out.deep;
    while (cursor.next) cursor = cursor.next as Record<string, unknown>;
    await read(cursor.t as wg.Tensor);
    await read(out.cyclic.t as wg.Tensor);
    expect(values).toEqual([1, 2, 3, 4, 5, 20, 7]);
  });

  it('an async function: throws InvalidArgumentError and frees what it made before its first await', async () => {
    const start = live();
    expect(() =>
      wg.tidy((async () => {
        wg.ones([3]);
        wg.zeros([2]);
        await Promise.resolve();
      }) as unknown as () => void),
    ).toThrow(wg.InvalidArgumentError);
    expect(live()).toBe(start);
  });
});

describe('loading trusts neither paths nor shapes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'webgrad-rel-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** A saved model in dir/name whose weights are also copied to dir/outside.bin. */
  async function savedWithOutsideCopy(name: string): Promise<{ folder: string; json: Record<string, unknown> }> {
    const model = wg.sequential({ layers: [wg.layers.dense({ units: 2, inputShape: [3], name: `${name}_dense` })] });
    const folder = join(dir, name);
    await model.save(`file://${folder}`);
    model.dispose();
    await writeFile(join(dir, 'outside.bin'), await readFile(join(folder, 'weights.bin')));
    return { folder, json: JSON.parse(await readFile(join(folder, 'model.json'), 'utf8')) };
  }

  const withPaths = (json: Record<string, unknown>, paths: string[]): string => {
    const copy = structuredClone(json) as { weightsManifest: Array<{ paths: string[] }> };
    copy.weightsManifest[0].paths = paths;
    return JSON.stringify(copy);
  };

  it('file://: weight paths outside the model folder (.., absolute) throw ModelFormatError; plain names still load', async () => {
    const { folder, json } = await savedWithOutsideCopy('files');
    for (const p of ['../outside.bin', join(dir, 'outside.bin'), 'sub/../../outside.bin', '..\\outside.bin']) {
      await writeFile(join(folder, 'model.json'), withPaths(json, [p]));
      await expect(wg.loadModel(`file://${folder}`), p).rejects.toThrow(wg.ModelFormatError);
    }
    await mkdir(join(folder, 'sub'), { recursive: true });
    await writeFile(join(folder, 'sub', 'w.bin'), await readFile(join(folder, 'weights.bin')));
    await writeFile(join(folder, 'model.json'), withPaths(json, ['./sub/w.bin']));
    (await wg.loadModel(`file://${folder}`)).dispose();
  });

  it('http: weight paths on another origin or outside the folder throw ModelFormatError', async () => {
    const { folder, json } = await savedWithOutsideCopy('http');
    const weights = await readFile(join(folder, 'weights.bin'));
    let served = '';
    const serve = (): Promise<Server> =>
      new Promise((resolve) => {
        const server = createServer((req, res) => {
          if (req.url === '/m/model.json') res.end(served);
          else if (req.url?.endsWith('.bin')) res.end(weights);
          else res.writeHead(404).end();
        });
        server.listen(0, '127.0.0.1', () => resolve(server));
      });
    const [server, other] = await Promise.all([serve(), serve()]);
    const port = (s: Server) => (s.address() as { port: number }).port;
    try {
      const url = `http://127.0.0.1:${port(server)}/m/model.json`;
      for (const p of [`http://127.0.0.1:${port(other)}/m/weights.bin`, '../outside.bin', '/outside.bin', '%2e%2e/outside.bin', '.\t./outside.bin', '//127.0.0.1:1/x.bin']) {
        served = withPaths(json, [p]);
        await expect(wg.loadModel(url), p).rejects.toThrow(wg.ModelFormatError);
      }
      served = withPaths(json, ['weights.bin']);
      (await wg.loadModel(url)).dispose();
    } finally {
      server.close();
      other.close();
    }
  });

  it('a cyclic or absurdly deep topology throws ModelFormatError, not RangeError', async () => {
    const cyclic: { class_name: string; config: { name: string; layers: unknown[] } } = { class_name: 'Sequential', config: { name: 'loop', layers: [] } };
    cyclic.config.layers.push(cyclic);
    await expect(wg.loadModel({ modelTopology: cyclic, weightSpecs: [], weightData: new ArrayBuffer(0) })).rejects.toThrow(wg.ModelFormatError);
    let deep: unknown = { class_name: 'Dense', config: { units: 1 } };
    for (let i = 0; i < 20000; i++) deep = { class_name: 'Sequential', config: { layers: [deep] } };
    await expect(wg.loadModel({ modelTopology: deep as object, weightSpecs: [], weightData: new ArrayBuffer(0) })).rejects.toThrow(wg.ModelFormatError);
  });

  it('NaN and Infinity weights load with one warning that names them', async () => {
    const model = wg.sequential({ layers: [wg.layers.dense({ units: 2, inputShape: [2], name: 'nan_dense' })] });
    const artifacts = await model.save();
    model.dispose();
    const values = new Float32Array(artifacts.weightData as ArrayBuffer);
    values[1] = NaN;
    values[5] = -Infinity; // the bias
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const loaded = await wg.loadModel(artifacts);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/nan_dense\/kernel.*nan_dense\/bias/s);
    const kernel = await loaded.weights[0].data();
    expect(Number.isNaN(kernel[1])).toBe(true);
    loaded.dispose();
    warn.mockClear();
    const clean = await wg.sequential({ layers: [wg.layers.dense({ units: 2, inputShape: [2] })] }).save();
    (await wg.loadModel(clean)).dispose();
    expect(warn).not.toHaveBeenCalled();
  });

  it("leakyRelu (a Dense's and an Activation's) saves as TensorFlow.js reads it, and both forms load back", async () => {
    const model = wg.sequential({
      layers: [
        wg.layers.dense({ units: 4, inputShape: [3], activation: 'leakyRelu', name: 'lr_dense' }),
        wg.layers.activation({ activation: 'leakyRelu', name: 'lr_act' }),
        wg.layers.dense({ units: 2, name: 'lr_out' }),
      ],
    });
    model.setWeights(model.weights.map((w, i) => wg.tensor(randomArray(w.size, 30 + i), [...w.shape])));
    const x = randomArray(5 * 3, 31, -2, 2);
    const expected = await model.predict(wg.tensor(x, [5, 3])).data();
    const artifacts = await model.save();

    const twin = await tf.loadLayersModel(tf.io.fromMemory(structuredClone(artifacts) as tf.io.ModelArtifacts));
    expectClose(tf.tidy(() => (twin.predict(tf.tensor(x, [5, 3])) as tf.Tensor).dataSync()), expected, 1e-5, 1e-6);

    const loaded = await wg.loadModel(artifacts);
    expect(loaded.getConfig()).toEqual(model.getConfig());
    expectClose(await loaded.predict(wg.tensor(x, [5, 3])).data(), expected, 0, 0);

    // Keras 3 writes the activation name itself ('leaky_relu', slope 0.2): still read.
    const keras3 = structuredClone(artifacts);
    (keras3.modelTopology as { config: { layers: unknown[] } }).config.layers = [
      { class_name: 'Dense', config: { name: 'lr_dense', units: 4, activation: 'leaky_relu', batch_input_shape: [null, 3] } },
      { class_name: 'Activation', config: { name: 'lr_act', activation: 'leaky_relu' } },
      { class_name: 'Dense', config: { name: 'lr_out', units: 2 } },
    ];
    const fromKeras = await wg.loadModel(keras3);
    expectClose(await fromKeras.predict(wg.tensor(x, [5, 3])).data(), expected, 0, 0);
    for (const m of [model, loaded, fromKeras]) m.dispose();
  });
});

describe('odd inputs get typed errors', () => {
  it('tensor(): numeric typed arrays convert; BigInt arrays and DataView throw InvalidArgumentError', async () => {
    expectClose(await wg.tensor(new Int32Array([1, -2, 3])).data(), [1, -2, 3]);
    expectClose(await wg.tensor(new Uint8Array([255, 0])).data(), [255, 0]);
    expectClose(await wg.tensor(new Float64Array([1.5, -0.25])).data(), [1.5, -0.25]);
    const start = live();
    for (const v of [new BigInt64Array(2), new BigUint64Array(1), new DataView(new ArrayBuffer(8))]) {
      expect(() => wg.tensor(v as unknown as Float32Array), v.constructor.name).toThrow(wg.InvalidArgumentError);
    }
    expect(live()).toBe(start);
  });

  it('matmul: a bias that is not a length-N vector (or [1, N]) throws ShapeError', async () => {
    const a = wg.ones([2, 3]);
    const b = wg.ones([3, 4]);
    for (const shape of [[2, 2], [4, 1], [2, 4], [1, 2, 2]]) {
      expect(() => wg.matmul(a, b, { bias: wg.ones(shape) }), JSON.stringify(shape)).toThrow(wg.ShapeError);
    }
    const out = wg.matmul(a, b, { bias: wg.tensor([[1, 2, 3, 4]]) });
    expectClose(await out.data(), [4, 5, 6, 7, 4, 5, 6, 7]);
  });

  it('sum, mean, max: duplicate axes (also as −1 and rank−1) throw InvalidArgumentError', () => {
    const x = wg.ones([2, 3]);
    for (const axes of [[1, 1], [1, -1], [0, 1, 0]]) {
      expect(() => wg.sum(x, axes), `sum ${axes}`).toThrow(wg.InvalidArgumentError);
      expect(() => wg.mean(x, axes), `mean ${axes}`).toThrow(wg.InvalidArgumentError);
      expect(() => wg.max(x, axes), `max ${axes}`).toThrow(wg.InvalidArgumentError);
    }
  });

  it('random seeds: 5 and −5, 1.2 and 1.7 give different streams (as in TensorFlow.js); a seed repeats its stream', async () => {
    const draw = async (seed: number, f: 'randomUniform' | 'randomNormal') => Array.from(await wg[f]([16], { seed }).data());
    for (const f of ['randomUniform', 'randomNormal'] as const) {
      for (const [s1, s2] of [[5, -5], [1.2, 1.7], [0, -0.5], [3, 3.5]]) {
        expect(await draw(s1, f), `${f} ${s1} vs ${s2}`).not.toEqual(await draw(s2, f));
      }
      for (const s of [5, -5, 1.2]) expect(await draw(s, f)).toEqual(await draw(s, f));
    }
    const u = await wg.randomUniform([4096], { seed: -7.25 }).data();
    const m = u.reduce((acc, v) => acc + v, 0) / u.length;
    expect(Math.abs(m - 0.5)).toBeLessThan(0.03); // still uniform on [0, 1)
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
  });
});

describe('nested Sequentials round-trip', () => {
  /** An inner Sequential first (it holds the input shape), then a Dense. */
  function nestedModel(): wg.Sequential {
    const inner = wg.sequential({
      name: 'nest_inner',
      layers: [
        wg.layers.dense({ units: 4, inputShape: [3], activation: 'tanh', name: 'nest_a' }),
        wg.layers.dense({ units: 3, activation: 'relu', name: 'nest_b' }),
      ],
    });
    const model = wg.sequential({ name: 'nest_outer', layers: [inner, wg.layers.dense({ units: 2, name: 'nest_c' })] });
    model.setWeights(model.weights.map((w, i) => wg.tensor(randomArray(w.size, 60 + i), [...w.shape])));
    return model;
  }
  const x = randomArray(6 * 3, 61, -2, 2);

  it('webgrad → webgrad (artifacts and file://) and webgrad → TensorFlow.js', async () => {
    const model = nestedModel();
    expect(model.weights.map((w) => w.name)).toEqual(['nest_a/kernel', 'nest_a/bias', 'nest_b/kernel', 'nest_b/bias', 'nest_c/kernel', 'nest_c/bias']);
    const expected = await model.predict(wg.tensor(x, [6, 3])).data();
    const artifacts = await model.save();
    const dir = await mkdtemp(join(tmpdir(), 'webgrad-nest-'));
    try {
      await model.save(`file://${dir}`);
      for (const source of [artifacts, `file://${dir}`]) {
        const loaded = await wg.loadModel(source);
        expect(loaded.getConfig()).toEqual(model.getConfig());
        expectClose(await loaded.predict(wg.tensor(x, [6, 3])).data(), expected, 0, 0);
        loaded.dispose();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const twin = await tf.loadLayersModel(tf.io.fromMemory(structuredClone(artifacts) as tf.io.ModelArtifacts));
    expectClose(tf.tidy(() => (twin.predict(tf.tensor(x, [6, 3])) as tf.Tensor).dataSync()), expected, 1e-5, 1e-6);
    model.dispose();
  });

  it('TensorFlow.js → webgrad', async () => {
    const inner = tf.sequential({
      name: 'tf_inner',
      layers: [tf.layers.dense({ units: 4, inputShape: [3], activation: 'tanh', name: 'tf_a' }), tf.layers.dense({ units: 3, activation: 'relu', name: 'tf_b' })],
    });
    const outer = tf.sequential({ name: 'tf_outer', layers: [inner, tf.layers.dense({ units: 2, name: 'tf_c' })] });
    let saved: tf.io.ModelArtifacts | undefined;
    await outer.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const expected = tf.tidy(() => (outer.predict(tf.tensor(x, [6, 3])) as tf.Tensor).dataSync() as Float32Array);
    const loaded = await wg.loadModel(saved as wg.ModelArtifacts);
    expect(loaded.weights.map((w) => w.name)).toEqual(['tf_a/kernel', 'tf_a/bias', 'tf_b/kernel', 'tf_b/bias', 'tf_c/kernel', 'tf_c/bias']);
    expectClose(await loaded.predict(wg.tensor(x, [6, 3])).data(), expected, 1e-5, 1e-6);
    loaded.dispose();
  });
});
