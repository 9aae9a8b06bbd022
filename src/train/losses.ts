// Keras 3 losses: each returns the scalar mean over the batch (Keras's "sum_over_batch_size"
// reduction of the per-sample losses, which for equal-width samples is the mean of every
// element's loss). Every one is differentiable through the tape.
import { checkOptionKeys, didYouMean, InvalidArgumentError, ShapeError, show } from '../errors';
import { add, div, equal, maximum, minimum, mul, sub } from '../ops/binary';
import { softmaxCrossEntropyMean } from '../ops/cross_entropy';
import { meanError } from '../ops/mean_error';
import { checkTensor } from '../ops/operand';
import { mean, sum } from '../ops/reduce';
import { where } from '../ops/where';
import { reshape } from '../ops/shape_ops';
import { log, neg, softplus } from '../ops/unary';
import { fmt, sameShape } from '../tensor/shape';
import { tensor } from '../tensor/create';
import { type Tensor, tidy } from '../tensor/tensor';

export type LossFn = (yTrue: Tensor, yPred: Tensor) => Tensor;

/** Keras's backend epsilon: probabilities are clipped to [ε, 1 − ε] before a log. */
export const EPSILON = 1e-7;

/**
 * Keras's `squeeze_or_expand_to_same_rank`: labels [N] against predictions [N, 1] (or the reverse)
 * are viewed at the predictions' rank; any other difference in shape is an error.
 */
function alignLabels(op: string, yTrue: Tensor, yPred: Tensor): Tensor {
  const t = checkTensor(yTrue, op, 'yTrue');
  const p = checkTensor(yPred, op, 'yPred');
  if (sameShape(t.shape, p.shape)) return t;
  const trailingOne = (a: readonly number[], b: readonly number[]) =>
    a.length === b.length + 1 && a[a.length - 1] === 1 && sameShape(a.slice(0, -1), b);
  if (trailingOne(p.shape, t.shape) || trailingOne(t.shape, p.shape)) return reshape(t, p.shape);
  throw new ShapeError(`${op}: yTrue ${fmt(t.shape)} and yPred ${fmt(p.shape)} must have one shape.`);
}

function clipProbabilities(p: Tensor): Tensor {
  return minimum(maximum(p, EPSILON), 1 - EPSILON);
}

// Each loss runs in `tidy`, which frees its intermediates; a recording tape keeps its own views.

/** mean((yPred − yTrue)²), one fused dispatch each way. */
export function meanSquaredError(yTrue: Tensor, yPred: Tensor): Tensor {
  return tidy(() => meanError(yPred, alignLabels('meanSquaredError', yTrue, yPred), false));
}

/** mean(|yPred − yTrue|), one fused dispatch each way. */
export function meanAbsoluteError(yTrue: Tensor, yPred: Tensor): Tensor {
  return tidy(() => meanError(yPred, alignLabels('meanAbsoluteError', yTrue, yPred), true));
}

export interface CrossentropyOptions {
  /** yPred holds logits rather than probabilities. */
  fromLogits?: boolean;
}

function fromLogitsOption(op: string, opts: CrossentropyOptions | undefined): boolean {
  if (opts !== undefined && opts !== null) {
    if (typeof opts !== 'object') throw new InvalidArgumentError(`${op}: options must be an object such as { fromLogits: true }.`);
    checkOptionKeys(op, opts, ['fromLogits']);
  }
  const v = opts?.fromLogits ?? false;
  if (typeof v !== 'boolean') throw new InvalidArgumentError(`${op}: fromLogits must be a boolean.`);
  return v;
}

/**
 * From logits x: mean(softplus(x) − x·y), which is TensorFlow's stable
 * max(x, 0) − x·y + log(1 + e^−|x|). From probabilities p: −mean(y log p + (1 − y) log(1 − p))
 * with p clipped to [ε, 1 − ε].
 */
export function binaryCrossentropy(yTrue: Tensor, yPred: Tensor, opts?: CrossentropyOptions): Tensor {
  const fromLogits = fromLogitsOption('binaryCrossentropy', opts);
  return tidy(() => {
    const t = alignLabels('binaryCrossentropy', yTrue, yPred);
    if (fromLogits) return mean(sub(softplus(yPred), mul(yPred, t)));
    const p = clipProbabilities(yPred);
    return neg(mean(add(mul(t, log(p)), mul(sub(1, t), log(sub(1, p))))));
  });
}

/**
 * From logits: the fused, stable softmax cross-entropy kernel. From probabilities (Keras):
 * p / Σp over the class axis, clipped to [ε, 1 − ε], then −mean over rows of Σ y log p.
 */
export function categoricalCrossentropy(yTrue: Tensor, yPred: Tensor, opts?: CrossentropyOptions): Tensor {
  const fromLogits = fromLogitsOption('categoricalCrossentropy', opts);
  const p = checkTensor(yPred, 'categoricalCrossentropy', 'yPred');
  const t = checkTensor(yTrue, 'categoricalCrossentropy', 'yTrue');
  if (!sameShape(t.shape, p.shape)) {
    throw new ShapeError(`categoricalCrossentropy: yTrue ${fmt(t.shape)} and yPred ${fmt(p.shape)} must have one shape.`);
  }
  if (fromLogits) return softmaxCrossEntropyMean(t, p, false);
  return tidy(() => probabilityCrossentropy(t, p));
}

