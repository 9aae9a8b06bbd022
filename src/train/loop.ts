// fit, evaluate, trainOnBatch and predict with Keras 3 behaviour, for any model that can apply
// itself and list its trainable weights and losses (Model delegates here): the loops over epochs
// and batches that run the steps, call the callbacks and let the event loop in.
import { InvalidArgumentError, ShapeError, TrainingInProgressError } from '../errors';
import { withoutRecording } from '../ops/primitive';
import { seededRandom } from '../rng';
import { rowsOf, submit, writeRows } from '../tensor/copy';
import { tensor } from '../tensor/create';
import { fmt, sameShape } from '../tensor/shape';
import { emptyTensor, keep, Tensor, tidy } from '../tensor/tensor';
import { checkCompiled, type Compiled } from './compile';
import { asSamples, batchOf, type CheckedInput, checkFinite, type Data, dataNames, entriesOf, floatIds, pairOf, permutation, release, type Samples, splitRows } from './data';
import { sparseLabelClasses } from './labels';
import { type Logs, logKeys, LogSums } from './logs';
import { type EvaluateOptions, evaluateSettings, type FitOptions, fitSettings, type PredictOptions } from './options';
import { Progress } from './progress';
import { compileTrainStep, forward, logBatch, type TrainableModel } from './step';

export interface History {
  epoch: number[];
  history: { loss: number[]; regularizationLoss: number[]; [key: string]: number[] };
  params: { epochs: number; initialEpoch: number; samples: number; steps: number; batchSize: number; validation: boolean };
}

/** Evaluates rows [start, end) batch by batch, adding into `section` of `sums`, each batch submitted as it is encoded. */
function evaluateRows(model: TrainableModel, c: Compiled, x: Tensor[], y: Tensor[], start: number, end: number, batchSize: number, sums: LogSums, section: number): void {
  for (let s = start; s < end; s += batchSize) {
    const count = Math.min(batchSize, end - s);
    tidy(() =>
      withoutRecording(() => {
        const xb = x.map((t) => rowsOf(t, s, count, 'fit'));
        const yb = y.map((t) => rowsOf(t, s, count, 'fit'));
        logBatch(sums, section, c, yb, forward(model, c, xb, yb, false), count);
      }),
    );
    submit();
  }
}

/** A function that lets the event loop run (rendering, I/O) once training has held it for 30 ms. */
function eventLoopYielder(): () => Promise<void> {
  let lastYield = 0;
  return async () => {
    const now = Date.now();
    if (now - lastYield < 30) return;
    lastYield = now;
    await new Promise<void>((resolve) => {
      if (typeof setImmediate === 'function') setImmediate(resolve);
      else setTimeout(resolve, 0);
    });
  };
}

/** Models with a fit or trainOnBatch in progress. */
const training = new WeakSet<TrainableModel>();

/**
 * Runs `run` as the model's one training call, or refuses at once (as TensorFlow.js's fit does)
 * when another fit or trainOnBatch on the model has not settled: their steps would interleave,
 * and a stopTraining meant for one would end the other. evaluate and predict need no turn: each
 * encodes all its batches in one synchronous run, so it sees the weights after some whole step.
 */
async function asOnlyTraining<T>(op: string, model: TrainableModel, run: () => Promise<T>): Promise<T> {
  if (training.has(model)) {
    const name = model.name ? ` on model '${model.name}'` : '';
    throw new TrainingInProgressError(`${op}: cannot start training because another fit() or trainOnBatch() call is ongoing${name}; await it first.`);
  }
  training.add(model);
  try {
    return await run();
  } finally {
    training.delete(model);
  }
}

/** The names of a model's inputs and outputs: its own, or one of each. */
function namesOf(model: TrainableModel): { inputs: string[]; outputs: string[] } {
  return { inputs: model.inputNames ?? ['input'], outputs: model.outputNames ?? ['output'] };
}

/**
 * x and y as samples, one per input and output, with the checks every training call makes: what
 * to check for finiteness and index ranges (labels of sparse losses, ids of embeddings), named.
 */
function dataOf(op: string, model: TrainableModel, x: Data | Data[], y: Data | Data[], prefix = ''): { xs: Samples[]; ys: Samples[]; xNames: string[]; yNames: string[] } {
  const names = namesOf(model);
  const xNames = dataNames(prefix, names.inputs, 'x');
  const yNames = dataNames(prefix, names.outputs, 'y');
  const [xs, ys] = pairOf(op, entriesOf(op, 'input', x, names.inputs), entriesOf(op, 'output', y, names.outputs), { x: xNames, y: yNames });
  return { xs, ys, xNames, yNames };
}

/** The inputs of checkFinite for x and y, with the class count of each y and the id limit of each x. */
function checked(model: TrainableModel, d: { xs: Samples[]; ys: Samples[]; xNames: string[]; yNames: string[] }, classes: Array<number | null>): CheckedInput[] {
  const limits = model.inputIdLimits ?? [];
  return [
    ...d.xs.map((s, i): CheckedInput => [d.xNames[i], s.t, limits[i] ?? null, 'id']),
    ...d.ys.map((s, i): CheckedInput => [d.yNames[i], s.t, classes[i]]),
  ];
}

