// Host time per training step: the JavaScript and command encoding a step costs up to its submit,
// with the GPU taken out. Dawn's null backend (`create(['backend=null'])`) validates and encodes
// every command but runs none, so what is timed here is webgrad's own work per step, which on a
// real GPU is what a small model's step is bound by (see bench/README.md, "Host time per step").
//
//   npm run bench:host [-- --steps 300 --runs 5 --json FILE]
//
// Rows: the 784-256-10 step (batch 128, adam, softmax cross-entropy from logits) and the 32-64-1
// step (batch 32, sgd, mean squared error), L2 on both kernels, each run by `trainOnBatch`, by
// `fit` (per batch), by a hand-written tape step inside `tidy`, and by that step under `compileStep`. Beside the time: compute dispatches, GPU buffers and bind groups
// created, and JS heap bytes allocated, per step.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as wg from '../src/index';

const { values: opt } = parseArgs({
  options: { steps: { type: 'string', default: '300' }, runs: { type: 'string', default: '5' }, json: { type: 'string' } },
});
const STEPS = Number(opt.steps);
const RUNS = Number(opt.runs);

const { create, globals } = await import('webgpu');
Object.assign(globalThis, globals);
const gpu = create(['backend=null']); // held for the life of the process (see docs: Node and Dawn)
await wg.init({ gpu });
// Dawn's callbacks need the event loop to keep turning while a GPU promise is pending.
const keepAlive = setInterval(() => {}, 1000);

/** GPU objects created, counted by wrapping the device's factories. */
const created = { buffers: 0, bindGroups: 0 };
const device = wg.getDevice() as unknown as Record<string, (d: unknown) => unknown>;
for (const [name, key] of [['createBuffer', 'buffers'], ['createBindGroup', 'bindGroups']] as const) {
  const make = device[name].bind(device);
  device[name] = (d: unknown) => {
    created[key]++;
    return make(d);
  };
}

const collect = (globalThis as { gc?: () => void }).gc;

interface Spec {
  name: string;
  units: [number, number, number];
  batch: number;
  loss: 'softmaxCrossEntropy' | 'meanSquaredError';
  optimizer: () => wg.Optimizer;
}
const specs: Spec[] = [
  { name: '784-256-10 b128 adam', units: [784, 256, 10], batch: 128, loss: 'softmaxCrossEntropy', optimizer: () => wg.optimizers.adam({ learningRate: 1e-3 }) },
  { name: '32-64-1 b32 sgd', units: [32, 64, 1], batch: 32, loss: 'meanSquaredError', optimizer: () => wg.optimizers.sgd({ learningRate: 1e-2 }) },
];

/** Softmax cross-entropy from logits, or mean squared error. */
const lossOf = (s: Spec) => (s.loss === 'meanSquaredError' ? wg.losses.meanSquaredError : (t: wg.Tensor, p: wg.Tensor) => wg.losses.categoricalCrossentropy(t, p, { fromLogits: true }));

function modelOf(s: Spec): wg.Sequential {
  const [inputs, hidden, outputs] = s.units;
  const m = wg.sequential({
    layers: [
      wg.layers.dense({ units: hidden, activation: 'relu', inputShape: [inputs], kernelRegularizer: wg.regularizers.l2(1e-4) }),
      wg.layers.dense({ units: outputs, kernelRegularizer: wg.regularizers.l2(1e-4) }),
    ],
  });
  m.compile({ optimizer: s.optimizer(), loss: lossOf(s) });
  return m;
}

interface Row {
  workload: string;
  path: string;
  hostMs: number;
  cpuMs: number;
  dispatches: number;
  buffers: number;
  bindGroups: number;
  heapBytes: number | null;
}

/**
 * Times `run(n)` (n steps, resolved once they are encoded and submitted): the median over RUNS
 * runs of host milliseconds per step (wall clock, and the process's CPU time, which other
 * processes on a loaded machine disturb less; Dawn's own threads are in it too), and per step the dispatches and GPU objects of the last
 * run, and the heap bytes of a separate run bracketed by full collections.
 */
async function measure(workload: string, path: string, run: (n: number) => Promise<void>): Promise<Row> {
  await run(Math.max(20, STEPS / 10)); // pipelines, slots, captures
  await wg.sync();
  const times: number[] = [];
  const cpu: number[] = [];
  let dispatches = 0;
  let buffers = 0;
  let bindGroups = 0;
  for (let r = 0; r < RUNS; r++) {
    const d0 = wg.memory().numDispatches;
    const b0 = created.buffers;
    const g0 = created.bindGroups;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run(STEPS);
    times.push((performance.now() - t0) / STEPS);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000 / STEPS);
    dispatches = (wg.memory().numDispatches - d0) / STEPS;
    buffers = (created.buffers - b0) / STEPS;
    bindGroups = (created.bindGroups - g0) / STEPS;
    await wg.sync();
  }
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return { workload, path, hostMs: times[times.length >> 1], cpuMs: cpu[cpu.length >> 1], dispatches, buffers, bindGroups, heapBytes: await heapPerStep(run) };
}