/** −mean over rows of Σ_c y_c log clip(p_c / Σp). */
function probabilityCrossentropy(t: Tensor, p: Tensor): Tensor {
  const rows = p.size / p.shape[p.rank - 1];
  const logP = log(clipProbabilities(div(p, sum(p, -1, true))));
  return mul(sum(mul(t, logP)), -1 / rows);
}

/** Told of each sparse cross-entropy's labels and class count while `watchSparseLabels` runs. */
let labelWatcher: ((labels: Tensor, classes: number) => void) | null = null;

/**
 * Runs `fn`, telling `watcher` the labels and the class count of every sparse categorical
 * cross-entropy it computes: how fit learns whether a compiled loss (a name, this function, or a
 * function of the user's that calls it) reads y as class indices, and for how many classes.
 * @internal
 */
export function watchSparseLabels<T>(watcher: (labels: Tensor, classes: number) => void, fn: () => T): T {
  const outer = labelWatcher;
  labelWatcher = watcher;
  try {
    return fn();
  } finally {
    labelWatcher = outer;
  }
}

/**
 * Labels are class indices (float32 integers), one per row of yPred, shaped like yPred without
 * its class axis (a trailing 1 is accepted). From logits: the fused kernel; from probabilities:
 * the categorical formula against one-hot labels. A label that is no class index (outside
 * [0, C), fractional or NaN) gives a NaN loss and NaN gradients, never a score of some class;
 * `fit` and `evaluate` reject such labels before training.
 */
export function sparseCategoricalCrossentropy(yTrue: Tensor, yPred: Tensor, opts?: CrossentropyOptions): Tensor {
  const fromLogits = fromLogitsOption('sparseCategoricalCrossentropy', opts);
  const p = checkTensor(yPred, 'sparseCategoricalCrossentropy', 'yPred');
  const t = checkTensor(yTrue, 'sparseCategoricalCrossentropy', 'yTrue');
  const lead = p.shape.slice(0, -1);
  if (p.rank < 1 || (!sameShape(t.shape, lead) && !sameShape(t.shape, [...lead, 1]))) {
    throw new ShapeError(`sparseCategoricalCrossentropy: labels ${fmt(t.shape)} must hold one class index per row of yPred ${fmt(p.shape)}.`);
  }
  const classes = p.shape[p.rank - 1];
  labelWatcher?.(t, classes);
  if (fromLogits) return softmaxCrossEntropyMean(t, p, true);
  return tidy(() => {
    const oneHot = equal(reshape(t, [...lead, 1]), tensor(Float32Array.from({ length: classes }, (_, c) => c)));
    // A row whose label is a class has one 1; any other label leaves the row all 0. Such a row
    // becomes NaN, which then reaches the loss and, through the product, the gradient.
    return probabilityCrossentropy(where(sum(oneHot, -1, true), oneHot, NaN), p);
  });
}

const byName: Record<string, LossFn> = {
  meanSquaredError,
  mse: meanSquaredError,
  mean_squared_error: meanSquaredError,
  meanAbsoluteError,
  mae: meanAbsoluteError,
  mean_absolute_error: meanAbsoluteError,
  binaryCrossentropy: (t, p) => binaryCrossentropy(t, p),
  binary_crossentropy: (t, p) => binaryCrossentropy(t, p),
  categoricalCrossentropy: (t, p) => categoricalCrossentropy(t, p),
  categorical_crossentropy: (t, p) => categoricalCrossentropy(t, p),
  sparseCategoricalCrossentropy: (t, p) => sparseCategoricalCrossentropy(t, p),
  sparse_categorical_crossentropy: (t, p) => sparseCategoricalCrossentropy(t, p),
};

/** The built-in losses that read y as values (not class indices): fit need not look at their labels. */
const valueLosses = new Set<LossFn>([
  meanSquaredError, meanAbsoluteError, binaryCrossentropy, categoricalCrossentropy,
  ...Object.entries(byName).filter(([name]) => !/sparse/i.test(name)).map(([, fn]) => fn),
]);

/** Whether `loss` is a built-in loss of values, so certainly not one of class indices. @internal */
export function readsValueLabels(loss: LossFn): boolean {
  return valueLosses.has(loss);
}

/** The loss a name stands for in `compile({ loss })` (TensorFlow.js and Keras spellings). */
export function getLoss(name: string): LossFn {
  const fn = typeof name === 'string' && Object.hasOwn(byName, name) ? byName[name] : undefined;
  if (!fn) throw new InvalidArgumentError(`Unknown loss ${show(name)}${didYouMean(name, Object.keys(byName))}; expected one of ${Object.keys(byName).join(', ')}.`);
  return fn;
}
