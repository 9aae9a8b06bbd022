import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as wg from '../src';
import { show } from '../src/errors';
import { rng } from './helpers';

// Seeded random malformed input at the public API. The contract: every call either succeeds or
// throws (or rejects with) an instance of a WebgradError subclass. It never crashes with another
// error, never hangs, never makes the GPU report an invalid command, never leaks a tensor, and a
// call that fails changes no weight. The seeds make every failure reproducible: a failure names
// the case and its arguments; FUZZ_SEED=n runs another reproducible sequence.

const seed = Number(process.env.FUZZ_SEED ?? 0x5eed);
const random = rng(seed);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
const chance = (p: number): boolean => random() < p;

/** Values no argument should take. */
const weirdValues: unknown[] = [
  undefined, null, NaN, Infinity, -Infinity, -1, 0, 0.5, -0.5, 2 ** 31, 1e12, 'abc', '', 'relu', true, false, {}, [], [1, 'a'],
  [[1], [1, 2]], [-1], [1.5], [2, -3], [NaN], [2 ** 31, 2 ** 31], () => 1, new Float32Array(3), 10n,
];
const weird = (): unknown => pick(weirdValues);

const disposables: wg.Tensor[] = [];
/** A tensor of a small random shape, sometimes holding NaN or ±∞, sometimes already disposed. */
function makeTensor(shape = pick([[], [3], [2, 3], [3, 2], [2, 3, 4], [4, 1], [0], [1, 0], [3, 3]])): wg.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: size }, () => (chance(0.05) ? pick([NaN, Infinity, -Infinity]) : random() * 4 - 2));
  const t = wg.tensor(values, shape);
  disposables.push(t);
  if (chance(0.08)) t.dispose();
  return t;
}

type Gen = () => unknown;
/** Any function: its parameters' types say what a correct call passes; the fuzzer passes anything. */
type Target = (...a: never[]) => unknown;
/** Mostly `gen`, sometimes a weird value. */
const maybe = (gen: Gen, p = 0.3): Gen => () => (chance(p) ? weird() : gen());
const tensorArg = maybe(() => makeTensor());
const operandArg = maybe(() => (chance(0.2) ? pick([2, -1.5, 0, NaN, Infinity]) : makeTensor()));
const shapeArg = maybe(() => pick([[2], [2, 3], [3, 2], [6], [-1, 2], [1, 6], [0], [], [2, -1, 3], [4, 5]]));
const axisArg = maybe(() => pick([0, 1, -1, 2, [0, 1], [1, -1], undefined]));
const boolArg = maybe(() => pick([true, false, undefined]));
const numberArg = maybe(() => pick([0, 1, 0.5, -2, 0.2, 3]));

function describeValue(v: unknown): string {
  if (v instanceof wg.Tensor) return `${v.isDisposed ? 'disposed ' : ''}Tensor${JSON.stringify(v.shape)}`;
  if (Array.isArray(v)) return `[${v.map(describeValue).join(',')}]`;
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return `{${Object.entries(v).map(([k, x]) => `${k}:${describeValue(x)}`).join(',')}}`;
  }
  return show(v);
}

/** Frees whatever a successful call returned (tensors, arrays of them, layers). */
function release(result: unknown): void {
  if (result instanceof wg.Tensor) result.dispose();
  else if (result instanceof wg.Layer) result.dispose();
  else if (Array.isArray(result)) result.forEach(release);
}

let tried = 0;
const failures: string[] = [];
const byOutcome = { ok: 0, typed: 0 };

/**
 * Runs one case: `call` gets the arguments drawn for it; `guard` reads values that a failing call
 * must leave unchanged.
 */
