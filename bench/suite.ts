// The benchmark suite, independent of any engine: workload definitions, the data every engine
// trains on (made here, on the CPU, so all engines start from the same weights), the timing
// harness and the result rows. The page (page.ts) and the Node entry (node.ts) both run it.
import { seededRandom as rng } from '../src/rng';
import { DEFAULT_TRANSFORMER, makeTransformerData, type TransformerData, type TransformerSpec, transformerName } from './transformer_bench';
import {
  type CnnData,
  type CnnFitSpec,
  cnnName,
  type CnnSpec,
  type ConvLayerData,
  type ConvLayerSpec,
  convFlops,
  convName,
  convText,
  DEFAULT_CNN,
  DEFAULT_CNN_FIT,
  DEFAULT_CONV,
  makeCnnData,
  makeConvData,
} from './cnn';

/** A two-layer perceptron trained with SGD, L1+L2 penalties on both kernels. */
export interface MlpSpec {
  /** [inputs, hidden units (relu), outputs] */
  units: [number, number, number];
  batch: number;
  /** Softmax cross-entropy on logits against one-hot labels, or mean squared error. */
  loss: 'softmaxCrossEntropy' | 'meanSquaredError';
  l1: number;
  l2: number;
  learningRate: number;
}

/** One epoch of `fit` over `samples` rows in batches of `spec.batch`, no shuffling. */
export interface FitSpec extends MlpSpec {
  samples: number;
}

export interface SuiteConfig {
  matmul: number[];
  steps: MlpSpec[];
  fit: FitSpec | null;
  /** The transformer-block training step (bench/transformer_bench.ts); null skips it. */
  transformer: TransformerSpec | null;
  /** 3×3 convolution layers timed forward and backward (bench/cnn.ts). */
  conv: ConvLayerSpec[];
  /** CNN training steps, and the CNN trained for one `fit` epoch (bench/cnn.ts). */
  cnn: CnnSpec[];
  cnnFit: CnnFitSpec | null;
  /** Time spent per engine and workload once warmed up, which sets the number of runs. */
  budgetMs: number;
  minRuns: number;
  maxRuns: number;
}

/** The same values an engine turns into its own tensors. Row-major, float32. */
export interface MlpData {
  x: Float32Array;
  y: Float32Array;
  rows: number;
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
}

/**
 * Work prepared by an engine: `run(times)` performs `times` units (matmuls, training steps,
 * epochs) and resolves when the GPU has finished them. A training unit resolves to the loss
 * it read back (the value reaches JavaScript, as a person training would want).
 */
export interface Workload {
  run(times: number): Promise<number | undefined>;
  /** Compute dispatches issued so far, where the engine counts them. */
  dispatches?(): number;
  /** Throws if the work computes something wrong (run once, after timing). */
  verify?(): Promise<void>;
  dispose(): void;
}

export interface Engine {
  readonly id: EngineId;
  readonly label: string;
  /** Starts the engine's WebGPU backend; resolves to a short description (version, backend). */
  init(): Promise<string>;
  matmul(n: number): Promise<Workload>;
  trainStep(spec: MlpSpec, data: MlpData): Promise<Workload>;
  fitEpoch(spec: FitSpec, data: MlpData): Promise<Workload>;
  transformerStep(spec: TransformerSpec, data: TransformerData): Promise<Workload>;
  /** One unit: y = conv2d(x, filter) and both gradients for the cotangent dy; `verify` checks them (checkConv). */
  convLayer(spec: ConvLayerSpec, data: ConvLayerData): Promise<Workload>;
  cnnStep(spec: CnnSpec, data: CnnData): Promise<Workload>;
  cnnFitEpoch(spec: CnnFitSpec, data: CnnData): Promise<Workload>;
}

export type EngineId = 'webgrad' | 'tfjs' | 'jax';
export const ENGINE_LABELS: Record<EngineId, string> = { webgrad: 'webgrad', tfjs: 'TensorFlow.js', jax: 'jax-js' };

export type RowKind = 'matmul' | 'step' | 'fit' | 'conv' | 'transformer';

export interface Measurement {
  /** Median milliseconds per unit. */
  ms: number;
  /** GFLOP/s for matmuls, units per second otherwise. */
  rate: number;
  runs: number;
  /** Milliseconds of the first call (pipeline compilation included). */
  firstMs: number;
  dispatchesPerUnit?: number;
  /** Loss after the first and the last unit, for training workloads. */
  firstLoss?: number;
  lastLoss?: number;
  error?: string;
}

