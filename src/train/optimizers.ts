// Keras 3 optimizers: their hyperparameters, checks and slots. The update itself is one fused
// kernel per few variables (src/ops/optimizer_update.ts); training can also fold the gradient of a
// variable's L1/L2 penalty into its update (step.ts). Gradient clipping (clipnorm, clipvalue,
// globalClipnorm) happens inside those kernels; the learning rate may follow a schedule.
import { checkOptionKeys, didYouMean, InvalidArgumentError, ShapeError, show } from '../errors';
import { applyUpdate, type GradientClip, slotCount, type UpdateRule } from '../ops/optimizer_update';
import type { PenaltyFactors } from '../ops/penalty';
import { eachReplay } from '../tensor/compile_step';
import { zeros } from '../tensor/create';
import { fmt, sameShape } from '../tensor/shape';
import { keep, Tensor } from '../tensor/tensor';
import { Variable } from '../tensor/variable';
import { type LearningRateSchedule, scheduleConfig, type SerializedSchedule } from './schedules';

export * as schedules from './schedules';
export type { LearningRateSchedule } from './schedules';

/** Checks a hyperparameter: a finite number within [min, max] (or below `below`). */
function hyper(op: string, name: string, v: unknown, range: { min?: number; max?: number; below?: number } = {}): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new InvalidArgumentError(`${op}: ${name} must be a finite number, got ${String(v)}.`);
  }
  const { min, max, below } = range;
  if ((min !== undefined && v < min) || (max !== undefined && v > max) || (below !== undefined && v >= below)) {
    const bounds = `[${min ?? '-∞'}, ${max ?? below ?? '∞'}${below !== undefined ? ')' : ']'}`;
    throw new InvalidArgumentError(`${op}: ${name} must lie in ${bounds}, got ${v}.`);
  }
  return v;
}

/** A learning rate: a number, or a schedule of the iteration count (checked to be a function). */
function learningRateOf(op: string, v: unknown): number | LearningRateSchedule {
  if (typeof v === 'function') return v as LearningRateSchedule;
  if (typeof v !== 'number') throw new InvalidArgumentError(`${op}: learningRate must be a finite number or a schedule (step) => number, got ${v === null ? 'null' : typeof v}.`);
  return hyper(op, 'learningRate', v);
}

/** Keras 3's gradient clipping options; at most one may be set. */
export interface ClipOptions {
  /** Rescales each variable's gradient g to g·clipnorm / max(‖g‖, clipnorm). */
  clipnorm?: number | null;
  /** Clamps each gradient element to [−clipvalue, clipvalue]. */
  clipvalue?: number | null;
  /** Rescales every gradient by globalClipnorm / max(‖all gradients‖, globalClipnorm). */
  globalClipnorm?: number | null;
}

const clipModes = { clipnorm: 'norm', clipvalue: 'value', globalClipnorm: 'global' } as const;
const clipKeys = Object.keys(clipModes) as Array<keyof ClipOptions>;

/** The clipping the options ask for, checked: one option at most (as Keras 3), a finite limit > 0. */
function clipOf(op: string, opts: ClipOptions): GradientClip | undefined {
  const given = clipKeys.filter((k) => opts[k] !== undefined && opts[k] !== null);
  if (given.length > 1) throw new InvalidArgumentError(`${op}: only one of clipnorm, clipvalue and globalClipnorm may be set (as in Keras 3), got ${given.join(' and ')}.`);
  if (given.length === 0) return undefined;
  const key = given[0];
  const limit = opts[key];
  if (typeof limit !== 'number' || !Number.isFinite(limit) || limit <= 0) throw new InvalidArgumentError(`${op}: ${key} must be a finite number > 0, got ${String(limit)}.`);
  return { mode: clipModes[key], limit };
}

/** The options every optimizer takes. */
export interface OptimizerOptions extends ClipOptions {
  /** A number, or a schedule `(step) => number` of the iteration count (from 0), e.g. `schedules.cosineDecay(...)`. */
  learningRate?: number | LearningRateSchedule;
  weightDecay?: number;
}

/** An optimizer's configuration, TensorFlow.js style; a schedule as `{ className, config }` (or itself when it is any other function). */
export type OptimizerConfig = Record<string, number | boolean | SerializedSchedule | LearningRateSchedule>;

/** Names people carry over from Keras 2 and TensorFlow.js, mapped to webgrad's. */
const optionAliases = { lr: 'learningRate', useNesterov: 'nesterov' };