async function attempt(name: string, args: unknown[], call: Target, guard?: () => Promise<Float32Array[]>): Promise<void> {
  tried++;
  const label = `${name}(${args.map(describeValue).join(', ')})`.slice(0, 400);
  const kept = guard ? await guard() : [];
  const start = wg.memory().numTensors;
  let error: unknown;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const result = await Promise.race([
      // Random arguments, whatever the parameters' types: that is the test.
      Promise.resolve().then(() => (call as (...a: unknown[]) => unknown)(...args)),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('hang: no answer in 20 s')), 20_000))),
    ]);
    release(result);
  } catch (e) {
    error = e;
  } finally {
    clearTimeout(timer);
  }
  // Surfaces invalid GPU commands the call may have encoded (they are reported at the next readback).
  const probe = wg.scalar(0);
  const gpu = await probe.data().then(() => null, (e: unknown) => e);
  probe.dispose();
  if (gpu) failures.push(`${label}: the GPU reported: ${(gpu as Error).message.slice(0, 300)}`);
  if (error === undefined) {
    byOutcome.ok++;
    if (wg.memory().numTensors !== start) failures.push(`${label}: succeeded but left ${wg.memory().numTensors - start} tensors behind`);
    return;
  }
  byOutcome.typed++;
  if (!(error instanceof wg.WebgradError)) {
    failures.push(`${label}: threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message ?? String(error)}`);
    return;
  }
  if (wg.memory().numTensors !== start) failures.push(`${label}: threw ${error.name} but left ${wg.memory().numTensors - start} tensors behind`);
  if (guard) {
    const after = await guard();
    if (after.some((v, i) => v.some((x, j) => !Object.is(x, kept[i][j])))) failures.push(`${label}: threw ${error.name} but changed a weight`);
  }
}

afterAll(() => {
  for (const t of disposables) t.dispose();
});

/** Fails the test with this group's failures (and clears them for the next group). */
function report(group: string): void {
  console.log(`fuzz ${group}: ${tried} inputs so far (${byOutcome.ok} accepted, ${byOutcome.typed} typed errors), ${failures.length} failures`);
  const found = failures.splice(0);
  expect(found, found.slice(0, 30).join('\n')).toEqual([]);
}

const unaryOps = ['neg', 'square', 'sqrt', 'exp', 'log', 'abs', 'sign', 'relu', 'gelu', 'sigmoid', 'tanh', 'softplus', 'clone', 'stopGradient'] as const;
const binaryOps = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'greater', 'greaterEqual', 'less', 'lessEqual', 'equal'] as const;

