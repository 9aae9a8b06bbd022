// Metrics for compile/fit/evaluate: each returns the batch's mean as a GPU scalar.
import { didYouMean, InvalidArgumentError, ShapeError, show } from '../errors';
import { argmaxAccuracy } from '../ops/accuracy';
import { equal, greater } from '../ops/binary';
import { checkTensor } from '../ops/operand';
import { mean } from '../ops/reduce';
import { reshape } from '../ops/shape_ops';
import { fmt } from '../tensor/shape';
import { type Tensor, tidy } from '../tensor/tensor';
import { meanAbsoluteError, meanSquaredError } from './losses';

export type MetricFn = (yTrue: Tensor, yPred: Tensor) => Tensor;

/** Fraction of elements where (yPred > threshold) equals yTrue. */
export function binaryAccuracy(yTrue: Tensor, yPred: Tensor, threshold = 0.5): Tensor {
  const t = checkTensor(yTrue, 'binaryAccuracy', 'yTrue');
  const p = checkTensor(yPred, 'binaryAccuracy', 'yPred');
  if (t.size !== p.size) throw new ShapeError(`binaryAccuracy: yTrue ${fmt(t.shape)} and yPred ${fmt(p.shape)} differ in size.`);
  return tidy(() => mean(equal(reshape(t, p.shape), greater(p, threshold))));
}

/** Fraction of rows where argmax(yPred) = argmax(yTrue) (one fused dispatch). */
export function categoricalAccuracy(yTrue: Tensor, yPred: Tensor): Tensor {
  const op = 'categoricalAccuracy';
  return argmaxAccuracy(op, checkTensor(yTrue, op, 'yTrue'), checkTensor(yPred, op, 'yPred'), false);
}

/** Fraction of rows where argmax(yPred) equals the class index in yTrue (one fused dispatch). */
export function sparseCategoricalAccuracy(yTrue: Tensor, yPred: Tensor): Tensor {
  const op = 'sparseCategoricalAccuracy';
  return argmaxAccuracy(op, checkTensor(yTrue, op, 'yTrue'), checkTensor(yPred, op, 'yPred'), true);
}

/**
 * Keras 3's choice for 'accuracy': binary when predictions have one column, sparse categorical
 * when the labels have a lower rank (or one column against several), categorical otherwise.
 */
export function accuracy(yTrue: Tensor, yPred: Tensor): Tensor {
  const t = checkTensor(yTrue, 'accuracy', 'yTrue');
  const p = checkTensor(yPred, 'accuracy', 'yPred');
  const pLast = p.shape[p.rank - 1];
  const tLast = t.shape[t.rank - 1];
  if (pLast === 1) return binaryAccuracy(t, p);
  if (t.rank < p.rank || (tLast === 1 && pLast > 1)) return sparseCategoricalAccuracy(t, p);
  return categoricalAccuracy(t, p);
}

const byName: Record<string, MetricFn> = {
  accuracy,
  acc: accuracy,
  binaryAccuracy: (t, p) => binaryAccuracy(t, p),
  categoricalAccuracy,
  sparseCategoricalAccuracy,
  mse: meanSquaredError,
  meanSquaredError,
  mae: meanAbsoluteError,
  meanAbsoluteError,
};

/** The metric a name stands for in `compile({ metrics })`. */
export function getMetric(name: string): MetricFn {
  const fn = typeof name === 'string' && Object.hasOwn(byName, name) ? byName[name] : undefined;
  if (!fn) throw new InvalidArgumentError(`Unknown metric ${show(name)}${didYouMean(name, Object.keys(byName))}; expected one of ${Object.keys(byName).join(', ')}.`);
  return fn;
}
