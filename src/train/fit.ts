// compile / fit / evaluate / predict with Keras 3 behaviour, for any model that can apply itself
// and list its trainable weights and losses (Model delegates here).
//
// A training step is plain synchronous code (forward under a tape, gradient, fused optimizer
// kernels), encoded into one command batch and submitted once. Nothing is read back per batch:
// each step adds its batch-size-weighted loss, penalty and metrics into a small GPU vector of
// running sums (shaders/epoch_sums.wgsl), which is read once at the end of the epoch, training
// and validation sums together. Only an `onBatchEnd` callback, which asks for batch logs, makes
// fit read the sums after every batch.
import { engine } from '../device/engine';
import type { Storage } from '../device/storage';
import { epochSumsKernel } from '../kernels/metrics';
import { copyElements, writeElements } from '../tensor/copy';
import { InvalidArgumentError, NonFiniteError, ShapeError } from '../errors';
import { GradientTape } from '../autodiff/tape';
import { mul } from '../ops/binary';
import { gather } from '../ops/gather';
import { type PenaltyFactors, penaltyTermOf } from '../ops/penalty';
import { withoutRecording } from '../ops/primitive';
import { mean, sum } from '../ops/reduce';
import { reshape } from '../ops/shape_ops';
import { concatFlat, tensor } from '../tensor/create';
import { fmt, sameShape } from '../tensor/shape';
import { emptyTensor, keep, type NestedArray, Tensor, tidy } from '../tensor/tensor';
import { Variable } from '../tensor/variable';
import { getLoss, type LossFn } from './losses';
import { getMetric, type MetricFn } from './metrics';
import { getOptimizer, Optimizer } from './optimizers';

export interface TrainableModel {
  apply(x: Tensor, opts?: { training?: boolean }): Tensor;
  readonly trainableWeights: Variable[];
  readonly losses: Tensor[];
  /** Set to true (by a callback) to end `fit` after the current batch, as in Keras and TF.js. */
  stopTraining?: boolean;
}

export type LossOrName = string | LossFn;
export type MetricOrName = string | MetricFn;

export interface CompileArgs {
  optimizer: Optimizer | string;
  loss: LossOrName;
  metrics?: MetricOrName[];
}

export interface Compiled {
  readonly optimizer: Optimizer;
  readonly loss: LossFn;
  /** Log keys in order: the metric names as given to compile. */
  readonly metrics: ReadonlyArray<{ readonly name: string; readonly fn: MetricFn }>;
}

/** Training data: a tensor, nested arrays or a Float32Array; the first axis is the sample. */
export type Data = Tensor | NestedArray | Float32Array;

export type Logs = Record<string, number>;

/** Each may return a promise; fit awaits it. */
export interface Callbacks {
  onTrainBegin?(logs: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs: Logs): void | Promise<void>;
  /** Its logs are the running means over the epoch so far (as Keras 3 reports them). */
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  onTrainEnd?(logs: Logs): void | Promise<void>;
}

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  /** Reshuffle the training samples before each epoch (default true). */
  shuffle?: boolean;
  /** Makes the shuffles reproducible. */
  seed?: number;
  validationData?: [Data, Data];
  /** The last fraction of the samples, taken before shuffling, held out for validation. */
  validationSplit?: number;
  callbacks?: Callbacks | Callbacks[];
  /** 1 or 2: print one line per epoch. Default 0 (silent). */
  verbose?: number;
  /** The epoch to start counting from (to resume an earlier fit). */
  initialEpoch?: number;
}

export interface History {
  epoch: number[];
  history: { loss: number[]; regularizationLoss: number[]; [key: string]: number[] };
  params: { epochs: number; initialEpoch: number; samples: number; steps: number; batchSize: number; validation: boolean };
}