/** The ops: a name, argument generators, the call. */
const opCases: Array<[string, Gen[], Target]> = [
  ...unaryOps.map((op): [string, Gen[], Target] => [op, [operandArg], wg[op]]),
  ...binaryOps.map((op): [string, Gen[], Target] => [op, [operandArg, operandArg], wg[op]]),
  ['leakyRelu', [operandArg, numberArg], wg.leakyRelu],
  ['elu', [operandArg, numberArg], wg.elu],
  ['matmul', [tensorArg, tensorArg, maybe(() => ({ transposeA: chance(0.5), transposeB: chance(0.5) }))], wg.matmul],
  ['sum', [operandArg, axisArg, boolArg], wg.sum],
  ['mean', [operandArg, axisArg, boolArg], wg.mean],
  ['max', [operandArg, axisArg, boolArg], wg.max],
  ['reshape', [operandArg, shapeArg], wg.reshape],
  ['transpose', [operandArg, maybe(() => pick([[1, 0], [0, 1], [2, 0, 1], [0], undefined]))], wg.transpose],
  ['broadcastTo', [operandArg, shapeArg], wg.broadcastTo],
  ['softmax', [operandArg, maybe(() => pick([-1, 0, 1]))], wg.softmax],
  ['logSoftmax', [operandArg, maybe(() => pick([-1, 0, 1]))], wg.logSoftmax],
  ['addN', [maybe(() => Array.from({ length: int(1, 3) }, () => makeTensor(pick([[2, 3], [2, 3], [3]]))))], wg.addN],
  ['gather', [tensorArg, maybe(() => pick([[0, 1], [2], new Float32Array([0]), [-1], [0.5]]))], wg.gather],
  ['tensor', [maybe(() => pick([[1, 2, 3], [[1, 2], [3, 4]], 5, new Float32Array(6)])), maybe(() => pick([undefined, [3], [2, 2], [6], [2, 3]]))], wg.tensor],
  ['scalar', [numberArg], wg.scalar],
  ['zeros', [shapeArg], wg.zeros],
  ['ones', [shapeArg], wg.ones],
  ['fill', [shapeArg, numberArg], wg.fill],
  ['randomNormal', [shapeArg, maybe(() => ({ mean: pick([0, 1]), stddev: pick([1, 0.5, -1]), seed: pick([1, undefined, NaN]) }))], wg.randomNormal],
  ['randomUniform', [shapeArg, maybe(() => ({ minval: pick([0, 2]), maxval: pick([1, -1]), seed: pick([3, undefined]) }))], wg.randomUniform],
  ['truncatedNormal', [shapeArg, maybe(() => ({ stddev: pick([1, -2, Infinity]) }))], wg.truncatedNormal],
  ['variable', [tensorArg, maybe(() => ({ trainable: pick([true, false]), name: pick(['w', undefined]) }))], wg.variable],
  ['data', [() => makeTensor()], (t: wg.Tensor) => t.data()],
  ['array', [() => makeTensor()], (t: wg.Tensor) => t.array()],
  ['meanSquaredError', [tensorArg, tensorArg], wg.losses.meanSquaredError],
  ['meanAbsoluteError', [tensorArg, tensorArg], wg.losses.meanAbsoluteError],
  ['binaryCrossentropy', [tensorArg, tensorArg, maybe(() => ({ fromLogits: chance(0.5) }))], wg.losses.binaryCrossentropy],
  ['categoricalCrossentropy', [tensorArg, tensorArg, maybe(() => ({ fromLogits: chance(0.5) }))], wg.losses.categoricalCrossentropy],
  ['sparseCategoricalCrossentropy', [tensorArg, tensorArg, maybe(() => ({ fromLogits: chance(0.5) }))], wg.losses.sparseCategoricalCrossentropy],
  ['accuracy', [tensorArg, tensorArg], wg.metrics.accuracy],
  [
    'GradientTape.gradient',
    [tensorArg, maybe(() => (chance(0.5) ? undefined : makeTensor()))],
    (x: wg.Tensor, dy: wg.Tensor | undefined) =>
      wg.tidy(() => {
        const tape = new wg.GradientTape();
        try {
          tape.watch(x);
          const y = tape.record(() => wg.mul(wg.square(x), 3));
          return tape.gradient(y, [x], dy);
        } finally {
          tape.dispose();
        }
      }),
  ],
  [
    'GradientTape twice',
    [tensorArg],
    (x: wg.Tensor) =>
      wg.tidy(() => {
        const tape = new wg.GradientTape();
        tape.watch(x);
        const y = tape.record(() => wg.sum(wg.exp(x)));
        tape.gradient(y, [x]);
        return tape.gradient(y, [x]);
      }),
  ],
];

describe('fuzz: ops and tensors', () => {
  it('hundreds of random calls with wrong shapes, types, NaN, disposed tensors and negative sizes give only typed errors', async () => {
    for (let i = 0; i < 320; i++) {
      const [name, gens, call] = pick(opCases);
      await attempt(name, gens.map((g) => g()), call);
    }
    report('ops');
  });
});

