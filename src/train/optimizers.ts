// Keras 3 optimizers. The update is fused (shaders/optimizer_*.wgsl): one kernel reads each
// gradient and the optimizer's slots and writes the new weight and slots, for several variables
// per dispatch (4 for plain SGD, 2 for the others: as many as 8 storage bindings hold). Training
// can also fold the gradient of a variable's L1/L2 penalty into its update (fit.ts).
import { Storage } from '../device/storage';
import type { AnyKernel } from '../kernels/kernel';
import { adamKernel, rmspropKernel, rmspropMomentumKernel, sgdKernel, sgdMomentumKernel } from '../kernels/optimizers';
import { InvalidArgumentError, ShapeError } from '../errors';
import type { PenaltyFactors } from '../ops/penalty';
import { zeros } from '../tensor/create';
import { fmt, sameShape } from '../tensor/shape';
import { copyElements } from '../tensor/copy';
import { keep, Tensor } from '../tensor/tensor';
import { Variable } from '../tensor/variable';

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

/**
 * One fused update: its kernel (bindings per variable: weight, gradient, then the slots), the
 * hyperparameters that open its uniforms, how many variables one dispatch takes and the length of
 * its `slots` array.
 */
interface UpdateKernel {
  kernel: AnyKernel;
  constants?: Record<string, boolean>;
  header: Record<string, number>;
  perDispatch: number;
  paramSlots: number;
}

/** Pairs as Keras's `apply_gradients(zip(grads, vars))` takes them. */
export type GradientPairs = Array<[Tensor | null, Variable]>;

export abstract class Optimizer {
  /** Updates applied so far (Keras's `iterations`); Adam's bias correction counts from it. */
  iterations = 0;
  /** Keras's decoupled weight decay: w ← w − w·weightDecay·lr before each update (0: none). */
  readonly weightDecay: number;
  private lr: number;
  private readonly slots = new Map<Variable, Tensor[]>();

  protected constructor(
    /** The Keras / TensorFlow.js name: 'sgd', 'adam', 'adamw', 'rmsprop'. */
    readonly name: string,
    learningRate: number,
    weightDecay: number,
  ) {
    this.lr = hyper(name, 'learningRate', learningRate);
    this.weightDecay = hyper(name, 'weightDecay', weightDecay, { min: 0 });
  }

  get learningRate(): number {
    return this.lr;
  }

  set learningRate(v: number) {
    this.lr = hyper(this.name, 'learningRate', v);
  }

  /** How many slot tensors (moments, velocities) each variable needs. */
  protected abstract get slotCount(): number;

  /**
   * The kernel for step `t` (from 1): its entry, the hyperparameters that open its Params (before
   * `total`), how many variables one dispatch takes, and the length of its `slots` array.
   */
  protected abstract kernel(t: number): UpdateKernel;

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
    const update = this.kernel(t);
    const perDispatch = update.perDispatch;
    // Each variable's bindings: the weight (written), the gradient (read), the slots (written).
    // WebGPU refuses a buffer bound twice in one dispatch where either binding is writable, so a
    // variable whose buffers clash with those already in the group starts a new dispatch.
    let group: Array<{ v: Variable; buffers: Storage[] }> = [];
    const run = () => {
      if (group.length) this.encodeGroup(update, group, penalties);
      group = [];
    };
    for (const [g, v] of live) {
      const gradient = g.storageFor('applyGradients'); // before `v` may move to a new buffer
      const writable = [this.writableStorage(v, g), ...this.slotsOf(v).map((s) => s.storageFor('applyGradients'))];
      const taken = new Set(group.flatMap((e) => e.buffers));
      const takenWritable = new Set(group.flatMap((e) => [e.buffers[0], ...e.buffers.slice(2)]));
      if (group.length === perDispatch || writable.some((b) => taken.has(b)) || takenWritable.has(gradient)) run();
      group.push({ v, buffers: [writable[0], gradient, ...writable.slice(1)] });
    }
    run();
    this.iterations = t;
  }

  /** One dispatch updating the variables of `group`; the slots it leaves unused get placeholders. */
  private encodeGroup(
    { kernel, constants, header, perDispatch, paramSlots }: UpdateKernel,
    group: ReadonlyArray<{ v: Variable; buffers: Storage[] }>,
    penalties: ReadonlyMap<Variable, PenaltyFactors> | undefined,
  ): void {
    let total = 0;
    const slots: Array<{ end: number; l1: number; l2: number }> = [];
    for (const { v } of group) {
      const pen = penalties?.get(v);
      slots.push({ end: (total += Math.ceil(v.size / 4)), l1: pen?.l1 ?? 0, l2: pen?.l2 ?? 0 });
    }
    // Slots past the group repeat the last end with no penalty: empty ranges.
    while (slots.length < paramSlots) slots.push({ end: total, l1: 0, l2: 0 });
    const perVariable = 2 + this.slotCount;
    const names = Object.keys(kernel.decl.bindings);
    const bindings: Record<string, Storage | null> = {};
    for (let s = 0; s < perDispatch; s++) {
      for (let b = 0; b < perVariable; b++) bindings[names[s * perVariable + b]] = group[s]?.buffers[b] ?? null;
    }
    kernel.launch({
      op: `${this.name}.applyGradients`,
      constants,
      uniforms: { ...header, total, slots },
      bindings,
      groups: kernel.blocks(4 * total),
    });
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

  private slotsOf(v: Variable): Tensor[] {
    let s = this.slots.get(v);
    if (!s) {
      s = Array.from({ length: this.slotCount }, () => keep(zeros(v.shape)));
      this.slots.set(v, s);
    }
    return s;
  }

  /**
   * The buffer to update in place. A variable's buffer may be viewed elsewhere: a tape that saved
   * the value for a later gradient, a reshape the user kept. Those must keep seeing the old value
   * (Variable.assign's contract), so a shared buffer is first copied to a fresh one the variable
   * adopts; the kernel then writes that copy. In training nothing else holds the buffer by the
   * time the update runs, so the usual path writes in place and allocates nothing.
   */
  private writableStorage(v: Variable, g: Tensor): Storage {
    const current = v.storage;
    if (current.refs === 1 && g.storage !== current) return current;
    const next = new Storage(v.size);
    copyElements(current, 0, next, 0, v.size, 'applyGradients');
    v.adopt(next);
    return next;
  }

  /** The hyperparameters, TensorFlow.js style. */
  getConfig(): Record<string, number | boolean> {
    return { learningRate: this.lr, ...(this.weightDecay ? { weightDecay: this.weightDecay } : {}) };
  }

  /** Frees the slots (a later update starts them from zero again). */
  dispose(): void {
    for (const list of this.slots.values()) for (const t of list) t.dispose();
    this.slots.clear();
  }
}