const tensorsOf = (samples: Samples[]) => samples.map((s) => s.t);

export function fitModel(model: TrainableModel, c: Compiled | undefined, x: Data | Data[], y: Data | Data[], opts: FitOptions = {}): Promise<History> {
  return asOnlyTraining('fit', model, () => fit(model, c, x, y, opts));
}

async function fit(model: TrainableModel, c: Compiled | undefined, x: Data | Data[], y: Data | Data[], opts: FitOptions): Promise<History> {
  const op = 'fit';
  const yieldIfBusy = eventLoopYielder();
  const compiled = checkCompiled(op, c, namesOf(model).outputs);
  const { epochs, initialEpoch, batchSize, shuffle, seed, validationData, validationSplit, callbacks, verbose } = fitSettings(opts);
  const data = dataOf(op, model, x, y);
  const [xs, ys] = [tensorsOf(data.xs), tensorsOf(data.ys)];
  let valData: ReturnType<typeof dataOf> | undefined;
  let sums: LogSums | undefined;
  let order: Tensor | null = null;
  let floats: Array<Tensor | null> = [];
  let step: ReturnType<typeof compileTrainStep> | undefined;
  try {
    if (validationData) valData = dataOf(op, model, validationData[0], validationData[1], 'validationData ');
    const { trainRows, validation } = splitRows(xs, ys, valData && [tensorsOf(valData.xs), tensorsOf(valData.ys)], validationSplit);
    const classes = sparseLabelClasses(model, compiled, xs, ys, Math.min(batchSize, trainRows));
    await checkFinite(op, [...checked(model, data, classes), ...(valData ? checked(model, valData, classes) : [])]);
    if (shuffle) {
      floats = xs.map((t, i) => (t.dtype === 'int32' ? floatIds(op, data.xNames[i], t, model.inputIdLimits?.[i]) : null));
    }
    const shuffled = xs.map((t, i) => floats[i] ?? t);
    const steps = Math.ceil(trainRows / batchSize);
    const progress = new Progress(verbose, epochs, steps);
    sums = new LogSums(logKeys(compiled), validation ? 2 : 1);
    const trainBatch = (step = compileTrainStep(model, compiled, xs.length, sums));
    const random = seededRandom(seed ?? Math.floor(Math.random() * 2 ** 32));
    const history: History = {
      epoch: [],
      history: { loss: [], regularizationLoss: [] },
      params: { epochs, initialEpoch, samples: trainRows, steps, batchSize, validation: validation !== null },
    };
    if ('stopTraining' in model) model.stopTraining = false;
    let logs: Logs = {};
    const batchLogs = callbacks.some((cb) => cb.onBatchEnd); // the only reason to read back per batch
    for (const cb of callbacks) cb.setModel?.(model);
    for (const cb of callbacks) await cb.onTrainBegin?.({});
    for (let epoch = initialEpoch; epoch < epochs; epoch++) {
      for (const cb of callbacks) await cb.onEpochBegin?.(epoch, {});
      progress.epochBegin(epoch);
      if (epoch > initialEpoch) sums.reset();
      order = shuffle ? keep(tensor(permutation(trainRows, random))) : null;
      let seen = 0;
      for (let b = 0; b < steps; b++) {
        const start = b * batchSize;
        const count = Math.min(batchSize, trainRows - start);
        for (const cb of callbacks) await cb.onBatchBegin?.(b, { batch: b, size: count });
        tidy(() => {
          const [xb, yb] = batchOf(shuffled, ys, order, start, count);
          trainBatch(...xb, ...yb);
        });
        submit();
        seen += count;
        if (batchLogs) {
          const running = sums.means(await sums.sums.data(), 0, seen);
          progress.batch(b + 1, running);
          for (const cb of callbacks) await cb.onBatchEnd?.(b, running);
        } else {
          const upTo = seen;
          progress.batch(b + 1, async () => sums!.means(await sums!.sums.data(), 0, upTo));
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
      progress.epochEnd(epoch, logs);
      for (const cb of callbacks) await cb.onEpochEnd?.(epoch, { ...logs });
      if (model.stopTraining) break;
    }
    for (const cb of callbacks) await cb.onTrainEnd?.({ ...logs });
    return history;
  } finally {
    step?.dispose();
    order?.dispose();
    sums?.dispose();
    for (const t of floats) t?.dispose();
    release(...data.xs, ...data.ys, ...(valData?.xs ?? []), ...(valData?.ys ?? []));
  }
}

export async function evaluateModel(model: TrainableModel, c: Compiled | undefined, x: Data | Data[], y: Data | Data[], opts?: EvaluateOptions): Promise<Logs> {
  const compiled = checkCompiled('evaluate', c, namesOf(model).outputs);
  const { batchSize } = evaluateSettings('evaluate', opts);
  const data = dataOf('evaluate', model, x, y);
  const [xs, ys] = [tensorsOf(data.xs), tensorsOf(data.ys)];
  let sums: LogSums | undefined;
  try {
    const n = xs[0].shape[0];
    const classes = sparseLabelClasses(model, compiled, xs, ys, Math.min(batchSize, n));
    await checkFinite('evaluate', checked(model, data, classes));
    sums = new LogSums(logKeys(compiled), 1);
    evaluateRows(model, compiled, xs, ys, 0, n, batchSize, sums, 0);
    return sums.means(await sums.sums.data(), 0, n);
  } finally {
    sums?.dispose();
    release(...data.xs, ...data.ys);
  }
}

/** One step on one batch (no shuffling); resolves to that batch's logs. */
export function trainOnBatchModel(model: TrainableModel, c: Compiled | undefined, x: Data | Data[], y: Data | Data[]): Promise<Logs> {
  return asOnlyTraining('trainOnBatch', model, () => trainOnBatch(model, c, x, y));
}

async function trainOnBatch(model: TrainableModel, c: Compiled | undefined, x: Data | Data[], y: Data | Data[]): Promise<Logs> {
  const compiled = checkCompiled('trainOnBatch', c, namesOf(model).outputs);
  const data = dataOf('trainOnBatch', model, x, y);
  const [xs, ys] = [tensorsOf(data.xs), tensorsOf(data.ys)];
  let sums: Tensor | undefined;
  try {
    const classes = sparseLabelClasses(model, compiled, xs, ys, xs[0].shape[0]);
    await checkFinite('trainOnBatch', checked(model, data, classes));
    // No submit of its own: the readback's copy joins the step's batch, one submit in all.
    sums = trainOnBatchStep(model, compiled, xs.length)(...xs, ...ys) as Tensor;
    const values = await sums.data();
    const rows = xs[0].shape[0];
    return Object.fromEntries(logKeys(compiled).map((k, i) => [k, values[i] / rows]));
  } finally {
    sums?.dispose();
    release(...data.xs, ...data.ys);
  }
}

/** Each model's compiled trainOnBatch step, kept from call to call while its compile and inputs stay. */
const trainOnBatchSteps = new WeakMap<TrainableModel, { c: Compiled; inputs: number; step: ReturnType<typeof compileTrainStep> }>();

function trainOnBatchStep(model: TrainableModel, c: Compiled, inputs: number): ReturnType<typeof compileTrainStep> {
  const kept = trainOnBatchSteps.get(model);
  if (kept && kept.c === c && kept.inputs === inputs) return kept.step;
  kept?.step.dispose();
  const step = compileTrainStep(model, c, inputs, null);
  trainOnBatchSteps.set(model, { c, inputs, step });
  return step;
}

/** The model's outputs (training false) for every sample, computed batch by batch: one tensor per output. */
export function predictModel(model: TrainableModel, x: Data, opts?: PredictOptions): Tensor;
export function predictModel(model: TrainableModel, x: Data | Data[], opts?: PredictOptions): Tensor | Tensor[];
export function predictModel(model: TrainableModel, x: Data | Data[], opts?: PredictOptions): Tensor | Tensor[] {
  const { batchSize } = evaluateSettings('predict', opts);
  const inputNames = namesOf(model).inputs;
  const entries = entriesOf('predict', 'input', x, inputNames);
  const names = dataNames('', inputNames, 'x');
  const xs: Samples[] = [];
  let outs: Tensor[] | null = null;
  try {
    for (const [i, v] of entries.entries()) {
      xs.push(asSamples('predict', names[i], v));
      if (xs[i].t.shape[0] !== xs[0].t.shape[0]) {
        throw new ShapeError(`predict: ${names[0]} ${fmt(xs[0].t.shape)} and ${names[i]} ${fmt(xs[i].t.shape)} hold different numbers of samples.`);
      }
    }
    const n = xs[0].t.shape[0];
    if (n === 0) throw new InvalidArgumentError('predict: no samples to use.');
    let several = false;
    for (let s = 0; s < n; s += batchSize) {
      const count = Math.min(batchSize, n - s);
      const out = tidy(() => withoutRecording(() => model.apply(xs.length === 1 ? rowsOf(xs[0].t, s, count, 'predict') : xs.map((v) => rowsOf(v.t, s, count, 'predict')), { training: false })));
      several = Array.isArray(out);
      const preds = Array.isArray(out) ? out : [out];
      if (!preds.every((p) => p instanceof Tensor)) throw new InvalidArgumentError('predict: the model returned something other than a Tensor.');
      if (count === n) return out;
      try {
        preds.forEach((pred, k) => {
          if (pred.rank < 1 || pred.shape[0] !== count || (outs && !sameShape(pred.shape.slice(1), outs[k].shape.slice(1)))) {
            throw new ShapeError(`predict: the model returned ${fmt(pred.shape)} for a batch of ${count} samples.`);
          }
        });
        outs ??= preds.map((pred) => emptyTensor([n, ...pred.shape.slice(1)]));
        preds.forEach((pred, k) => writeRows(outs![k], s, pred, 'predict'));
      } finally {
        for (const pred of preds) pred.dispose();
      }
    }
    return several ? outs! : outs![0];
  } catch (e) {
    for (const t of outs ?? []) t.dispose();
    throw e;
  } finally {
    release(...xs);
  }
}