export function compileModel(args: CompileArgs): Compiled {
  if (args === null || typeof args !== 'object') throw new InvalidArgumentError('compile: expects { optimizer, loss, metrics? }.');
  const { optimizer, loss, metrics = [] } = args;
  let opt: Optimizer;
  if (optimizer instanceof Optimizer) opt = optimizer;
  else if (typeof optimizer === 'string') opt = getOptimizer(optimizer);
  else throw new InvalidArgumentError("compile: optimizer must be an Optimizer or a name ('sgd', 'adam', 'adamw', 'rmsprop').");
  let lossFn: LossFn;
  if (typeof loss === 'function') lossFn = loss;
  else if (typeof loss === 'string') lossFn = getLoss(loss);
  else throw new InvalidArgumentError('compile: loss must be a loss name or a function (yTrue, yPred) => Tensor.');
  if (!Array.isArray(metrics)) throw new InvalidArgumentError('compile: metrics must be an array.');
  const resolved = metrics.map((m, i) => {
    if (typeof m === 'function') return { name: m.name || `metric_${i}`, fn: m };
    return { name: m, fn: getMetric(m) };
  });
  const names = new Set<string>();
  for (const { name } of resolved) {
    if (name === 'loss' || name === 'regularizationLoss' || names.has(name)) throw new InvalidArgumentError(`compile: the metric name '${name}' is taken.`);
    names.add(name);
  }
  return { optimizer: opt, loss: lossFn, metrics: resolved };
}

// ---------------------------------------------------------------------------------------------
// Argument checks: all run before any GPU work that could change a weight.

function positiveInteger(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new InvalidArgumentError(`${op}: ${name} must be a positive integer, got ${String(v)}.`);
  return v;
}

function nonNegativeInteger(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new InvalidArgumentError(`${op}: ${name} must be a non-negative integer, got ${String(v)}.`);
  return v;
}

function checkCompiled(op: string, c: Compiled | undefined): Compiled {
  if (!c || !(c.optimizer instanceof Optimizer) || typeof c.loss !== 'function') {
    throw new InvalidArgumentError(`${op}: compile the model first (model.compile({ optimizer, loss })).`);
  }
  return c;
}

function checkCallbacks(cbs: Callbacks | Callbacks[] | undefined): Callbacks[] {
  const list = cbs === undefined ? [] : Array.isArray(cbs) ? cbs : [cbs];
  const hooks = ['onTrainBegin', 'onEpochBegin', 'onBatchBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'] as const;
  for (const cb of list) {
    if (cb === null || typeof cb !== 'object') throw new InvalidArgumentError('fit: callbacks must be objects with onEpochEnd, onBatchEnd, ... methods.');
    for (const h of hooks) {
      if (cb[h] !== undefined && typeof cb[h] !== 'function') throw new InvalidArgumentError(`fit: callback ${h} must be a function.`);
    }
  }
  return list;
}

/** Data as a tensor with a sample axis; `owned` when made here (and to be disposed here). */
interface Samples {
  t: Tensor;
  owned: boolean;
}

function asSamples(op: string, name: string, v: Data): Samples {
  if (v instanceof Tensor) {
    v.assertUsable(op);
    if (v.rank < 1) throw new ShapeError(`${op}: ${name} needs a sample axis, got shape ${fmt(v.shape)}.`);
    return { t: v, owned: false };
  }
  if (!(v instanceof Float32Array) && !Array.isArray(v)) {
    throw new InvalidArgumentError(`${op}: ${name} must be a Tensor, nested arrays or a Float32Array.`);
  }
  const t = tensor(v);
  if (t.rank < 1) {
    t.dispose();
    throw new ShapeError(`${op}: ${name} needs a sample axis.`);
  }
  return { t, owned: true };
}

function release(...samples: Array<Samples | undefined>): void {
  for (const s of samples) if (s?.owned) s.t.dispose();
}