/** An optimizer's options object, checked to be one and to hold only keys it knows. */
function checkedOptions<T extends object>(op: string, opts: T | undefined, keys: ReadonlyArray<keyof T & string>): T {
  if (opts === undefined || opts === null) return {} as T;
  if (typeof opts !== 'object' || Array.isArray(opts)) {
    throw new InvalidArgumentError(`${op}: expects an options object such as { learningRate: 0.01 } or a learning rate, got ${typeof opts}.`);
  }
  checkOptionKeys(op, opts, keys, optionAliases);
  return opts;
}

/**
 * Options from an options object, or from TensorFlow.js's positional arguments (the learning rate
 * first, as in `tf.train.adam(0.01)`); mixing the two would drop one silently, so it throws.
 */
function fromArguments<T extends object>(op: string, config: T | number | LearningRateSchedule | undefined, positional: Partial<T>): T {
  const given = Object.fromEntries(Object.entries(positional).filter(([, v]) => v !== undefined)) as Partial<T>;
  if (typeof config === 'number' || typeof config === 'function') return { learningRate: config, ...given } as T;
  if (config === undefined || config === null) return given as T;
  if (Object.keys(given).length > 0) {
    throw new InvalidArgumentError(`${op}: give an options object or TensorFlow.js's positional arguments (learning rate first), not both.`);
  }
  return config;
}

/** Pairs as Keras's `apply_gradients(zip(grads, vars))` takes them. */
export type GradientPairs = Array<[Tensor | null, Variable]>;

export abstract class Optimizer {
  /** Updates applied so far (Keras's `iterations`); Adam's bias correction counts from it. */
  iterations = 0;
  /** Keras's decoupled weight decay: w ← w − w·weightDecay·lr before each update (0: none). */
  readonly weightDecay: number;
  /** Keras 3's gradient clipping, if any (inside the update kernels). */
  readonly clip: GradientClip | undefined;
  private lr: number | LearningRateSchedule;
  private readonly slots = new Map<Variable, Tensor[]>();

  protected constructor(
    /** The Keras / TensorFlow.js name: 'sgd', 'adam', 'adamw', 'rmsprop'. */
    readonly name: string,
    learningRate: number | LearningRateSchedule,
    weightDecay: number,
    clip: ClipOptions = {},
  ) {
    this.lr = learningRateOf(name, learningRate);
    this.weightDecay = hyper(name, 'weightDecay', weightDecay, { min: 0 });
    this.clip = clipOf(name, clip);
  }