/**
 * Heap bytes allocated per step: the growth of the used heap over a run short enough that no
 * collection falls inside it (a run in which the heap shrank saw one and is discarded), between
 * two full collections. Needs `--expose-gc`; null without it.
 */
async function heapPerStep(run: (n: number) => Promise<void>): Promise<number | null> {
  if (!collect) return null;
  const found: number[] = [];
  for (let attempt = 0; attempt < 8 && found.length < 3; attempt++) {
    collect();
    const before = process.memoryUsage().heapUsed;
    await run(40);
    const after = process.memoryUsage().heapUsed;
    if (after >= before) found.push((after - before) / 40);
    await wg.sync();
  }
  if (!found.length) return null;
  found.sort((a, b) => a - b);
  return found[found.length >> 1];
}

const rows: Row[] = [];
for (const s of specs) {
  const [inputs, , outputs] = s.units;
  const x = wg.keep(wg.randomNormal([s.batch, inputs], { seed: 1 }));
  const y = wg.keep(wg.randomUniform([s.batch, outputs], { seed: 2 }));

  const viaTrainOnBatch = modelOf(s);
  rows.push(
    await measure(s.name, 'trainOnBatch', async (n) => {
      for (let i = 0; i < n; i++) await viaTrainOnBatch.trainOnBatch(x, y);
    }),
  );

  // fit over n batches: the per-batch share of one epoch (its start and end checks included).
  const viaFit = modelOf(s);
  const fitData = new Map<number, [wg.Tensor, wg.Tensor]>();
  rows.push(
    await measure(s.name, 'fit (per batch)', async (n) => {
      let data = fitData.get(n);
      if (!data) fitData.set(n, (data = [wg.keep(wg.randomNormal([n * s.batch, inputs], { seed: 3 })), wg.keep(wg.randomUniform([n * s.batch, outputs], { seed: 4 }))]));
      await viaFit.fit(data[0], data[1], { epochs: 1, batchSize: s.batch, shuffle: false, verbose: 0 });
    }),
  );

  // The step a person writes: forward under a tape, gradients, the optimizer, all inside tidy.
  const tapeStep = (m: wg.Sequential, opt: wg.Optimizer) => (xb: wg.Tensor, yb: wg.Tensor) => {
    const tape = new wg.GradientTape();
    const vars = m.trainableWeights;
    const lossFn = lossOf(s);
    const loss = tape.record(() => wg.add(lossFn(yb, m.apply(xb, { training: true }) as wg.Tensor), wg.addN(m.losses)));
    const grads = tape.gradient(loss, vars);
    tape.dispose();
    opt.applyGradients(grads, vars);
    return loss;
  };
  const viaTape = modelOf(s);
  const plain = tapeStep(viaTape, s.optimizer());
  rows.push(
    await measure(s.name, 'tape step', async (n) => {
      for (let i = 0; i < n; i++) wg.tidy(() => void plain(x, y));
      await Promise.resolve(); // the batch's submit (a microtask)
    }),
  );

  const viaCompiled = modelOf(s);
  const compiled = wg.compileStep(tapeStep(viaCompiled, s.optimizer()));
  rows.push(
    await measure(s.name, 'compileStep(tape step)', async (n) => {
      for (let i = 0; i < n; i++) wg.tidy(() => void compiled(x, y));
      await Promise.resolve();
    }),
  );
  compiled.dispose();
  for (const t of [x, y, ...[...fitData.values()].flat()]) t.dispose();
}

const fmt = (v: number | null, digits: number) => (v === null ? 'n/a' : v.toFixed(digits));
const lines = [
  '| workload | path | host ms/step | CPU ms/step | dispatches | buffers created | bind groups created | JS heap bytes |',
  '|---|---|--:|--:|--:|--:|--:|--:|',
  ...rows.map((r) => `| ${r.workload} | ${r.path} | ${fmt(r.hostMs, 3)} | ${fmt(r.cpuMs, 3)} | ${fmt(r.dispatches, 1)} | ${fmt(r.buffers, 2)} | ${fmt(r.bindGroups, 2)} | ${fmt(r.heapBytes, 0)} |`),
];
console.log(`Host time per step (Dawn null backend, Node ${process.version}; per step)\n\n${lines.join('\n')}\n`);
if (opt.json) writeFileSync(opt.json, `${JSON.stringify(rows, null, 2)}\n`);
clearInterval(keepAlive);
process.exit(0);
