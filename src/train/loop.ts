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
import { asSamples, batchOf, checkFinite, type Data, pairOf, permutation, release, type Samples, splitRows } from './data';
import { sparseLabelClasses } from './labels';
import { type Logs, logKeys, LogSums } from './logs';
import { type EvaluateOptions, evaluateSettings, type FitOptions, fitSettings, type PredictOptions } from './options';
import { Progress } from './progress';
import { forward, logBatch, type TrainableModel, trainStep } from './step';

export interface History {
  epoch: number[];
  history: { loss: number[]; regularizationLoss: number[]; [key: string]: number[] };
  params: { epochs: number; initialEpoch: number; samples: number; steps: number; batchSize: number; validation: boolean };
}

/** Evaluates rows [start, end) batch by batch, adding into `section` of `sums`, each batch submitted as it is encoded. */
function evaluateRows(model: TrainableModel, c: Compiled, x: Tensor, y: Tensor, start: number, end: number, batchSize: number, sums: LogSums, section: number): void {
  for (let s = start; s < end; s += batchSize) {
    const count = Math.min(batchSize, end - s);
    tidy(() =>
      withoutRecording(() => {
        const xb = rowsOf(x, s, count, 'fit');
        const yb = rowsOf(y, s, count, 'fit');
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

export function fitModel(model: TrainableModel, c: Compiled | undefined, x: Data, y: Data, opts: FitOptions = {}): Promise<History> {
  return asOnlyTraining('fit', model, () => fit(model, c, x, y, opts));
}

async function fit(model: TrainableModel, c: Compiled | undefined, x: Data, y: Data, opts: FitOptions): Promise<History> {
  const op = 'fit';
  const yieldIfBusy = eventLoopYielder();
  const compiled = checkCompiled(op, c);
  const { epochs, initialEpoch, batchSize, shuffle, seed, validationData, validationSplit, callbacks, verbose } = fitSettings(opts);
  const [xs, ys] = pairOf(op, x, y);
  let vx: Samples | undefined;
  let vy: Samples | undefined;
  let sums: LogSums | undefined;
  let order: Tensor | null = null;
  try {
    if (validationData) [vx, vy] = pairOf(op, validationData[0], validationData[1], ['validationData x', 'validationData y']);
    const { trainRows, validation } = splitRows(xs.t, ys.t, vx && vy && [vx.t, vy.t], validationSplit);
    const classes = sparseLabelClasses(model, compiled, xs.t, ys.t, Math.min(batchSize, trainRows));
    await checkFinite(op, vx ? [['x', xs.t], ['y', ys.t, classes], ['validationData x', vx.t], ['validationData y', vy!.t, classes]] : [['x', xs.t], ['y', ys.t, classes]]);
    const steps = Math.ceil(trainRows / batchSize);
    const progress = new Progress(verbose, epochs, steps);
    sums = new LogSums(logKeys(compiled), validation ? 2 : 1);
    const random = seededRandom(seed ?? Math.floor(Math.random() * 2 ** 32));
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
      progress.epochBegin(epoch);
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
    order?.dispose();
    sums?.dispose();
    release(xs, ys, vx, vy);
  }
}

export async function evaluateModel(model: TrainableModel, c: Compiled | undefined, x: Data, y: Data, opts?: EvaluateOptions): Promise<Logs> {
  const compiled = checkCompiled('evaluate', c);
  const { batchSize } = evaluateSettings('evaluate', opts);
  const [xs, ys] = pairOf('evaluate', x, y);
  let sums: LogSums | undefined;
  try {
    const classes = sparseLabelClasses(model, compiled, xs.t, ys.t, Math.min(batchSize, xs.t.shape[0]));
    await checkFinite('evaluate', [['x', xs.t], ['y', ys.t, classes]]);
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
export function trainOnBatchModel(model: TrainableModel, c: Compiled | undefined, x: Data, y: Data): Promise<Logs> {
  return asOnlyTraining('trainOnBatch', model, () => trainOnBatch(model, c, x, y));
}

async function trainOnBatch(model: TrainableModel, c: Compiled | undefined, x: Data, y: Data): Promise<Logs> {
  const compiled = checkCompiled('trainOnBatch', c);
  const [xs, ys] = pairOf('trainOnBatch', x, y);
  let sums: LogSums | undefined;
  try {
    const classes = sparseLabelClasses(model, compiled, xs.t, ys.t, xs.t.shape[0]);
    await checkFinite('trainOnBatch', [['x', xs.t], ['y', ys.t, classes]]);
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
export function predictModel(model: TrainableModel, x: Data, opts?: PredictOptions): Tensor {
  const { batchSize } = evaluateSettings('predict', opts);
  const xs = asSamples('predict', 'x', x);
  let out: Tensor | null = null;
  try {
    const n = xs.t.shape[0];
    if (n === 0) throw new InvalidArgumentError('predict: no samples to use.');
    for (let s = 0; s < n; s += batchSize) {
      const count = Math.min(batchSize, n - s);
      const pred = tidy(() => withoutRecording(() => model.apply(rowsOf(xs.t, s, count, 'predict'), { training: false })));
      if (!(pred instanceof Tensor)) throw new InvalidArgumentError('predict: the model returned something other than a Tensor.');
      if (count === n) return pred;
      try {
        if (pred.rank < 1 || pred.shape[0] !== count || (out && !sameShape(pred.shape.slice(1), out.shape.slice(1)))) {
          throw new ShapeError(`predict: the model returned ${fmt(pred.shape)} for a batch of ${count} samples.`);
        }
        out ??= emptyTensor([n, ...pred.shape.slice(1)]);
        writeRows(out, s, pred, 'predict');
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