export interface SgdOptions {
  learningRate?: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(opts: SgdOptions = {}) {
    super('sgd', opts.learningRate ?? 0.01, opts.weightDecay ?? 0);
    this.momentum = hyper('sgd', 'momentum', opts.momentum ?? 0, { min: 0, max: 1 });
    if (typeof (opts.nesterov ?? false) !== 'boolean') throw new InvalidArgumentError('sgd: nesterov must be a boolean.');
    this.nesterov = opts.nesterov ?? false;
  }

  protected get slotCount(): number {
    return this.momentum === 0 ? 0 : 1;
  }

  protected kernel() {
    const header = { lr: this.learningRate, momentum: this.momentum, decay: this.weightDecay * this.learningRate };
    return this.momentum === 0
      ? { kernel: sgdKernel, header, perDispatch: 4, paramSlots: 4 }
      : { kernel: sgdMomentumKernel, constants: { NESTEROV: this.nesterov }, header, perDispatch: 2, paramSlots: 4 };
  }

  override getConfig(): Record<string, number | boolean> {
    return { ...super.getConfig(), momentum: this.momentum, nesterov: this.nesterov };
  }
}

export interface AdamOptions {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
}

export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  constructor(opts: AdamOptions = {}, name = 'adam', defaultDecay = 0) {
    super(name, opts.learningRate ?? 0.001, opts.weightDecay ?? defaultDecay);
    this.beta1 = hyper(name, 'beta1', opts.beta1 ?? 0.9, { min: 0, below: 1 });
    this.beta2 = hyper(name, 'beta2', opts.beta2 ?? 0.999, { min: 0, below: 1 });
    this.epsilon = hyper(name, 'epsilon', opts.epsilon ?? 1e-7, { min: 0 });
  }

  protected get slotCount(): number {
    return 2;
  }

  protected kernel(t: number) {
    const alpha = (this.learningRate * Math.sqrt(1 - this.beta2 ** t)) / (1 - this.beta1 ** t);
    const header = { alpha, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, decay: this.weightDecay * this.learningRate };
    return { kernel: adamKernel, header, perDispatch: 2, paramSlots: 2 };
  }

  override getConfig(): Record<string, number | boolean> {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

/** Adam with decoupled weight decay (Keras's default 0.004). */
export class AdamW extends Adam {
  constructor(opts: AdamOptions = {}) {
    super(opts, 'adamw', 0.004);
  }
}

export interface RmspropOptions {
  learningRate?: number;
  rho?: number;
  momentum?: number;
  epsilon?: number;
  weightDecay?: number;
}

export class RMSprop extends Optimizer {
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;

  constructor(opts: RmspropOptions = {}) {
    super('rmsprop', opts.learningRate ?? 0.001, opts.weightDecay ?? 0);
    this.rho = hyper('rmsprop', 'rho', opts.rho ?? 0.9, { min: 0, max: 1 });
    this.momentum = hyper('rmsprop', 'momentum', opts.momentum ?? 0, { min: 0, max: 1 });
    this.epsilon = hyper('rmsprop', 'epsilon', opts.epsilon ?? 1e-7, { min: 0 });
  }

  protected get slotCount(): number {
    return this.momentum > 0 ? 2 : 1;
  }

  protected kernel() {
    const header = { lr: this.learningRate, rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, decay: this.weightDecay * this.learningRate };
    return { kernel: this.momentum > 0 ? rmspropMomentumKernel : rmspropKernel, header, perDispatch: 2, paramSlots: 2 };
  }

  override getConfig(): Record<string, number | boolean> {
    return { ...super.getConfig(), rho: this.rho, momentum: this.momentum, epsilon: this.epsilon };
  }
}

export const sgd = (opts?: SgdOptions): SGD => new SGD(opts ?? {});
export const adam = (opts?: AdamOptions): Adam => new Adam(opts ?? {});
export const adamw = (opts?: AdamOptions): AdamW => new AdamW(opts ?? {});
export const rmsprop = (opts?: RmspropOptions): RMSprop => new RMSprop(opts ?? {});

const byName: Record<string, () => Optimizer> = { sgd, adam, adamw, rmsprop };

/** An optimizer with Keras's defaults from its name ('sgd', 'adam', 'adamw', 'rmsprop'). */
export function getOptimizer(name: string): Optimizer {
  const make = typeof name === 'string' && Object.hasOwn(byName, name.toLowerCase()) ? byName[name.toLowerCase()] : undefined;
  if (!make) throw new InvalidArgumentError(`Unknown optimizer '${String(name)}'; expected one of ${Object.keys(byName).join(', ')}.`);
  return make();
}
