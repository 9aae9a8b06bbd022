// compile: resolves the optimizer, loss and metrics (objects or names) into what training runs.
import { checkOptionKeys, InvalidArgumentError } from '../errors';
import { getLoss, type LossFn } from './losses';
import { getMetric, type MetricFn } from './metrics';
import { getOptimizer, Optimizer } from './optimizers';

export type LossOrName = string | LossFn;
export type MetricOrName = string | MetricFn;

export interface CompileArgs {
  optimizer: Optimizer | string;
  /** One loss for every output, or one per output (in the order of the model's outputs). */
  loss: LossOrName | LossOrName[];
  /** Weights of the outputs' losses in the total (default 1 each), one per output. */
  lossWeights?: number[];
  metrics?: MetricOrName[];
}

export interface Compiled {
  readonly optimizer: Optimizer;
  /** The loss of every output, or of the first when `losses` gives one per output. */
  readonly loss: LossFn;
  /** One loss per output when compile was given an array, else null. */
  readonly losses: readonly LossFn[] | null;
  readonly lossWeights: readonly number[] | null;
  /** Log keys in order: the metric names as given to compile. */
  readonly metrics: ReadonlyArray<{ readonly name: string; readonly fn: MetricFn }>;
}

export function compileModel(args: CompileArgs): Compiled {
  if (args === null || typeof args !== 'object') throw new InvalidArgumentError('compile: expects { optimizer, loss, metrics? }.');
  checkOptionKeys('compile', args, ['optimizer', 'loss', 'lossWeights', 'metrics']);
  const { optimizer, loss, lossWeights, metrics = [] } = args;
  let opt: Optimizer;
  if (optimizer instanceof Optimizer) opt = optimizer;
  else if (typeof optimizer === 'string') opt = getOptimizer(optimizer);
  else throw new InvalidArgumentError("compile: optimizer must be an Optimizer or a name ('sgd', 'adam', 'adamw', 'rmsprop').");
  const resolveLoss = (l: unknown): LossFn => {
    if (typeof l === 'function') return l as LossFn;
    if (typeof l === 'string') return getLoss(l);
    throw new InvalidArgumentError('compile: loss must be a loss name or a function (yTrue, yPred) => Tensor, or an array of them (one per output).');
  };
  if (Array.isArray(loss) && loss.length === 0) throw new InvalidArgumentError('compile: loss is an empty array; give one loss per output.');
  const losses = Array.isArray(loss) ? loss.map(resolveLoss) : null;
  const lossFn = losses ? losses[0] : resolveLoss(loss);
  if (lossWeights !== undefined && (!Array.isArray(lossWeights) || !lossWeights.every((w) => typeof w === 'number' && Number.isFinite(w)))) {
    throw new InvalidArgumentError('compile: lossWeights must be an array of finite numbers, one per output.');
  }
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
  return { optimizer: opt, loss: lossFn, losses, lossWeights: lossWeights ? [...lossWeights] : null, metrics: resolved };
}

/**
 * What `compile` made, or a clear error when the model was never compiled or its losses, loss
 * weights or metrics do not fit the model's `outputs` (named, in order).
 */
export function checkCompiled(op: string, c: Compiled | undefined, outputs: readonly string[] = ['output']): Compiled {
  if (!c || !(c.optimizer instanceof Optimizer) || typeof c.loss !== 'function') {
    throw new InvalidArgumentError(`${op}: compile the model first (model.compile({ optimizer, loss })).`);
  }
  const names = outputs.map((n) => `'${n}'`).join(', ');
  for (const [what, list] of [['loss', c.losses], ['lossWeights', c.lossWeights]] as const) {
    if (list && list.length !== outputs.length) {
      throw new InvalidArgumentError(`${op}: compile was given ${list.length} entries in ${what} for a model with ${outputs.length} output${outputs.length > 1 ? 's' : ''} (${names}).`);
    }
  }
  if (outputs.length > 1 && c.metrics.length > 0) {
    throw new InvalidArgumentError(`${op}: metrics of a model with several outputs (${names}) are not supported; compile it without metrics.`);
  }
  return c;
}