describe('fuzz: layers, regularizers, initializers, optimizers', () => {
  const denseConfig = () => ({ units: 3, activation: 'relu', useBias: true, kernelInitializer: 'glorotUniform', biasInitializer: 'zeros', kernelRegularizer: 'l2', inputShape: [4], trainable: true });
  /** A config with one key (or a new one) set to a weird value, or a weird config altogether. */
  const mutated = (base: Record<string, unknown>): unknown => {
    if (chance(0.1)) return weird();
    const out: Record<string, unknown> = { ...base };
    const key = pick([...Object.keys(base), 'name', 'activityRegularizer', 'seed', 'rate']);
    out[key] = weird();
    return out;
  };

  it('bad configs and factors give only typed errors', async () => {
    const cases: Array<[string, () => unknown[], Target]> = [
      ['layers.dense', () => [mutated(denseConfig())], wg.layers.dense],
      ['layers.dropout', () => [mutated({ rate: 0.5, seed: 1 })], wg.layers.dropout],
      ['layers.activation', () => [mutated({ activation: 'tanh' })], wg.layers.activation],
      ['sequential', () => [mutated({ layers: [], name: 'model' })], wg.sequential],
      ['regularizers.l1', () => [weird()], wg.regularizers.l1],
      ['regularizers.l2', () => [weird()], wg.regularizers.l2],
      ['regularizers.l1l2', () => [mutated({ l1: 0.1, l2: 0.1 })], wg.regularizers.l1l2],
      ['regularizers.orthogonal', () => [mutated({ factor: 0.1, mode: 'rows' })], wg.regularizers.orthogonal],
      ['regularizer.apply', () => [pick([wg.regularizers.l1(0.1), wg.regularizers.l2(0.1), wg.regularizers.orthogonal()]), tensorArg()], (r: wg.regularizers.L1L2, x: wg.Tensor) => r.apply(x)],
      ['initializers.constant', () => [mutated({ value: 1 })], wg.initializers.constant],
      ['initializers.randomNormal', () => [mutated({ mean: 0, stddev: 1, seed: 1 })], wg.initializers.randomNormal],
      ['initializers.varianceScaling', () => [mutated({ scale: 1, mode: 'fanIn', distribution: 'uniform', seed: 1 })], wg.initializers.varianceScaling],
      ['initializers.get', () => [weird()], wg.initializers.get],
      ['initializer.apply', () => [shapeArg()], (shape: number[]) => wg.initializers.heNormal({ seed: 1 }).apply(shape)],
      ['optimizers.sgd', () => [mutated({ learningRate: 0.1, momentum: 0.9, nesterov: false })], wg.optimizers.sgd],
      ['optimizers.adam', () => [mutated({ learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 })], wg.optimizers.adam],
      ['optimizers.adamw', () => [mutated({ learningRate: 0.1, weightDecay: 0.01 })], wg.optimizers.adamw],
      ['optimizers.rmsprop', () => [mutated({ learningRate: 0.1, rho: 0.9 })], wg.optimizers.rmsprop],
    ];
    for (let i = 0; i < 160; i++) {
      const [name, args, call] = pick(cases);
      await attempt(name, args(), call);
    }

    // Calls on live objects: a failing call must leave their weights as they were.
    const layer = wg.layers.dense({ units: 3, inputShape: [4], kernelRegularizer: 'l1l2' });
    const model = wg.sequential({ layers: [layer] });
    const weights = () => Promise.all(model.weights.map((w) => w.data()));
    const optimizer = wg.optimizers.adam({ learningRate: 0.1 });
    wg.tidy(() => optimizer.applyGradients(model.weights.map((w) => wg.zeros([...w.shape])), model.weights)); // its slots exist from here on
    const live: Array<[string, () => unknown[], Target]> = [
      ['layer.apply', () => [tensorArg(), maybe(() => ({ training: chance(0.5) }))()], (x: wg.Tensor, o: wg.CallOptions) => layer.apply(x, o)],
      ['layer.setWeights', () => [maybe(() => [makeTensor(pick([[4, 3], [3, 4], [4]])), makeTensor(pick([[3], [4], [1, 3]]))])()], (ws: wg.Tensor[]) => layer.setWeights(ws)],
      ['layer.addWeight', () => [maybe(() => 'extra')(), shapeArg(), maybe(() => ({ initializer: 'ones' }))()], (n: string, s: number[], o: never) => wg.layers.dense({ units: 1 }).addWeight(n, s, o)],
      ['layer.trainable =', () => [weird()], (v: boolean) => void (wg.layers.dense({ units: 1 }).trainable = v)],
      ['layer.addLoss', () => [maybe(() => makeTensor())()], (t: wg.Tensor) => {
        const holder = wg.layers.dense({ units: 1 });
        try {
          holder.addLoss(t);
        } finally {
          holder.dispose();
        }
      }],
      [
        'optimizer.applyGradients',
        () => [maybe(() => model.weights.map((w) => makeTensor([...w.shape])))(), maybe(() => model.weights)()],
        (g: wg.Tensor[], v: wg.Variable[]) => optimizer.applyGradients(g, v),
      ],
      ['optimizer.learningRate =', () => [weird()], (v: number) => void (optimizer.learningRate = v)],
    ];
    for (let i = 0; i < 120; i++) {
      const [name, args, call] = pick(live);
      await attempt(name, args(), call, weights);
    }
    model.dispose();
    report('layers');
  });
});

