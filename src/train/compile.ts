// compile: resolves the optimizer, loss and metrics (objects or names) into what training runs.
import { checkOptionKeys, InvalidArgumentError } from '../errors';
import { getLoss, type LossFn } from './losses';
import { getMetric, type MetricFn } from './metrics';
import { getOptimizer, Optimizer } from './optimizers';

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

export function compileModel(args: CompileArgs): Compiled {
  if (args === null || typeof args !== 'object') throw new InvalidArgumentError('compile: expects { optimizer, loss, metrics? }.');
  checkOptionKeys('compile', args, ['optimizer', 'loss', 'metrics']);
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

/** What `compile` made, or a clear error when the model was never compiled. */
export function checkCompiled(op: string, c: Compiled | undefined): Compiled {
  if (!c || !(c.optimizer instanceof Optimizer) || typeof c.loss !== 'function') {
    throw new InvalidArgumentError(`${op}: compile the model first (model.compile({ optimizer, loss })).`);
  }
  return c;
}