  /** The rate the next update uses: the number set, or the schedule at the current iteration count. */
  get learningRate(): number {
    if (typeof this.lr === 'number') return this.lr;
    const v = this.lr(this.iterations);
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new InvalidArgumentError(`${this.name}: the learning rate schedule returned ${String(v)} at step ${this.iterations}; it must return a finite number.`);
    }
    return v;
  }

  /** A number, or a schedule `(step) => number`. */
  set learningRate(v: number | LearningRateSchedule) {
    this.lr = learningRateOf(this.name, v);
  }

  /** The schedule the learning rate follows, if it follows one. */
  get learningRateSchedule(): LearningRateSchedule | undefined {
    return typeof this.lr === 'function' ? this.lr : undefined;
  }

  /** The update rule and its hyperparameters for step `t` (from 1) at learning rate `lr`. */
  protected abstract rule(t: number, lr: number): UpdateRule;

  /**
   * Updates each variable by its gradient; null gradients are skipped (as in Keras). Takes
   * `(grads, vars)` or Keras's `[grad, var]` pairs. Every argument is checked before any update
   * is encoded.
   */
  applyGradients(grads: Array<Tensor | null> | GradientPairs, vars?: Variable[]): void {
    this.update(this.pairUp(grads, vars), undefined);
  }

  /**
   * applyGradients, with the gradient of an L1/L2 penalty on some variables added inside the
   * update kernel: g + l1·sign(w) + 2·l2·w, at the weights before the update. `fit` uses it for
   * the penalties of `model.losses` rather than differentiating them in a pass of their own. A
   * variable with a penalty but a null gradient is updated by the penalty's gradient alone.
   * @internal
   */
  applyGradientsWithPenalties(grads: Array<Tensor | null>, vars: Variable[], penalties: ReadonlyMap<Variable, PenaltyFactors>): void {
    const pairs = this.pairUp(grads, vars);
    this.update(pairs.map(([g, v]) => [g ?? (penalties.has(v) ? zeros(v.shape) : null), v]), penalties);
  }

  private update(pairs: Array<[Tensor | null, Variable]>, penalties: ReadonlyMap<Variable, PenaltyFactors> | undefined): void {
    const live = pairs.filter((pair): pair is [Tensor, Variable] => pair[0] !== null);
    if (live.length === 0) throw new InvalidArgumentError(`${this.name}.applyGradients: no gradient was provided for any variable.`);
    const t = this.iterations + 1;
    // The schedule sees the iteration count before this update (Keras's `iterations`), from 0.
    const rule: UpdateRule = { ...this.rule(t, this.learningRate), clip: this.clip };
    const slots = slotCount(rule);
    const updates = live.map(([gradient, variable]) => ({ variable, gradient, slots: this.slotsOf(variable, slots), penalty: penalties?.get(variable) }));
    // A replayed step (compileStep) asks for each later step's rule: its rate and bias correction.
    applyUpdate(rule, updates, () => ({ ...this.rule(this.iterations + 1, this.learningRate), clip: this.clip }));
    this.iterations = t;
    eachReplay(() => this.iterations++);
  }

  private pairUp(grads: Array<Tensor | null> | GradientPairs, vars: Variable[] | undefined): Array<[Tensor | null, Variable]> {
    const op = `${this.name}.applyGradients`;
    if (!Array.isArray(grads)) throw new InvalidArgumentError(`${op}: expects an array of gradients and an array of variables, or [gradient, variable] pairs.`);
    let pairs: Array<[Tensor | null, Variable]>;
    if (vars === undefined) {
      if (!grads.every((p) => Array.isArray(p) && p.length === 2)) {
        throw new InvalidArgumentError(`${op}: without a variable list, expects [gradient, variable] pairs.`);
      }
      pairs = grads as GradientPairs;
    } else {
      if (!Array.isArray(vars) || vars.length !== grads.length) {
        throw new InvalidArgumentError(`${op}: ${grads.length} gradients for ${Array.isArray(vars) ? vars.length : 'no list of'} variables.`);
      }
      pairs = (grads as Array<Tensor | null>).map((g, i) => [g, vars[i]]);
    }
    pairs.forEach(([g, v], i) => {
      if (!(v instanceof Variable)) throw new InvalidArgumentError(`${op}: entry ${i} is not a Variable.`);
      v.assertUsable(op);
      if (g === null || g === undefined) return;
      if (!(g instanceof Tensor)) throw new InvalidArgumentError(`${op}: the gradient of '${v.name}' must be a Tensor or null.`);
      g.assertUsable(op);
      if (!sameShape(g.shape, v.shape)) {
        throw new ShapeError(`${op}: the gradient of '${v.name}' has shape ${fmt(g.shape)}, the variable ${fmt(v.shape)}.`);
      }
    });
    return pairs.map(([g, v]) => [g ?? null, v]);
  }

  private slotsOf(v: Variable, count: number): Tensor[] {
    let s = this.slots.get(v);
    if (!s) {
      s = Array.from({ length: count }, () => keep(zeros(v.shape)));
      this.slots.set(v, s);
    }
    return s;
  }

  /** The hyperparameters, TensorFlow.js style. */
  getConfig(): OptimizerConfig {
    const lr = typeof this.lr === 'number' ? this.lr : (scheduleConfig(this.lr) ?? this.lr);
    const clip = this.clip ? { [clipKeys.find((k) => clipModes[k] === this.clip!.mode)!]: this.clip.limit } : {};
    return { learningRate: lr, ...(this.weightDecay ? { weightDecay: this.weightDecay } : {}), ...clip };
  }

  /** Frees the slots (a later update starts them from zero again). */
  dispose(): void {
    for (const list of this.slots.values()) for (const t of list) t.dispose();
    this.slots.clear();
  }
}

export interface SgdOptions extends OptimizerOptions {
  momentum?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(options: SgdOptions = {}) {
    const opts = checkedOptions('sgd', options, ['learningRate', 'momentum', 'nesterov', 'weightDecay', ...clipKeys]);
    super('sgd', opts.learningRate ?? 0.01, opts.weightDecay ?? 0, opts);
    this.momentum = hyper('sgd', 'momentum', opts.momentum ?? 0, { min: 0, max: 1 });
    if (typeof (opts.nesterov ?? false) !== 'boolean') throw new InvalidArgumentError('sgd: nesterov must be a boolean.');
    this.nesterov = opts.nesterov ?? false;
  }

  protected rule(_t: number, lr: number): UpdateRule {
    return { rule: 'sgd', learningRate: lr, momentum: this.momentum, nesterov: this.nesterov, decay: this.weightDecay * lr };
  }

  override getConfig(): OptimizerConfig {
    return { ...super.getConfig(), momentum: this.momentum, nesterov: this.nesterov };
  }
}