describe('fuzz: compile, fit, evaluate, predict, trainOnBatch', () => {
  it('mismatched batches, wrong widths, NaN data and bad options give typed errors and change no weight', async () => {
    const model = wg.sequential({
      layers: [
        wg.layers.dense({ units: 5, inputShape: [4], activation: 'relu', kernelRegularizer: wg.regularizers.l2(0.01), kernelInitializer: wg.initializers.glorotUniform({ seed: 1 }) }),
        wg.layers.dense({ units: 2, kernelRegularizer: wg.regularizers.l1(0.001), kernelInitializer: wg.initializers.glorotUniform({ seed: 2 }) }),
      ],
    });
    const optimizer = wg.optimizers.adam({ learningRate: 0.01 });
    const compileArgs = () => ({ optimizer, loss: 'mse', metrics: ['mae'] });
    model.compile(compileArgs());
    const samples = (n: number, width: number, bad = false) =>
      Array.from({ length: n }, (_, i) => Array.from({ length: width }, (_, j) => (bad && i === n - 1 && j === 0 ? pick([NaN, Infinity, -Infinity]) : random())));
    await model.fit(samples(8, 4), samples(8, 2), { epochs: 1, batchSize: 4, verbose: 0 }); // the optimizer's slots exist from here on
    const weights = () => Promise.all(model.weights.map((w) => w.data()));

    const xArg = () => {
      const n = pick([6, 6, 6, 5, 0]);
      return pick([
        () => samples(n, 4),
        () => samples(n, 4, true),
        () => samples(n, pick([3, 5])),
        () => wg.tensor(samples(n || 1, 4)),
        () => makeTensor(),
        () => weird(),
      ])();
    };
    const yArg = () => pick([() => samples(6, 2), () => samples(6, 2, true), () => samples(pick([5, 7]), 2), () => samples(6, pick([1, 3])), () => weird()])();
    const fitOptions = () =>
      mutated({ epochs: 1, batchSize: 3, shuffle: true, seed: 1, validationSplit: 0, verbose: 0, initialEpoch: 0, callbacks: {}, validationData: undefined });
    const mutated = (base: Record<string, unknown>): unknown => {
      if (chance(0.1)) return weird();
      const out = { ...base };
      out[pick(Object.keys(base))] = pick([...weirdValues, [samples(2, 4), samples(2, 2)], [samples(2, 3)], { onEpochEnd: 5 }, 0.5, 2]);
      return out;
    };
    const cases: Array<[string, () => unknown[], Target]> = [
      ['fit', () => [xArg(), yArg(), fitOptions()], (x: never, y: never, o: never) => model.fit(x, y, o)],
      ['evaluate', () => [xArg(), yArg(), maybe(() => ({ batchSize: pick([2, 0, -1, 2.5]) }))()], (x: never, y: never, o: never) => model.evaluate(x, y, o)],
      ['trainOnBatch', () => [xArg(), yArg()], (x: never, y: never) => model.trainOnBatch(x, y)],
      ['predict', () => [xArg(), maybe(() => ({ batchSize: pick([2, 0, 4]) }))()], (x: never, o: never) => model.predict(x, o)],
      [
        'compile then fit',
        () => [mutated(compileArgs()), samples(6, 4), samples(6, 2)],
        async (c: never, x: never, y: never) => {
          try {
            model.compile(c);
            return await model.fit(x, y, { epochs: 1, batchSize: 3, verbose: 0 });
          } finally {
            model.compile(compileArgs());
          }
        },
      ],
      ['save', () => [weird()], (url: string) => model.save(url)],
    ];
    for (let i = 0; i < 140; i++) {
      const [name, args, call] = pick(cases);
      await attempt(name, args(), call, weights);
    }
    model.dispose();
    report('training');
  });
});

