import { checkOptionKeys, InvalidArgumentError, ShapeError, show } from '../errors';
import { checkTensor } from '../ops/operand';
import { penaltyTerms } from '../ops/penalty';
import { withoutRecording } from '../ops/primitive';
import { sum } from '../ops/reduce';
import { reshape } from '../ops/shape_ops';
import { releaseStaleSteps } from '../tensor/compile_step';
import { copyOf } from '../tensor/copy';
import { tensor } from '../tensor/create';
import { checkShape, fmt, sameShape, type Shape } from '../tensor/shape';
import { keep, Tensor, tidy } from '../tensor/tensor';
import { Variable } from '../tensor/variable';
import { get as getInitializer, type Initializer, type InitializerIdentifier } from './initializers';
import { get as getRegularizer, L1L2, Regularizer, type RegularizerFn, type RegularizerLike, serialize as serializeRegularizer } from './regularizers';
import { isSymbolic, type Node, SymbolicTensor } from './symbolic';

/** An input shape as layers see it; the batch dimension may be unknown (null) before data arrives. */
export type LayerShape = ReadonlyArray<number | null>;

export interface CallOptions {
  /** Training mode (dropout active). Nested applies inherit it from the outermost one; default false. */
  training?: boolean;
}

export interface LayerArgs {
  name?: string;
  trainable?: boolean;
  /** The shape of one example (no batch dimension): lets a `Sequential` build its weights at once. */
  inputShape?: number[];
  /** A penalty on the layer's output, added to `losses` by each apply (Keras 3: not divided by the batch size). */
  activityRegularizer?: RegularizerLike | null;
}

/** The keys of LayerArgs, which every built-in layer accepts besides its own. */
const layerArgKeys: ReadonlyArray<keyof LayerArgs> = ['name', 'trainable', 'inputShape', 'activityRegularizer'];

/**
 * Checks that a built-in layer's arguments hold only keys it knows (its own and LayerArgs), so
 * that a misspelled one (`unit` for `units`) is an error rather than a default. The base Layer
 * does not check: a subclass may pass its own arguments on to it.
 */
export function checkLayerArgs(op: string, args: object | undefined, own: readonly string[]): void {
  if (args === undefined || args === null) return;
  if (typeof args !== 'object' || Array.isArray(args)) throw new InvalidArgumentError(`${op}: expects an arguments object, got ${typeof args}.`);
  checkOptionKeys(op, args, [...own, ...layerArgKeys]);
}

/** Refuses any dataFormat but 'channelsLast' (NHWC), the only layout the spatial layers run. */
export function checkDataFormat(op: string, dataFormat: unknown): void {
  if (dataFormat !== undefined && dataFormat !== 'channelsLast') {
    throw new InvalidArgumentError(`${op}: only dataFormat 'channelsLast' is supported, got ${show(dataFormat)}.`);
  }
}

/** A spatial layer's padding, 'valid' (the default) or 'same'. */
export function paddingOf(op: string, padding: unknown): 'valid' | 'same' {
  const v = padding ?? 'valid';
  if (v !== 'valid' && v !== 'same') throw new InvalidArgumentError(`${op}: padding must be 'valid' or 'same', got ${show(padding)}.`);
  return v;
}

/** A weight's regularizer as a layer config saves it: null where there is none. */
export const savedRegularizer = (r: Regularizer | RegularizerFn | null): ConfigValue => (r ? serializeRegularizer(r) : null);

/** A value in a saved layer config (JSON). */
export type ConfigValue = null | boolean | number | string | ConfigValue[] | { [key: string]: ConfigValue };

/**
 * A layer's configuration with camelCase keys, as TensorFlow.js's `getConfig` gives it; src/io
 * writes it with Keras's snake_case keys. With the class name, enough to construct the layer again.
 */
export type LayerConfig = { [key: string]: ConfigValue };

export interface AddWeightOptions {
  initializer?: Initializer | InitializerIdentifier;
  regularizer?: RegularizerLike | null;
  trainable?: boolean;
}

/** The regularizer of each weight made by `addWeight` (Keras keeps it on the variable too). */
const regularizerOf = new WeakMap<Variable, Regularizer | RegularizerFn>();

/** The `training` flag of every apply in progress, outermost first. */
const callStack: boolean[] = [];

const nameCounts = new Map<string, number>();