export interface Row {
  id: string;
  kind: RowKind;
  label: string;
  /** A few words for a chart axis. */
  short: string;
  unit: 'GFLOP/s' | 'ms/step' | 'ms/epoch';
  results: Partial<Record<EngineId, Measurement>>;
}

export const DEFAULT_STEPS: MlpSpec[] = [
  { units: [784, 256, 10], batch: 128, loss: 'softmaxCrossEntropy', l1: 1e-5, l2: 1e-4, learningRate: 0.05 },
  { units: [32, 64, 1], batch: 32, loss: 'meanSquaredError', l1: 1e-5, l2: 1e-4, learningRate: 0.05 },
];

export const DEFAULT_CONFIG: SuiteConfig = {
  matmul: [256, 512, 1024],
  steps: DEFAULT_STEPS,
  fit: { ...DEFAULT_STEPS[0], samples: 1024 },
  transformer: DEFAULT_TRANSFORMER,
  conv: DEFAULT_CONV,
  cnn: DEFAULT_CNN,
  cnnFit: DEFAULT_CNN_FIT,
  budgetMs: 1500,
  minRuns: 3,
  maxRuns: 20,
};

/** "784-256-10x128:ce" → an MLP spec (":mse" for mean squared error; the default is CE unless one output). */
export function parseMlp(text: string, base: Pick<MlpSpec, 'l1' | 'l2' | 'learningRate'> = DEFAULT_STEPS[0]): MlpSpec {
  const m = /^(\d+)-(\d+)-(\d+)x(\d+)(?::(ce|mse))?$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a network shape: write in-hidden-out x batch, e.g. 784-256-10x128:ce`);
  const [nIn, nHidden, nOut, batch] = m.slice(1, 5).map(Number);
  if ([nIn, nHidden, nOut, batch].some((v) => v < 1)) throw new Error(`"${text}": every size must be at least 1`);
  const loss = m[5] === 'mse' || (!m[5] && nOut === 1) ? 'meanSquaredError' : 'softmaxCrossEntropy';
  return { units: [nIn, nHidden, nOut], batch, loss, l1: base.l1, l2: base.l2, learningRate: base.learningRate };
}

export const shapeText = (s: MlpSpec): string => `${s.units.join('-')}x${s.batch}:${s.loss === 'meanSquaredError' ? 'mse' : 'ce'}`;

export const mlpName = (s: MlpSpec): string => `${s.units.join('-')}, batch ${s.batch}, ${s.loss === 'meanSquaredError' ? 'mse' : 'softmax CE'}`;

/** mulberry32: a small seeded generator, so every engine and every run sees the same data. */
export { rng };

/**
 * Inputs ~ U(−1, 1); targets one-hot (classification) or U(−1, 1) (regression); kernels Glorot
 * uniform, limit √(6 / (fanIn + fanOut)) as Keras initialises dense layers; biases zero.
 */
export function makeMlpData(spec: MlpSpec, rows: number, seed = 1): MlpData {
  const [nIn, nHidden, nOut] = spec.units;
  const r = rng(seed);
  const uniform = (n: number, limit: number) => Float32Array.from({ length: n }, () => (2 * r() - 1) * limit);
  const x = uniform(rows * nIn, 1);
  let y: Float32Array;
  if (spec.loss === 'softmaxCrossEntropy') {
    y = new Float32Array(rows * nOut);
    for (let i = 0; i < rows; i++) y[i * nOut + Math.floor(r() * nOut)] = 1;
  } else {
    y = uniform(rows * nOut, 1);
  }
  return {
    x,
    y,
    rows,
    w1: uniform(nIn * nHidden, Math.sqrt(6 / (nIn + nHidden))),
    b1: new Float32Array(nHidden),
    w2: uniform(nHidden * nOut, Math.sqrt(6 / (nHidden + nOut))),
    b2: new Float32Array(nOut),
  };
}

/**
 * Spot-checks C = A·B (n×n, row-major) at a few entries against plain dot products, so that a
 * benchmark can never time a kernel that skipped or botched its work. Float32 sums of n products
 * of N(0, 1) values are off by far less than the tolerance; a wrong entry is off by about √n.
 */
export function checkProduct(engine: string, n: number, a: Float32Array, b: Float32Array, c: Float32Array): void {
  const picks = [[0, 0], [n - 1, n - 1], [n >> 1, n >> 3], [n >> 3, n - 1], [n - 1, 0]];
  for (const [i, j] of picks) {
    let dot = 0;
    for (let k = 0; k < n; k++) dot += a[i * n + k] * b[k * n + j];
    if (!(Math.abs(c[i * n + j] - dot) <= 1e-5 * n + 1e-3)) {
      throw new Error(`${engine} matmul ${n}×${n}: C[${i}, ${j}] is ${c[i * n + j]}, the dot product is ${dot}`);
    }
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A first call longer than this (and than four budgets) is followed by one timed run only. */
const SLOW_MS = 6000;

/** Matmuls shorter than this are grouped into one timed sample, so that timer and submit costs fade. */
const MIN_SAMPLE_MS = 20;

/**
 * Warm-up, then timed samples, each awaited. The first call compiles pipelines and is not
 * counted; a second warm-up call runs when the first was cheap. Samples are then taken until
 * `budgetMs` is spent, at least `minRuns` and at most `maxRuns` of them, so a 4-second matmul on
 * a slow adapter runs 3 times and a 2-millisecond one 20 times.
 */
export async function measure(
  w: Workload,
  opts: { budgetMs: number; minRuns: number; maxRuns: number; groupable: boolean; flops?: number },
): Promise<Measurement> {
  const timeOne = async (times: number) => {
    const t0 = performance.now();
    const loss = await w.run(times);
    return { ms: (performance.now() - t0) / times, loss };
  };
  const first = await timeOne(1);
  let estimate = first.ms;
  if (first.ms < opts.budgetMs / 4) estimate = (await timeOne(1)).ms;
  const times = opts.groupable && estimate < MIN_SAMPLE_MS ? Math.ceil(MIN_SAMPLE_MS / Math.max(estimate, 0.05)) : 1;
  // A unit that takes more than four budgets and SLOW_MS (a slow peer's convolution or CNN epoch
  // on a CPU adapter: 10–80 s each) is timed once after its first call, not minRuns times.
  const minRuns = first.ms > Math.max(4 * opts.budgetMs, SLOW_MS) ? 1 : opts.minRuns;
  const samples: number[] = [];
  const d0 = w.dispatches?.();
  const started = performance.now();
  let lastLoss: number | undefined;
  while (samples.length < minRuns || (samples.length < opts.maxRuns && performance.now() - started < opts.budgetMs)) {
    const s = await timeOne(times);
    samples.push(s.ms);
    lastLoss = s.loss;
  }
  const d1 = w.dispatches?.();
  const ms = median(samples);
  return {
    ms,
    rate: opts.flops ? opts.flops / (ms * 1e6) : 1000 / ms,
    runs: samples.length,
    firstMs: first.ms,
    dispatchesPerUnit: d0 !== undefined && d1 !== undefined ? (d1 - d0) / (samples.length * times) : undefined,
    firstLoss: first.loss,
    lastLoss,
  };
}

/** One suite task: a row and an engine. */
export interface Task {
  row: Row;
  engine: Engine;
  prepare(): Promise<Workload>;
  groupable: boolean;
  flops?: number;
}

/** Rows and tasks in run order: per workload, every engine in turn. */
export function planSuite(config: SuiteConfig, engines: Engine[]): { rows: Row[]; tasks: Task[] } {
  const rows: Row[] = [];
  const tasks: Task[] = [];
  const add = (row: Row, groupable: boolean, flops: number | undefined, prepare: (e: Engine) => Promise<Workload>) => {
    rows.push(row);
    for (const engine of engines) tasks.push({ row, engine, groupable, flops, prepare: () => prepare(engine) });
  };
  for (const n of config.matmul) {
    add({ id: `matmul-${n}`, kind: 'matmul', label: `matmul ${n}×${n}`, short: `${n}²`, unit: 'GFLOP/s', results: {} }, true, 2 * n ** 3, (e) => e.matmul(n));
  }
  for (const spec of config.steps) {
    const data = makeMlpData(spec, spec.batch);
    add(
      { id: `step-${spec.units.join('-')}-b${spec.batch}`, kind: 'step', label: `train step ${mlpName(spec)}`, short: `step ${spec.units.join('-')}`, unit: 'ms/step', results: {} },
      false,
      undefined,
      (e) => e.trainStep(spec, data),
    );
  }
  if (config.fit) {
    const spec = config.fit;
    const data = makeMlpData(spec, spec.samples, 2);
    add(
      { id: `fit-${spec.units.join('-')}-n${spec.samples}`, kind: 'fit', label: `fit epoch ${mlpName(spec)}, ${spec.samples} samples`, short: `fit ${spec.samples}×${spec.units.join('-')}`, unit: 'ms/epoch', results: {} },
      false,
      undefined,
      (e) => e.fitEpoch(spec, data),
    );
  }
  for (const spec of config.conv) {
    const data = makeConvData(spec);
    add(
      { id: `conv-${convText(spec)}`, kind: 'conv', label: `conv2d forward+backward ${convName(spec)}`, short: `conv ${spec.inC}→${spec.filters}`, unit: 'GFLOP/s', results: {} },
      false,
      convFlops(spec),
      (e) => e.convLayer(spec, data),
    );
  }
  for (const spec of config.cnn) {
    const data = makeCnnData(spec, spec.batch);
    add(
      { id: `cnn-step-${spec.filters.join('-')}-b${spec.batch}`, kind: 'step', label: `train step ${cnnName(spec)}`, short: `CNN b${spec.batch}`, unit: 'ms/step', results: {} },
      false,
      undefined,
      (e) => e.cnnStep(spec, data),
    );
  }
  if (config.cnnFit) {
    const spec = config.cnnFit;
    const data = makeCnnData(spec, spec.samples, 5);
    add(
      { id: `cnn-fit-${spec.filters.join('-')}-n${spec.samples}`, kind: 'fit', label: `fit epoch ${cnnName(spec)}, ${spec.samples} samples`, short: `CNN fit ${spec.samples}`, unit: 'ms/epoch', results: {} },
      false,
      undefined,
      (e) => e.cnnFitEpoch(spec, data),
    );
  }
  if (config.transformer) {
    const spec = config.transformer;
    const data = makeTransformerData(spec);
    add(
      { id: `transformer-c${spec.context}-b${spec.batch}`, kind: 'transformer', label: `train step ${transformerName(spec)}`, short: 'transformer', unit: 'ms/step', results: {} },
      false,
      undefined,
      (e) => e.transformerStep(spec, data),
    );
  }
  return { rows, tasks };
}

export async function runTask(task: Task, config: SuiteConfig): Promise<Measurement> {
  let w: Workload | undefined;
  try {
    w = await task.prepare();
    const m = await measure(w, { budgetMs: config.budgetMs, minRuns: config.minRuns, maxRuns: config.maxRuns, groupable: task.groupable, flops: task.flops });
    await w.verify?.();
    return m;
  } finally {
    w?.dispose();
  }
}

/** The value shown for a row: GFLOP/s for matmuls and convolutions, milliseconds otherwise. */
export const shown = (row: Row, m: Measurement): number => (row.unit === 'GFLOP/s' ? m.rate : m.ms);

/**
 * webgrad's speed relative to the fastest peer (> 1: webgrad is faster), as a ratio of rates,
 * so 2 means twice the GFLOP/s or half the milliseconds.
 */
export function webgradVsBestPeer(row: Row): number | undefined {
  const own = row.results.webgrad;
  if (!own || own.error) return undefined;
  const peers = (['tfjs', 'jax'] as EngineId[]).map((id) => row.results[id]).filter((m): m is Measurement => !!m && !m.error);
  if (!peers.length) return undefined;
  return own.rate / Math.max(...peers.map((m) => m.rate));
}

/** Each engine's rate over the fastest engine's on the row (1 = fastest). */
export function relativeToFastest(row: Row, id: EngineId): number | undefined {
  const m = row.results[id];
  if (!m || m.error) return undefined;
  const best = Math.max(...Object.values(row.results).filter((r) => !r.error).map((r) => r.rate));
  return m.rate / best;
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  if (v >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

export const formatCount = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(1));

/** The results as a markdown table, one column per engine that ran. */
export function markdownTable(rows: Row[], engines: EngineId[]): string {
  const peers = engines.some((id) => id !== 'webgrad');
  const head = ['workload', 'unit', ...engines.map((id) => ENGINE_LABELS[id]), ...(peers ? ['webgrad ÷ fastest peer'] : []), 'webgrad dispatches'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`];
  for (const row of rows) {
    const cells = engines.map((id) => {
      const m = row.results[id];
      if (!m) return '–';
      if (m.error) return 'error';
      return formatNumber(shown(row, m));
    });
    if (peers) {
      const ratio = webgradVsBestPeer(row);
      cells.push(ratio === undefined ? '–' : `${ratio.toFixed(2)}×`);
    }
    const d = row.results.webgrad?.dispatchesPerUnit;
    const per = row.kind === 'step' || row.kind === 'transformer' ? '/step' : row.kind === 'fit' ? '/epoch' : '';
    cells.push(d === undefined ? '–' : `${formatCount(d)}${per}`);
    lines.push(`| ${row.label} | ${row.unit} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