describe('fuzz: loadModel', () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Every [holder, key] inside a JSON value, to mutate one at random. */
  function slots(value: unknown, out: Array<[Record<string, unknown> | unknown[], string | number]> = []): Array<[Record<string, unknown> | unknown[], string | number]> {
    if (Array.isArray(value)) value.forEach((v, i) => (out.push([value, i]), slots(v, out)));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) (out.push([value as Record<string, unknown>, k]), slots(v, out));
    return out;
  }

  it('mutated artifacts and files load or throw a ModelFormatError / ModelIOError, and leave nothing behind', async () => {
    const model = wg.sequential({
      layers: [
        wg.layers.dense({ units: 4, inputShape: [3], activation: 'tanh', kernelRegularizer: wg.regularizers.l1l2({ l1: 0.01, l2: 0.01 }) }),
        wg.layers.dropout({ rate: 0.1, seed: 2 }),
        wg.layers.dense({ units: 2, activation: 'softmax', trainable: false }),
      ],
    });
    const good = await model.save();
    model.dispose();
    // Artifacts give ModelFormatError (ModelIOError for storage); a string that is no URL, InvalidArgumentError.
    const load = async (source: unknown) => {
      try {
        return await wg.loadModel(source as wg.ModelArtifacts);
      } catch (e) {
        const expected = e instanceof wg.ModelFormatError || e instanceof wg.ModelIOError || (typeof source === 'string' && e instanceof wg.InvalidArgumentError);
        if (!expected) throw new Error(`not a format error: ${(e as Error)?.name}: ${(e as Error)?.message}`);
        throw e;
      }
    };
    const mutations: Array<[string, (a: wg.ModelArtifacts) => unknown]> = [
      ['set a topology value', (a) => {
        const all = slots(a.modelTopology);
        const [holder, key] = pick(all);
        (holder as Record<string | number, unknown>)[key] = weird();
        return a;
      }],
      ['delete a topology key', (a) => {
        const all = slots(a.modelTopology).filter(([h]) => !Array.isArray(h));
        const [holder, key] = pick(all);
        delete (holder as Record<string, unknown>)[key as string];
        return a;
      }],
      ['set a weight spec value', (a) => {
        const [holder, key] = pick(slots(a.weightSpecs));
        (holder as Record<string | number, unknown>)[key] = weird();
        return a;
      }],
      ['cut or extend weightData', (a) => {
        const bytes = new Uint8Array(a.weightData as ArrayBuffer);
        const n = int(0, bytes.length + 8);
        const out = new Uint8Array(n);
        out.set(bytes.subarray(0, Math.min(n, bytes.length)));
        return { ...a, weightData: out.buffer };
      }],
      ['flip weight bytes', (a) => {
        const bytes = new Uint8Array(a.weightData as ArrayBuffer);
        for (let k = 0; k < 4; k++) bytes[int(0, bytes.length - 1)] = int(0, 255);
        return a;
      }],
      ['set a top-level field', (a) => ({ ...a, [pick(['modelTopology', 'weightSpecs', 'weightData', 'format'])]: weird() })],
      ['swap two specs', (a) => {
        const s = a.weightSpecs!;
        const [i, j] = [int(0, s.length - 1), int(0, s.length - 1)];
        [s[i], s[j]] = [s[j], s[i]];
        return a;
      }],
      ['replace the whole source', () => weird()],
    ];
    const start = wg.memory();
    for (let i = 0; i < 160; i++) {
      const [name, mutate] = pick(mutations);
      await attempt(`loadModel after '${name}' #${i}`, [mutate(structuredClone(good))], load);
    }
    expect(wg.memory().numBytes).toBe(start.numBytes);

    // model.json text cut or with a character changed, through file://.
    dir = await mkdtemp(join(tmpdir(), 'webgrad-fuzz-'));
    const json = JSON.stringify({ modelTopology: good.modelTopology, format: 'layers-model', weightsManifest: [{ paths: ['weights.bin'], weights: good.weightSpecs }] });
    for (let i = 0; i < 60; i++) {
      const d = join(dir, `m${i}`);
      await mkdir(d);
      const at = int(0, json.length - 1);
      const text = chance(0.5) ? json.slice(0, at) : json.slice(0, at) + pick(['"', '}', '0', '-', 'x', ']', ',']) + json.slice(at + 1);
      await writeFile(join(d, 'model.json'), text);
      await writeFile(join(d, 'weights.bin'), new Uint8Array(good.weightData as ArrayBuffer));
      await attempt(`loadModel(file) with model.json edited at ${at}`, [`file://${d}/model.json`], load);
    }
    report('loadModel');
    console.log(`fuzz total (seed ${seed}): ${tried} malformed or random inputs tried`);
  });
});

