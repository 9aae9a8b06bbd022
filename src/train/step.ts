// The forward pass with its loss and penalties, and the training step built on it: forward under
// a tape, one backward pass, then the fused optimizer update with L1/L2 penalties folded in. A
// step is plain synchronous code, encoded into one command batch and submitted once, and compiled
// (compileStep) so that its later calls replay the commands of an earlier one.
import { GradientTape } from '../autodiff/tape';
import { InvalidArgumentError } from '../errors';
import { type PenaltyFactors, penaltyTermOf } from '../ops/penalty';
import { mul } from '../ops/binary';
import { addN } from '../ops/nn';
import { mean, sum } from '../ops/reduce';
import { reshape } from '../ops/shape_ops';
import { type CompiledStep, compileStep } from '../tensor/compile_step';
import { Tensor, tidy } from '../tensor/tensor';
import { Variable } from '../tensor/variable';
import type { Compiled } from './compile';
import { LogSums, logKeys } from './logs';

/** What training needs of a model: Model delegates here. */
export interface TrainableModel {
  /** Named in error messages. */
  readonly name?: string;
  /** One tensor, or one per input; one tensor, or one per output. */
  apply(x: Tensor | Tensor[], opts?: { training?: boolean }): Tensor | Tensor[];
  /** The names of the inputs and outputs of a model with several (or named) ones, in order. */
  readonly inputNames?: string[];
  readonly outputNames?: string[];
  /** For each input whose ids index an embedding directly, the number of its rows (else null). */
  readonly inputIdLimits?: Array<number | null>;
  readonly trainableWeights: Variable[];
  readonly losses: Tensor[];
  /** Set to true (by a callback) to end `fit` after the current batch, as in Keras and TF.js. */
  stopTraining?: boolean;
}

export interface Forward {
  /** The model's output (its first, when it has several). */
  pred: Tensor;
  preds: Tensor[];
  /** The compiled loss, a scalar: Σ lossWeight · loss over the outputs. */
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

/** The model's outputs for the inputs `x` (one tensor each). */
export function predictions(model: TrainableModel, x: Tensor[], training: boolean): Tensor[] {
  const out = model.apply(x.length === 1 ? x[0] : x, { training });
  const preds = Array.isArray(out) ? out : [out];
  if (!preds.every((p) => p instanceof Tensor)) throw new InvalidArgumentError('fit: the model returned something other than a Tensor.');
  return preds;
}

export function forward(model: TrainableModel, c: Compiled, x: Tensor[], y: Tensor[], training: boolean): Forward {
  const preds = predictions(model, x, training);
  if (preds.length !== y.length) throw new InvalidArgumentError(`fit: the model returned ${preds.length} outputs for ${y.length} targets.`);
  let compiled: Tensor;
  if (preds.length === 1 && !c.lossWeights) compiled = asScalar('fit', c.loss(y[0], preds[0]));
  else {
    const terms = preds.map((p, i) => {
      const term = asScalar('fit', (c.losses?.[i] ?? c.loss)(y[i], p));
      const weight = c.lossWeights?.[i] ?? 1;
      return weight === 1 ? term : mul(term, weight);
    });
    compiled = terms.length === 1 ? terms[0] : addN(terms);
  }
  const penalties = model.losses.map((l) => (l.rank === 0 ? l : l.size === 1 ? reshape(l, []) : sum(l)));
  return { pred: preds[0], preds, compiled, penalties };
}

/** Adds the batch's loss, penalties and metrics, weighted by its `rows`, into `section` of `sums`. */
export function logBatch(sums: LogSums, section: number, c: Compiled, y: Tensor[], f: Forward, rows: number): void {
  const metrics = c.metrics.map((m) => asScalar(m.name, m.fn(y[0], f.pred)));
  sums.add(section, f.compiled, metrics, f.penalties, rows);
}

/**
 * One training step on inputs `x` and targets `y`, its logs added into `section` of `sums`. The
 * gradients leave the inner tidy alone, so the forward values (and any view of a weight) are freed
 * before the optimizer runs: its kernels then find each weight's buffer unshared and update it in
 * place.
 */
export function trainStep(model: TrainableModel, c: Compiled, x: Tensor[], y: Tensor[], sums: LogSums, section: number): void {
  tidy(() => {
    let vars: Variable[] = [];
    let folded = new Map<Variable, PenaltyFactors>();
    const grads = tidy(() => {
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
        logBatch(sums, section, c, y, f, x[0].shape[0]);
        return g;
      } finally {
        tape.dispose();
      }
    });
    if (vars.length) c.optimizer.applyGradientsWithPenalties(grads, vars, folded);
  });
}

/**
 * fit's and trainOnBatch's step, compiled (compileStep): called with the batch's inputs then its
 * targets, it runs `trainStep` the first times and replays it after, so a step costs little
 * JavaScript. With `sums`, the logs go there (section 0); without, each call returns a tensor of
 * the batch's log sums. A change of the model's trainable weights captures the step again.
 */
export function compileTrainStep(model: TrainableModel, c: Compiled, inputs: number, sums: LogSums | null): CompiledStep<Tensor[], Tensor | void> {
  return compileStep(
    (...xy: Tensor[]): Tensor | void => {
      const [x, y] = [xy.slice(0, inputs), xy.slice(inputs)];
      if (sums) return trainStep(model, c, x, y, sums, 0);
      const own = new LogSums(logKeys(c), 1);
      try {
        trainStep(model, c, x, y, own, 0);
      } catch (err) {
        own.dispose();
        throw err;
      }
      return own.sums;
    },
    { state: () => model.trainableWeights },
  );
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