/** Converts x and y and checks they hold the same number of samples (at least one). */
function pairOf(op: string, x: Data, y: Data, names = ['x', 'y']): [Samples, Samples] {
  const xs = asSamples(op, names[0], x);
  let ys: Samples | undefined;
  try {
    ys = asSamples(op, names[1], y);
    if (xs.t.shape[0] !== ys.t.shape[0]) {
      throw new ShapeError(`${op}: ${names[0]} ${fmt(xs.t.shape)} and ${names[1]} ${fmt(ys.t.shape)} hold different numbers of samples (${xs.t.shape[0]} vs ${ys.t.shape[0]}).`);
    }
    if (xs.t.shape[0] === 0) throw new InvalidArgumentError(`${op}: no samples to use.`);
    return [xs, ys];
  } catch (e) {
    release(xs, ys);
    throw e;
  }
}

function batchSizeOf(op: string, v: unknown): number {
  return v === undefined ? 32 : positiveInteger(op, 'batchSize', v);
}

const knownFinite = new WeakSet<Storage>();

/**
 * Throws NonFiniteError when an input holds NaN or ±Infinity, before any weight changes. Checked
 * on the GPU: the inputs are copied end to end into one buffer (copies are not dispatches) and
 * Σ(v·0) is taken over it, which is NaN exactly when some v is not finite (0·±∞ and 0·NaN are NaN,
 * 0·finite is 0): one multiply, one reduction and a 4-byte readback. (Inputs too big for one
 * storage binding together are split into groups, each checked the same way.) Only when the check
 * fails are the inputs searched, to name the one at fault and its first bad sample.
 */
async function checkFinite(op: string, all: ReadonlyArray<readonly [string, Tensor]>): Promise<void> {
  // A tensor's values never change (only variables are mutable), so one that passed once passes
  // again: keyed by its storage, so views of the same data count too.
  const inputs = all.filter(([, t]) => t instanceof Variable || !knownFinite.has(t.storage));
  if (inputs.length === 0) return;
  const maxFloats = Math.floor((engine().info.limits.maxStorageBufferBindingSize ?? 2 ** 27) / 4);
  const groups: Tensor[][] = [];
  let floats = Infinity;
  for (const [, t] of inputs) {
    if (floats + t.size > maxFloats) {
      groups.push([]);
      floats = 0;
    }
    groups[groups.length - 1].push(t);
    floats += t.size;
  }
  const flags = emptyTensor([groups.length]);
  let values: Float32Array;
  try {
    groups.forEach((group, g) =>
      tidy(() =>
        withoutRecording(() => {
          copyElements(sum(mul(concatFlat(group, op), 0)), 0, flags, g, 1, op);
        }),
      ),
    );
    values = await flags.data();
  } finally {
    flags.dispose();
  }
  if (!values.some(Number.isNaN)) {
    for (const [, t] of inputs) if (!(t instanceof Variable)) knownFinite.add(t.storage);
    return;
  }
  for (const [name, t] of inputs) {
    const perSample = tidy(() => withoutRecording(() => sum(mul(reshape(t, [t.shape[0], -1]), 0), 1)));
    const bad = (await perSample.data().finally(() => perSample.dispose())).findIndex(Number.isNaN);
    if (bad >= 0) throw new NonFiniteError(`${op}: ${name} ${fmt(t.shape)} holds a non-finite value (NaN or ±Infinity), first in sample ${bad}; no weight was changed.`);
  }
}

// ---------------------------------------------------------------------------------------------
// Batches

/** Rows [start, start + count) of `t`, copied (no dispatch), or `t` itself viewed whole. */
function rowsOf(t: Tensor, start: number, count: number): Tensor {
  if (start === 0 && count === t.shape[0]) return t.view(t.shape);
  const rowFloats = t.size / t.shape[0];
  const out = emptyTensor([count, ...t.shape.slice(1)]);
  copyElements(t, start * rowFloats, out, 0, count * rowFloats, 'fit');
  return out;
}

/** Rows [start, start + count) of the sample order (a shuffled index tensor, or none) of x and y. */
function batchOf(x: Tensor, y: Tensor, order: Tensor | null, start: number, count: number): [Tensor, Tensor] {
  if (!order) return [rowsOf(x, start, count), rowsOf(y, start, count)];
  const picked = rowsOf(order, start, count);
  return [gather(x, picked), gather(y, picked)];
}