describe('non-finite inputs', () => {
  it('fit, evaluate and trainOnBatch refuse NaN or ±Infinity in x, y or validation data, naming input and sample, before any weight changes', async () => {
    const optimizer = wg.optimizers.adam({ learningRate: 0.1 });
    const model = wg.sequential({ layers: [wg.layers.dense({ units: 2, inputShape: [3], kernelRegularizer: wg.regularizers.l2(0.01) })] });
    model.compile({ optimizer, loss: 'mse' });
    const rows = (n: number, width: number, bad?: [number, number]) =>
      Array.from({ length: n }, (_, i) => Array.from({ length: width }, (_, j) => (bad && i === bad[0] ? bad[1] : (i + j) / 10)));
    await model.trainOnBatch(rows(10, 3), rows(10, 2));
    const weights = () => Promise.all(model.weights.map((w) => w.data()));
    const kept = await weights();
    const steps = optimizer.iterations;
    const badTensor = wg.tensor(rows(10, 3, [4, Infinity]));
    const start = wg.memory().numTensors;
    const cases: Array<[() => Promise<unknown>, RegExp]> = [
      [() => model.fit(rows(10, 3, [7, NaN]), rows(10, 2)), /^fit: x \[10,3\] holds a non-finite value \(NaN or ±Infinity\), first in sample 7/],
      [() => model.fit(badTensor, rows(10, 2), { epochs: 3 }), /^fit: x \[10,3\] .* sample 4/],
      [() => model.fit(rows(10, 3), rows(10, 2, [2, -Infinity])), /^fit: y \[10,2\] .* sample 2/],
      [() => model.fit(rows(10, 3), rows(10, 2), { validationData: [rows(4, 3), rows(4, 2, [1, NaN])] }), /^fit: validationData y \[4,2\] .* sample 1/],
      [() => model.fit(rows(10, 3, [9, NaN]), rows(10, 2), { validationSplit: 0.2 }), /^fit: x .* sample 9/],
      [() => model.evaluate(rows(10, 3, [0, Infinity]), rows(10, 2)), /^evaluate: x \[10,3\] .* sample 0/],
      [() => model.trainOnBatch(rows(10, 3), rows(10, 2, [9, NaN])), /^trainOnBatch: y \[10,2\] .* sample 9/],
    ];
    for (const [call, message] of cases) {
      const error = await call().then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(wg.NonFiniteError);
      expect((error as Error).message).toMatch(message);
      expect(optimizer.iterations).toBe(steps);
      (await weights()).forEach((w, i) => expect(w).toEqual(kept[i]));
      expect(wg.memory().numTensors).toBe(start);
    }
    // The largest finite floats are not mistaken for infinities (Σ x·0 does not overflow).
    const big = await model.evaluate(rows(10, 3, [3, 3.4e38]), rows(10, 2, [5, -3.4e38]));
    expect(typeof big.loss).toBe('number');
    badTensor.dispose();
    model.dispose();
  });
});