export interface AdamOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  constructor(options: AdamOptions = {}, name = 'adam', defaultDecay = 0) {
    const opts = checkedOptions(name, options, ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay', ...clipKeys]);
    super(name, opts.learningRate ?? 0.001, opts.weightDecay ?? defaultDecay, opts);
    this.beta1 = hyper(name, 'beta1', opts.beta1 ?? 0.9, { min: 0, below: 1 });
    this.beta2 = hyper(name, 'beta2', opts.beta2 ?? 0.999, { min: 0, below: 1 });
    this.epsilon = hyper(name, 'epsilon', opts.epsilon ?? 1e-7, { min: 0 });
  }

  protected rule(t: number, lr: number): UpdateRule {
    const alpha = (lr * Math.sqrt(1 - this.beta2 ** t)) / (1 - this.beta1 ** t);
    return { rule: 'adam', alpha, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, decay: this.weightDecay * lr };
  }

  override getConfig(): OptimizerConfig {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

/** Adam with decoupled weight decay (Keras's default 0.004). */
export class AdamW extends Adam {
  constructor(opts: AdamOptions = {}) {
    super(opts, 'adamw', 0.004);
  }
}

export interface RmspropOptions extends OptimizerOptions {
  rho?: number;
  momentum?: number;
  epsilon?: number;
}

export class RMSprop extends Optimizer {
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;

  constructor(options: RmspropOptions = {}) {
    const opts = checkedOptions('rmsprop', options, ['learningRate', 'rho', 'momentum', 'epsilon', 'weightDecay', ...clipKeys]);
    super('rmsprop', opts.learningRate ?? 0.001, opts.weightDecay ?? 0, opts);
    this.rho = hyper('rmsprop', 'rho', opts.rho ?? 0.9, { min: 0, max: 1 });
    this.momentum = hyper('rmsprop', 'momentum', opts.momentum ?? 0, { min: 0, max: 1 });
    this.epsilon = hyper('rmsprop', 'epsilon', opts.epsilon ?? 1e-7, { min: 0 });
  }

  protected rule(_t: number, lr: number): UpdateRule {
    return { rule: 'rmsprop', learningRate: lr, rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, decay: this.weightDecay * lr };
  }

  override getConfig(): OptimizerConfig {
    return { ...super.getConfig(), rho: this.rho, momentum: this.momentum, epsilon: this.epsilon };
  }
}

/** `sgd({ learningRate: 0.1, momentum: 0.9 })`, or `sgd(0.1)` as in TensorFlow.js. */
export function sgd(config?: SgdOptions | number | LearningRateSchedule): SGD {
  return new SGD(fromArguments('sgd', config, {}));
}

/** `adam({ learningRate: 0.01 })`, or TensorFlow.js's `adam(learningRate, beta1?, beta2?, epsilon?)`. */
export function adam(config?: AdamOptions | number | LearningRateSchedule, beta1?: number, beta2?: number, epsilon?: number): Adam {
  return new Adam(fromArguments('adam', config, { beta1, beta2, epsilon }));
}

/** `adamw({ learningRate: 0.01, weightDecay: 0.004 })`, or `adamw(0.01)`. */
export function adamw(config?: AdamOptions | number | LearningRateSchedule): AdamW {
  return new AdamW(fromArguments('adamw', config, {}));
}

/**
 * `rmsprop({ learningRate: 0.01, rho: 0.9 })`, or TensorFlow.js's
 * `rmsprop(learningRate, decay?, momentum?, epsilon?, centered?)`, whose `decay` is Keras's `rho`.
 * Centered RMSprop is not implemented.
 */
export function rmsprop(config?: RmspropOptions | number | LearningRateSchedule, decay?: number, momentum?: number, epsilon?: number, centered?: boolean): RMSprop {
  if (centered !== undefined && centered !== false) throw new InvalidArgumentError('rmsprop: centered RMSprop is not supported.');
  return new RMSprop(fromArguments('rmsprop', config, { rho: decay, momentum, epsilon }));
}

const byName: Record<string, () => Optimizer> = { sgd: () => sgd(), adam: () => adam(), adamw: () => adamw(), rmsprop: () => rmsprop() };

/** An optimizer with Keras's defaults from its name ('sgd', 'adam', 'adamw', 'rmsprop'). */
export function getOptimizer(name: string): Optimizer {
  const make = typeof name === 'string' && Object.hasOwn(byName, name.toLowerCase()) ? byName[name.toLowerCase()] : undefined;
  if (!make) throw new InvalidArgumentError(`Unknown optimizer ${show(name)}${didYouMean(name, Object.keys(byName))}; expected one of ${Object.keys(byName).join(', ')}.`);
  return make();
}