/** A reproducible stream of numbers in [0, 1) (mulberry32). */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Fisher–Yates shuffle of 0..n−1. */
function permutation(n: number, random: () => number): Float32Array {
  const p = Float32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// Running sums of the logged values, on the GPU

class LogSums {
  readonly sums: Tensor;

  constructor(readonly keys: string[], sections: number) {
    this.sums = keep(emptyTensor([keys.length * sections]));
    this.reset();
  }

  reset(): void {
    writeElements(this.sums, new Float32Array(this.sums.size), 'fit');
  }

  /**
   * Adds one batch's logs, weighted by its sample count, into `section`: the loss is the compiled
   * loss plus the penalties, the regularization loss the penalties alone, then the metrics, all
   * summed in the kernel (shaders/epoch_sums.wgsl). The scalars are packed by copies, then one
   * dispatch adds them all; the total loss is never formed as a tensor of its own.
   */
  add(section: number, f: Forward, metrics: Tensor[], weight: number): void {
    const values = [f.compiled, ...metrics, ...f.penalties];
    const packed = emptyTensor([values.length]);
    values.forEach((v, i) => copyElements(v, 0, packed, i, 1, 'fit'));
    epochSumsKernel.launch({
      op: 'fit',
      uniforms: { base: section * this.keys.length, metrics: metrics.length, penalties: f.penalties.length, weight },
      bindings: { values: packed, sums: this.sums },
      groups: [1],
    });
    packed.dispose();
  }

  /** The means of one section, given how many samples went into it. */
  means(values: Float32Array, section: number, samples: number, prefix = ''): Logs {
    const logs: Logs = {};
    this.keys.forEach((k, i) => (logs[prefix + k] = values[section * this.keys.length + i] / samples));
    return logs;
  }

  dispose(): void {
    this.sums.dispose();
  }
}

function logKeys(c: Compiled): string[] {
  return ['loss', 'regularizationLoss', ...c.metrics.map((m) => m.name)];
}

// ---------------------------------------------------------------------------------------------
// Steps

interface Forward {
  pred: Tensor;
  /** The compiled loss, a scalar. */
  compiled: Tensor;
  /** model.losses, each as a scalar. The loss trained on and logged is compiled + Σ penalties. */
  penalties: Tensor[];
}

/** A scalar from what a loss or metric function returned (Keras averages a per-sample result). */
function asScalar(op: string, v: unknown): Tensor {
  if (!(v instanceof Tensor)) throw new InvalidArgumentError(`${op}: the loss or metric function must return a Tensor.`);
  if (v.size !== 1) return mean(v);
  return v.rank === 0 ? v : reshape(v, []);
}

function forward(model: TrainableModel, c: Compiled, x: Tensor, y: Tensor, training: boolean): Forward {
  const pred = model.apply(x, { training });
  if (!(pred instanceof Tensor)) throw new InvalidArgumentError('fit: the model returned something other than a Tensor.');
  const compiled = asScalar('fit', c.loss(y, pred));
  const penalties = model.losses.map((l) => (l.rank === 0 ? l : l.size === 1 ? reshape(l, []) : sum(l)));
  return { pred, compiled, penalties };
}

function logBatch(sums: LogSums, section: number, c: Compiled, y: Tensor, f: Forward, rows: number): void {
  sums.add(section, f, c.metrics.map((m) => asScalar(m.name, m.fn(y, f.pred))), rows);
}

/**
 * One training step. The gradients leave the inner tidy alone, so the forward values (and any
 * view of a weight) are freed before the optimizer runs: its kernels then find each weight's
 * buffer unshared and update it in place.
 */
function trainStep(model: TrainableModel, c: Compiled, batch: () => [Tensor, Tensor], sums: LogSums, section: number, submit = true): void {
  tidy(() => {
    let vars: Variable[] = [];
    let folded = new Map<Variable, PenaltyFactors>();
    const grads = tidy(() => {
      const [x, y] = batch();
      const tape = new GradientTape();
      try {
        const f = tape.record(() => forward(model, c, x, y, true));
        vars = model.trainableWeights; // read after apply: a model builds its weights on first use
        // d(compiled + Σ penalties), from one backward pass over the terms. An L1/L2 penalty on a
        // trainable weight is not differentiated here: the optimizer's kernel adds its gradient,
        // l1·sign(w) + 2·l2·w, inside the update (no pass over the weights of its own).
        const { fold, rest } = foldablePenalties(f.penalties, vars);
        folded = fold;
        const g = vars.length ? tape.gradient([f.compiled, ...rest], vars) : [];
        logBatch(sums, section, c, y, f, x.shape[0]);
        return g;
      } finally {
        tape.dispose();
      }
    });
    if (vars.length) c.optimizer.applyGradientsWithPenalties(grads, vars, folded);
  });
  if (submit) engine().stream.flush();
}

/**
 * Splits the penalties into L1/L2 ones on distinct trainable variables, whose gradients the
 * optimizer can add itself, and the rest (activity penalties, custom ones), which go through the
 * tape.
 */
function foldablePenalties(penalties: Tensor[], vars: Variable[]): { fold: Map<Variable, PenaltyFactors>; rest: Tensor[] } {
  const trainable = new Set(vars);
  const fold = new Map<Variable, PenaltyFactors>();
  const rest: Tensor[] = [];
  for (const p of penalties) {
    const term = penaltyTermOf(p);
    if (term && term.x instanceof Variable && trainable.has(term.x) && !fold.has(term.x)) fold.set(term.x, { l1: term.l1, l2: term.l2 });
    else rest.push(p);
  }
  return { fold, rest };
}

/** Evaluates rows [start, end) batch by batch, adding into `section` of `sums`. */
function evaluateRows(model: TrainableModel, c: Compiled, x: Tensor, y: Tensor, start: number, end: number, batchSize: number, sums: LogSums, section: number): void {
  for (let s = start; s < end; s += batchSize) {
    const count = Math.min(batchSize, end - s);
    tidy(() =>
      withoutRecording(() => {
        const xb = rowsOf(x, s, count);
        const yb = rowsOf(y, s, count);
        logBatch(sums, section, c, yb, forward(model, c, xb, yb, false), count);
      }),
    );
    engine().stream.flush();
  }
}

/** Lets the event loop run (rendering, I/O) when training has held it for a while. */
let lastYield = 0;
async function yieldIfBusy(): Promise<void> {
  const now = Date.now();
  if (now - lastYield < 30) return;
  lastYield = now;
  await new Promise<void>((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}

function formatLogs(logs: Logs): string {
  return Object.entries(logs)
    .map(([k, v]) => `${k}: ${Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(4)}`)
    .join(' - ');
}

// ---------------------------------------------------------------------------------------------
// Entry points

export async function fitModel(model: TrainableModel, c: Compiled | undefined, x: Data, y: Data, opts: FitOptions = {}): Promise<History> {
  const op = 'fit';
  const compiled = checkCompiled(op, c);
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('fit: options must be an object.');
  const epochs = opts.epochs === undefined ? 1 : nonNegativeInteger(op, 'epochs', opts.epochs);
  const initialEpoch = opts.initialEpoch === undefined ? 0 : nonNegativeInteger(op, 'initialEpoch', opts.initialEpoch);
  const batchSize = batchSizeOf(op, opts.batchSize);
  const shuffle = opts.shuffle ?? true;
  if (typeof shuffle !== 'boolean') throw new InvalidArgumentError('fit: shuffle must be a boolean.');
  if (opts.seed !== undefined && (typeof opts.seed !== 'number' || !Number.isFinite(opts.seed))) {
    throw new InvalidArgumentError(`fit: seed must be a finite number, got ${String(opts.seed)}.`);
  }
  const split = opts.validationSplit ?? 0;
  if (typeof split !== 'number' || !(split >= 0 && split < 1)) throw new InvalidArgumentError(`fit: validationSplit must lie in [0, 1), got ${String(split)}.`);
  const verbose = opts.verbose ?? 0;
  const callbacks = checkCallbacks(opts.callbacks);
  if (opts.validationData !== undefined && (!Array.isArray(opts.validationData) || opts.validationData.length !== 2)) {
    throw new InvalidArgumentError('fit: validationData must be [x, y].');
  }

  const [xs, ys] = pairOf(op, x, y);
  let vx: Samples | undefined;
  let vy: Samples | undefined;
  let sums: LogSums | undefined;
  let order: Tensor | null = null;
  try {
    const n = xs.t.shape[0];
    let trainRows = n;
    if (opts.validationData) {
      [vx, vy] = pairOf(op, opts.validationData[0], opts.validationData[1], ['validationData x', 'validationData y']);
      for (const [v, t, name] of [[vx.t, xs.t, 'x'], [vy.t, ys.t, 'y']] as const) {
        if (!sameShape(v.shape.slice(1), t.shape.slice(1))) {
          throw new ShapeError(`fit: validationData ${name} ${fmt(v.shape)} does not match the training ${name} ${fmt(t.shape)} beyond the sample axis.`);
        }
      }
    } else if (split > 0) {
      // Keras: the last fraction, before any shuffling.
      trainRows = Math.floor(n * (1 - split));
      if (trainRows === 0 || trainRows === n) {
        throw new InvalidArgumentError(`fit: validationSplit ${split} of ${n} samples leaves an empty training or validation set.`);
      }
    }
    const validation = vx ? { x: vx.t, y: vy!.t, start: 0, end: vx.t.shape[0] } : trainRows < n ? { x: xs.t, y: ys.t, start: trainRows, end: n } : null;
    await checkFinite(op, vx ? [['x', xs.t], ['y', ys.t], ['validationData x', vx.t], ['validationData y', vy!.t]] : [['x', xs.t], ['y', ys.t]]);
    const steps = Math.ceil(trainRows / batchSize);
    const keys = logKeys(compiled);
    sums = new LogSums(keys, validation ? 2 : 1);
    const random = seededRandom(opts.seed ?? Math.floor(Math.random() * 2 ** 32));
    const history: History = {
      epoch: [],
      history: { loss: [], regularizationLoss: [] },
      params: { epochs, initialEpoch, samples: trainRows, steps, batchSize, validation: validation !== null },
    };
    if ('stopTraining' in model) model.stopTraining = false;
    let logs: Logs = {};
    const batchLogs = callbacks.some((cb) => cb.onBatchEnd); // the only reason to read back per batch
    for (const cb of callbacks) await cb.onTrainBegin?.({});
    for (let epoch = initialEpoch; epoch < epochs; epoch++) {
      for (const cb of callbacks) await cb.onEpochBegin?.(epoch, {});
      const began = Date.now();
      if (epoch > initialEpoch) sums.reset();
      order = shuffle ? keep(tensor(permutation(trainRows, random))) : null;
      let seen = 0;
      for (let b = 0; b < steps; b++) {
        const start = b * batchSize;
        const count = Math.min(batchSize, trainRows - start);
        for (const cb of callbacks) await cb.onBatchBegin?.(b, { batch: b, size: count });
        trainStep(model, compiled, () => batchOf(xs.t, ys.t, order, start, count), sums, 0);
        seen += count;
        if (batchLogs) {
          const running = sums.means(await sums.sums.data(), 0, seen);
          for (const cb of callbacks) await cb.onBatchEnd?.(b, running);
        } else {
          await yieldIfBusy();
        }
        if (model.stopTraining) break;
      }
      order?.dispose();
      order = null;
      if (validation) evaluateRows(model, compiled, validation.x, validation.y, validation.start, validation.end, batchSize, sums, 1);
      const values = await sums.sums.data();
      logs = sums.means(values, 0, seen);
      if (validation) Object.assign(logs, sums.means(values, 1, validation.end - validation.start, 'val_'));
      history.epoch.push(epoch);
      for (const [k, v] of Object.entries(logs)) (history.history[k] ??= []).push(v);
      if (verbose) console.log(`Epoch ${epoch + 1}/${epochs} - ${steps} steps - ${((Date.now() - began) / 1000).toFixed(2)}s - ${formatLogs(logs)}`);
      for (const cb of callbacks) await cb.onEpochEnd?.(epoch, { ...logs });
      if (model.stopTraining) break;
    }
    for (const cb of callbacks) await cb.onTrainEnd?.({ ...logs });
    return history;
  } finally {
    order?.dispose();
    sums?.dispose();
    release(xs, ys, vx, vy);
  }
}

export async function evaluateModel(model: TrainableModel, c: Compiled | undefined, x: Data, y: Data, opts: { batchSize?: number } = {}): Promise<Logs> {
  const compiled = checkCompiled('evaluate', c);
  const batchSize = batchSizeOf('evaluate', opts?.batchSize);
  const [xs, ys] = pairOf('evaluate', x, y);
  let sums: LogSums | undefined;
  try {
    await checkFinite('evaluate', [['x', xs.t], ['y', ys.t]]);
    sums = new LogSums(logKeys(compiled), 1);
    const n = xs.t.shape[0];
    evaluateRows(model, compiled, xs.t, ys.t, 0, n, batchSize, sums, 0);
    return sums.means(await sums.sums.data(), 0, n);
  } finally {
    sums?.dispose();
    release(xs, ys);
  }
}

/** One step on one batch (no shuffling); resolves to that batch's logs. */
export async function trainOnBatchModel(model: TrainableModel, c: Compiled | undefined, x: Data, y: Data): Promise<Logs> {
  const compiled = checkCompiled('trainOnBatch', c);
  const [xs, ys] = pairOf('trainOnBatch', x, y);
  let sums: LogSums | undefined;
  try {
    await checkFinite('trainOnBatch', [['x', xs.t], ['y', ys.t]]);
    sums = new LogSums(logKeys(compiled), 1);
    // No submit of its own: the readback's copy joins the step's batch, one submit in all.
    trainStep(model, compiled, () => [xs.t, ys.t], sums, 0, false);
    return sums.means(await sums.sums.data(), 0, xs.t.shape[0]);
  } finally {
    sums?.dispose();
    release(xs, ys);
  }
}

/** The model's outputs (training false) for every sample, computed batch by batch. */
export function predictModel(model: TrainableModel, x: Data, opts: { batchSize?: number } = {}): Tensor {
  const batchSize = batchSizeOf('predict', opts?.batchSize);
  const xs = asSamples('predict', 'x', x);
  let out: Tensor | null = null;
  try {
    const n = xs.t.shape[0];
    if (n === 0) throw new InvalidArgumentError('predict: no samples to use.');
    for (let s = 0; s < n; s += batchSize) {
      const count = Math.min(batchSize, n - s);
      const pred = tidy(() => withoutRecording(() => model.apply(rowsOf(xs.t, s, count), { training: false })));
      if (!(pred instanceof Tensor)) throw new InvalidArgumentError('predict: the model returned something other than a Tensor.');
      if (count === n) return pred;
      try {
        if (pred.rank < 1 || pred.shape[0] !== count || (out && !sameShape(pred.shape.slice(1), out.shape.slice(1)))) {
          throw new ShapeError(`predict: the model returned ${fmt(pred.shape)} for a batch of ${count} samples.`);
        }
        out ??= emptyTensor([n, ...pred.shape.slice(1)]);
        const rowFloats = pred.size / count;
        copyElements(pred, 0, out, s * rowFloats, count * rowFloats, 'predict');
      } finally {
        pred.dispose();
      }
    }
    return out!;
  } catch (e) {
    out?.dispose();
    throw e;
  } finally {
    release(xs);
  }
}