/** Keras's automatic names: 'dense', 'dense_1', ... from the class name in snake case. */
function uniqueName(base: string): string {
  const n = nameCounts.get(base) ?? 0;
  nameCounts.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

/** A class's own `className` (built-in layers keep theirs through minification), else its JavaScript name. */
function classNameOf(cls: Function): string {
  return Object.hasOwn(cls, 'className') ? (cls as unknown as { className: string }).className : cls.name;
}

/** 'LeakyReLU' → 'leaky_re_lu'; a digit joins the letter after it, as in Keras ('MaxPooling2D' → 'max_pooling2d'). */
function snakeCase(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase() || 'layer';
}

/**
 * A layer: state (weights) plus a computation (`call`), as in Keras 3. Users subclass it and
 * override `build` (create weights once the input shape is known) and `call`; `apply` builds on
 * first use, runs `call` and records activity penalties.
 *
 * Layers and models nest. A layer tracks as its sublayers every Layer held in one of its own
 * properties, directly or in an array (Keras's automatic tracking); weights are those made by
 * `addWeight` plus Variables held directly in properties. A weight shared by several layers
 * counts once.
 */
export class Layer {
  /** The Keras class name (saving uses it); subclasses without one go by their JavaScript class name. */
  static readonly className: string = 'Layer';
  readonly name: string;
  /** True once `build` has run (directly, or on the first `apply`). */
  built = false;
  readonly inputShape: number[] | undefined;
  /** A penalty on this layer's output, applied by each `apply` (settable, as in Keras). */
  activityRegularizer: Regularizer | RegularizerFn | null;
  /** The output shape of the most recent apply, batch axis unknown (what `summary` shows). @internal */
  lastOutputShape: LayerShape | undefined;
  private trainableFlag: boolean;
  /** Weights made by `addWeight`, in creation order, and those of them made trainable. */
  private readonly ownWeights: Variable[] = [];
  private readonly madeTrainable = new Set<Variable>();
  /** Losses given to `addLoss` (and activity penalties) during the most recent outermost apply. */
  private heldLosses: Tensor[] = [];
  private readonly lossFns: Array<() => Tensor> = [];

  constructor(args: LayerArgs = {}) {
    args ??= {};
    if (args.name !== undefined && (typeof args.name !== 'string' || args.name === '')) {
      throw new InvalidArgumentError('Layer: name must be a non-empty string.');
    }
    this.name = args.name ?? uniqueName(snakeCase(classNameOf(new.target)));
    this.trainableFlag = args.trainable ?? true;
    if (args.inputShape !== undefined) {
      if (!Array.isArray(args.inputShape)) throw new InvalidArgumentError(`${this.name}: inputShape must be an array of integers.`);
      checkShape(args.inputShape, this.name);
      this.inputShape = [...args.inputShape];
    }
    this.activityRegularizer = getRegularizer(args.activityRegularizer);
    // However a subclass defines `build`, running it marks the layer built (Keras's build wrapper).
    const build = this.build;
    this.build = (inputShape: LayerShape | LayerShape[]): void => {
      build.call(this, inputShape);
      this.built = true;
    };
  }

  /**
   * Creates the weights once the input shape is known (one shape per input when the layer is
   * applied to an array). Runs once, before the first `call`.
   */
  build(_inputShape: LayerShape | LayerShape[]): void {}

  /** The computation. Subclasses override it; use `apply` to run a layer. */
  call(_inputs: Tensor | Tensor[], _opts: CallOptions): Tensor | Tensor[] {
    throw new InvalidArgumentError(`${this.name}: a Layer subclass must implement call().`);
  }

  /** The class name written in saved models: 'Dense', 'Sequential', ..., or a subclass's own name. */
  getClassName(): string {
    return classNameOf(this.constructor);
  }

  /** The keys every layer saves (Keras's base `Layer.get_config`); subclasses add their own. */
  getConfig(): LayerConfig {
    const config: LayerConfig = { name: this.name, trainable: this.trainable };
    if (this.inputShape) Object.assign(config, { batchInputShape: [null, ...this.inputShape], dtype: 'float32' });
    if (this.activityRegularizer) config.activityRegularizer = serializeRegularizer(this.activityRegularizer);
    return config;
  }

  /** The output shape for an input shape, when the layer knows it without running (used to build ahead). */
  computeOutputShape(_inputShape: LayerShape | LayerShape[]): LayerShape | undefined {
    return undefined;
  }

  /**
   * Runs the layer: builds it on first use, calls `call`, and adds the activity penalty
   * `activityRegularizer(output)` to `losses` (not divided by the batch size, as in Keras 3). The outermost apply first clears the
   * `addLoss` tensors of this layer and of every nested one. Given symbolic tensors (from
   * `input()`), it builds the layer and returns symbolic outputs for `model({ inputs, outputs })`.
   * A model with several outputs returns an array.
   */
  apply(inputs: SymbolicTensor | SymbolicTensor[], opts?: CallOptions): SymbolicTensor;
  apply(inputs: Tensor, opts?: CallOptions): Tensor;
  apply(inputs: Tensor[], opts?: CallOptions): Tensor;
  apply(inputs: Tensor | Tensor[], opts?: CallOptions): Tensor | Tensor[];
  apply(inputs: Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[], opts: CallOptions = {}): Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[] {
    if (isSymbolic(inputs)) return this.applySymbolic(inputs, opts);
    const op = `${this.name}.apply`;
    const x = Array.isArray(inputs) ? inputs.map((t, i) => checkTensor(t, op, `inputs[${i}]`)) : checkTensor(inputs, op, 'inputs');
    if (opts?.training !== undefined && typeof opts.training !== 'boolean') {
      throw new InvalidArgumentError(`${this.name}.apply: training must be a boolean.`);
    }
    const training = opts?.training ?? callStack[callStack.length - 1] ?? false;
    if (callStack.length === 0) this.clearLosses(new Set());
    callStack.push(training);
    try {
      if (!this.built) this.build(Array.isArray(x) ? x.map((t) => t.shape) : x.shape);
      const y = this.call(x, { ...opts, training });
      const outputs = Array.isArray(y) ? y : [y];
      if (outputs.length === 0 || !outputs.every((t) => t instanceof Tensor)) throw new InvalidArgumentError(`${this.name}.call must return a Tensor.`);
      if (!Array.isArray(y)) this.lastOutputShape = y.rank > 0 ? [null, ...y.shape.slice(1)] : [];
      if (this.activityRegularizer) {
        // Keras 3 adds regularizer(output) as it is (tf.keras 2 divided it by the batch size).
        for (const out of outputs) {
          const penalty = applyRegularizer(this.activityRegularizer, out);
          this.addLoss(penalty);
          penalty.dispose();
        }
      }
      return y;
    } finally {
      callStack.pop();
    }
  }

  /**
   * Builds the layer for symbolic inputs and returns its symbolic outputs. Their shapes come from
   * `computeOutputShape`, or else from one untaped call on zeros (unknown dimensions as 1), whose
   * losses are dropped.
   */
  private applySymbolic(inputs: SymbolicTensor | SymbolicTensor[], opts: CallOptions): SymbolicTensor | SymbolicTensor[] {
    const { training: _, ...callOptions } = opts ?? {};
    for (const [key, value] of Object.entries(callOptions)) {
      if (value instanceof Tensor || (Array.isArray(value) && isSymbolic(value))) {
        throw new InvalidArgumentError(`${this.name}.apply: option '${key}' in a functional model must be one symbolic tensor (from input() or layer.apply), which the model then takes or computes.`);
      }
    }
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const shapes = list.map((t) => t.shape);
    const shapeArg = Array.isArray(inputs) ? shapes : shapes[0];
    if (!this.built) this.build(shapeArg);
    let outShapes: LayerShape[];
    let arrayOutput = false;
    let dtypes: Array<Tensor['dtype']> = [];
    const known = this.computeOutputShape(shapeArg);
    if (known) {
      outShapes = [known];
      dtypes = ['float32'];
    } else {
      callStack.push(false);
      try {
        tidy(() =>
          withoutRecording(() => {
            const probe = (t: SymbolicTensor) => {
              const shape = t.shape.map((d) => d ?? 1);
              const n = shape.reduce((a, b) => a * b, 1);
              return tensor(t.dtype === 'int32' ? new Int32Array(n) : new Float32Array(n), shape);
            };
            const probes = list.map(probe);
            const options = Object.fromEntries(Object.entries(callOptions).map(([k, v]) => [k, v instanceof SymbolicTensor ? probe(v) : v]));
            const y = this.call(Array.isArray(inputs) ? probes : probes[0], { ...options, training: false });
            arrayOutput = Array.isArray(y);
            const ys = Array.isArray(y) ? y : [y];
            outShapes = ys.map((t) => t.shape.map((d, i) => (i === 0 && list[0].shape[0] === null ? null : d)));
            dtypes = ys.map((t) => t.dtype);
          }),
        );
      } finally {
        callStack.pop();
        this.clearLosses(new Set());
      }
    }
    const node: Node = { layer: this, inputs: list, arrayInput: Array.isArray(inputs), callOptions, outputs: [], arrayOutput };
    node.outputs = outShapes!.map((shape, i) => new SymbolicTensor(shape, dtypes[i], node, i, outShapes!.length > 1 ? `${this.name}/${i}` : this.name));
    if (!arrayOutput) this.lastOutputShape = outShapes![0];
    return arrayOutput ? node.outputs : node.outputs[0];
  }

  get trainable(): boolean {
    return this.trainableFlag;
  }

  /** Freezes or unfreezes this layer and every nested one (their weights' `trainable` follows). */
  set trainable(value: boolean) {
    if (typeof value !== 'boolean') throw new InvalidArgumentError(`${this.name}: trainable must be a boolean.`);
    this.setTrainable(value, new Set());
  }

  private setTrainable(value: boolean, seen: Set<Layer>): void {
    if (seen.has(this)) return;
    seen.add(this);
    this.trainableFlag = value;
    for (const v of this.madeTrainable) v.trainable = value;
    for (const layer of this.sublayers()) layer.setTrainable(value, seen);
  }

  /**
   * Makes a weight of this layer: drawn by `initializer` (default 'glorotUniform'), penalized by
   * `regularizer` in `losses`, updated by training unless `trainable` is false.
   */
  addWeight(name: string, shape: Shape, opts: AddWeightOptions = {}): Variable {
    const op = `${this.name}.addWeight`;
    if (typeof name !== 'string' || name === '') throw new InvalidArgumentError(`${op}: name must be a non-empty string.`);
    if (!Array.isArray(shape)) throw new InvalidArgumentError(`${op}: shape must be an array of integers.`);
    checkShape(shape, op);
    if (opts !== undefined && opts !== null) checkOptionKeys(op, opts, ['initializer', 'regularizer', 'trainable']);
    const initializer = getInitializer(opts?.initializer ?? 'glorotUniform', op);
    const regularizer = getRegularizer(opts?.regularizer);
    const trainable = opts?.trainable ?? true;
    if (typeof trainable !== 'boolean') throw new InvalidArgumentError(`${op}: trainable must be a boolean.`);
    const value = initializer.apply(shape);
    const v = new Variable(value, { name: `${this.name}/${name}`, trainable: trainable && this.trainable });
    value.dispose();
    this.ownWeights.push(v);
    if (trainable) this.madeTrainable.add(v);
    if (regularizer) regularizerOf.set(v, regularizer);
    return v;
  }

  /**
   * Adds a loss to `losses`. A tensor (summed to a scalar) stays until the next outermost apply
   * starts; a function stays for good and is called on every read of `losses`.
   */
  addLoss(loss: Tensor | (() => Tensor)): void {
    if (typeof loss === 'function') {
      this.lossFns.push(loss);
      return;
    }
    const t = checkTensor(loss, `${this.name}.addLoss`, 'loss');
    // The layer's own scalar view, connected to `t` on an active tape, kept until cleared.
    this.heldLosses.push(keep(t.size === 1 ? reshape(t, []) : sum(t)));
  }

  private clearLosses(seen: Set<Layer>): void {
    if (seen.has(this)) return;
    seen.add(this);
    for (const t of this.heldLosses) t.dispose();
    this.heldLosses = [];
    for (const layer of this.sublayers()) layer.clearLosses(seen);
  }

  /** Layers held in this layer's own properties, directly or in arrays. @internal */
  sublayers(): Layer[] {
    const out: Layer[] = [];
    for (const value of Object.values(this)) {
      if (value instanceof Layer && value !== this) out.push(value);
      else if (Array.isArray(value)) for (const item of value) if (item instanceof Layer && item !== this) out.push(item);
    }
    return out;
  }

  /** This layer and every nested one, each once, parents before children. */
  private flatten(): Layer[] {
    const out: Layer[] = [];
    const seen = new Set<Layer>();
    const visit = (layer: Layer): void => {
      if (seen.has(layer)) return;
      seen.add(layer);
      out.push(layer);
      for (const sub of layer.sublayers()) visit(sub);
    };
    visit(this);
    return out;
  }

  /** This layer's own weights: trainable-made first, then the others, then Variables in properties. */
  private ownVariables(): Variable[] {
    const made = [...this.ownWeights.filter((v) => this.madeTrainable.has(v)), ...this.ownWeights.filter((v) => !this.madeTrainable.has(v))];
    const held = Object.values(this).filter((v): v is Variable => v instanceof Variable && !this.ownWeights.includes(v));
    return [...made, ...held];
  }

  /** Every weight of this layer and the nested ones, each once. */
  get weights(): Variable[] {
    const out = new Set<Variable>();
    for (const layer of this.flatten()) for (const v of layer.ownVariables()) out.add(v);
    return [...out];
  }

  /** The weights that training updates: none when the layer is frozen. */
  get trainableWeights(): Variable[] {
    return this.trainable ? this.weights.filter((v) => v.trainable) : [];
  }

  get nonTrainableWeights(): Variable[] {
    return this.trainable ? this.weights.filter((v) => !v.trainable) : this.weights;
  }

  /**
   * The losses of this layer and every nested one, as a fresh array of scalar GPU tensors (Keras 3):
   *  - the `addLoss` tensors and activity penalties of the most recent outermost apply;
   *  - one penalty per regularized trainable weight, recomputed now from its current value (every
   *    L1/L2 penalty of the model in one multi-tensor kernel), so that reading `losses` inside
   *    `tape.record` makes the penalties differentiable (eager safe);
   *  - the value of every function given to `addLoss`, called now.
   * Nothing is read back to the CPU. The caller owns the returned tensors.
   */
  get losses(): Tensor[] {
    const layers = this.flatten();
    const out: Tensor[] = [];
    try {
      for (const layer of layers) for (const t of layer.heldLosses) out.push(reshape(t, []));
      const regularized = this.trainableWeights.flatMap((v) => {
        const r = regularizerOf.get(v);
        return r ? [[v, r] as const] : [];
      });
      out.push(...weightPenalties(regularized));
      for (const layer of layers) {
        for (const fn of layer.lossFns) {
          const value = fn();
          if (!(value instanceof Tensor)) throw new InvalidArgumentError(`${layer.name}: a loss function given to addLoss must return a Tensor.`);
          out.push(value.size === 1 ? reshape(value, []) : sum(value));
        }
      }
    } catch (e) {
      for (const t of out) t.dispose();
      throw e;
    }
    return out;
  }

  /**
   * The number of values in `weights` (TensorFlow.js's `countParams`): trainable or not, each
   * shared weight once. Throws before the layer is built, when it has no weights yet.
   */
  countParams(): number {
    if (!this.built) {
      throw new InvalidArgumentError(`${this.name}.countParams: the layer is not built yet; give its first layer an inputShape, call build(inputShape) or apply it to data first.`);
    }
    return this.weights.reduce((n, w) => n + w.size, 0);
  }

  /** Copies of the current values of `weights`. */
  getWeights(): Tensor[] {
    return this.weights.map((v) => copyOf(v, 'getWeights'));
  }

  /** Assigns new values to `weights`, in their order; checks every shape before changing any. */
  setWeights(values: Tensor[]): void {
    const op = `${this.name}.setWeights`;
    const weights = this.weights;
    if (!Array.isArray(values) || values.length !== weights.length) {
      const got = Array.isArray(values) ? `${values.length}` : typeof values;
      throw new InvalidArgumentError(`${op}: the layer has ${weights.length} weights, got ${got} values.`);
    }
    values.forEach((t, i) => {
      checkTensor(t, op, `values[${i}]`);
      if (!sameShape(t.shape, weights[i].shape)) {
        throw new ShapeError(`${op}: weight '${weights[i].name}' has shape ${fmt(weights[i].shape)}, the value has shape ${fmt(t.shape)}.`);
      }
    });
    values.forEach((t, i) => weights[i].assign(t));
  }

  /**
   * Frees the weights and held losses of this layer and every nested one, and the buffers of the
   * compiled training steps that used those weights (trainOnBatch keeps one per model).
   */
  dispose(): void {
    for (const layer of this.flatten()) {
      for (const v of layer.ownVariables()) v.dispose();
      for (const t of layer.heldLosses) t.dispose();
      layer.heldLosses = [];
    }
    releaseStaleSteps();
  }
}

/** The penalty of `x` under a regularizer or a custom function, checked to be a scalar tensor. */
function applyRegularizer(reg: Regularizer | RegularizerFn, x: Tensor): Tensor {
  if (reg instanceof Regularizer) return reg.apply(x);
  const out = reg(x);
  if (!(out instanceof Tensor) || out.size !== 1) {
    const got = out instanceof Tensor ? `a tensor of shape ${fmt(out.shape)}` : typeof out;
    throw new InvalidArgumentError(`regularizer: a custom regularizer must return a scalar tensor, got ${got}.`);
  }
  return out;
}

/**
 * The penalties of many weights, in order: every L1/L2/L1L2 one from a single multi-tensor
 * penalty call (a fixed number of dispatches however many weights), the others one by one.
 */
function weightPenalties(pairs: ReadonlyArray<readonly [Variable, Regularizer | RegularizerFn]>): Tensor[] {
  const fused = pairs.filter((p): p is readonly [Variable, L1L2] => p[1] instanceof L1L2);
  const terms = fused.length ? penaltyTerms(fused.map(([w]) => w), fused.map(([, r]) => r)) : [];
  let next = 0;
  return pairs.map(([w, r]) => (r instanceof L1L2 ? terms[next++] : applyRegularizer(r, w)));
}
