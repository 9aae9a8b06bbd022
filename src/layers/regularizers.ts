import { checkOptionKeys, InvalidArgumentError, ShapeError, show } from '../errors';
import { abs, sqrt } from '../ops/unary';
import { div, minimum, mul } from '../ops/binary';
import { matmul } from '../ops/matmul';
import { checkTensor } from '../ops/operand';
import { penaltyTerms } from '../ops/penalty';
import { sum } from '../ops/reduce';
import { fmt } from '../tensor/shape';
import { tensor } from '../tensor/create';
import type { Tensor } from '../tensor/tensor';

/**
 * Penalties on weights (and, through `activityRegularizer`, on layer outputs), as in Keras 3.
 * L1, L2 and L1L2 are computed by the multi-tensor penalty kernel (src/ops/penalty.ts): a layer's
 * `losses` evaluates every such penalty of a model in one go. Orthogonal and custom functions are
 * compositions of ops.
 */
export abstract class Regularizer {
  /** The Keras class name, used when saving. */
  abstract readonly className: string;
  /** The penalty of `x`: a scalar tensor on the GPU. */
  abstract apply(x: Tensor): Tensor;
  abstract getConfig(): Record<string, number | string>;
}

/** Any function from a weight to a scalar tensor built from ops is accepted as a regularizer. */
export type RegularizerFn = (x: Tensor) => Tensor;
export type RegularizerIdentifier = 'l1' | 'l2' | 'l1l2';
export type RegularizerLike = Regularizer | RegularizerFn | RegularizerIdentifier;

function factor(value: unknown, name: string, op: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`${op}: ${name} must be a finite number ≥ 0, got ${String(value)}.`);
  }
  return value;
}

/** l1·Σ|x| + l2·Σx². */
export class L1L2 extends Regularizer {
  readonly className: string = 'L1L2';
  readonly l1: number;
  readonly l2: number;
  constructor(l1: number, l2: number) {
    super();
    this.l1 = factor(l1, 'l1', 'regularizers');
    this.l2 = factor(l2, 'l2', 'regularizers');
  }
  apply(x: Tensor): Tensor {
    return penaltyTerms([checkTensor(x, `regularizers.${this.className}`)], [this])[0];
  }
  getConfig(): Record<string, number> {
    return { l1: this.l1, l2: this.l2 };
  }
}

/** l1·Σ|x|. */
export class L1 extends L1L2 {
  override readonly className = 'L1';
  constructor(l1: number) {
    super(l1, 0);
  }
  override getConfig(): Record<string, number> {
    return { l1: this.l1 };
  }
}

/** l2·Σx². */
export class L2 extends L1L2 {
  override readonly className = 'L2';
  constructor(l2: number) {
    super(0, l2);
  }
  override getConfig(): Record<string, number> {
    return { l2: this.l2 };
  }
}

/** Keras's lower bound on a norm when normalizing (`backend.epsilon()`). */
const EPSILON = 1e-7;

/**
 * Keras 3 `OrthogonalRegularizer`: with the rows (or columns) of a rank-2 x scaled to unit L2 norm
 * (x·min(1/‖row‖, 1/ε)) and P their Gram matrix (X Xᵀ for rows), the penalty is
 *   factor · 0.5 · Σ_{i≠j} |P_ij| / (n(n−1)/2),   n = number of rows (columns),
 * i.e. factor times the mean |cosine| between distinct rows. (n = 1 divides 0 by 0, as in Keras.)
 */
export class Orthogonal extends Regularizer {
  readonly className = 'OrthogonalRegularizer';
  readonly factor: number;
  readonly mode: 'rows' | 'columns';
  constructor(factorValue: number, mode: 'rows' | 'columns') {
    super();
    this.factor = factor(factorValue, 'factor', 'regularizers.orthogonal');
    if (mode !== 'rows' && mode !== 'columns') {
      throw new InvalidArgumentError(`regularizers.orthogonal: mode must be 'rows' or 'columns', got ${String(mode)}.`);
    }
    this.mode = mode;
  }
  apply(x: Tensor): Tensor {
    const xt = checkTensor(x, 'regularizers.orthogonal');
    if (xt.rank !== 2) throw new ShapeError(`regularizers.orthogonal: expects a rank-2 tensor, got shape ${fmt(xt.shape)}.`);
    const rows = this.mode === 'rows';
    const n = xt.shape[rows ? 0 : 1];
    const temps: Tensor[] = [];
    const t = <T extends Tensor>(v: T): T => (temps.push(v), v);
    const norm = t(sqrt(t(sum(t(mul(xt, xt)), rows ? 1 : 0, true))));
    const unit = t(mul(xt, t(minimum(t(div(1, norm)), 1 / EPSILON))));
    const gram = t(rows ? matmul(unit, unit, { transposeB: true }) : matmul(unit, unit, { transposeA: true }));
    const offDiagonal = tensor(Float32Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 0 : 1)), [n, n]);
    const total = t(sum(t(abs(t(mul(gram, t(offDiagonal)))))));
    const out = mul(total, (this.factor * 0.5) / ((n * (n - 1)) / 2));
    for (const v of temps) v.dispose();
    return out;
  }
  getConfig(): Record<string, number | string> {
    return { factor: this.factor, mode: this.mode };
  }
}

/** A config object (or none), checked to hold only `keys`. */
function configOf<T extends object>(op: string, config: T | undefined, keys: readonly string[]): T {
  if (config === undefined || config === null) return {} as T;
  if (typeof config !== 'object' || Array.isArray(config)) throw new InvalidArgumentError(`regularizers.${op}: expects a config object { ${keys.join(', ')} }, got ${show(config)}.`);
  checkOptionKeys(`regularizers.${op}`, config, keys);
  return config;
}

/** `l1(0.01)`, `l1({ l1: 0.01 })`: l1·Σ|x|. */
export function l1(config: number | { l1?: number } = {}): L1 {
  return new L1(typeof config === 'number' ? config : (configOf('l1', config, ['l1']).l1 ?? 0.01));
}

/** `l2(0.01)`, `l2({ l2: 0.01 })`: l2·Σx². */
export function l2(config: number | { l2?: number } = {}): L2 {
  return new L2(typeof config === 'number' ? config : (configOf('l2', config, ['l2']).l2 ?? 0.01));
}

/** l1·Σ|x| + l2·Σx², both factors 0.01 unless given. */
export function l1l2(config: { l1?: number; l2?: number } = {}): L1L2 {
  const c = configOf('l1l2', config, ['l1', 'l2']);
  return new L1L2(c.l1 ?? 0.01, c.l2 ?? 0.01);
}

/** Keras 3's orthogonal regularizer (see `Orthogonal`). */
export function orthogonal(config: { factor?: number; mode?: 'rows' | 'columns' } = {}): Orthogonal {
  const c = configOf('orthogonal', config, ['factor', 'mode']);
  return new Orthogonal(c.factor ?? 0.01, c.mode ?? 'rows');
}

/** A regularizer or initializer as saved models hold it. */
export type Serialized = {
  className: string;
  config: Record<string, number | string | null>;
};

/**
 * The saved form of a regularizer, as TensorFlow.js writes it: L1, L2 and L1L2 all as
 * { className: 'L1L2', config: { l1, l2 } } (the one such class TensorFlow.js knows), Orthogonal
 * under its Keras 3 name, and a custom function as 'Custom>name', which saves but cannot load.
 */
export function serialize(r: Regularizer | RegularizerFn): Serialized {
  if (r instanceof L1L2) return { className: 'L1L2', config: { l1: r.l1, l2: r.l2 } };
  if (r instanceof Regularizer) return { className: r.className, config: r.getConfig() };
  return { className: `Custom>${r.name || 'anonymous'}`, config: {} };
}

/** The regularizer of a saved form: TensorFlow.js's L1L2, Keras's L1, L2, L1L2 and OrthogonalRegularizer. */
export function deserialize(className: string, config: Record<string, unknown>): Regularizer {
  switch (className) {
    case 'L1L2':
      return new L1L2((config.l1 ?? 0) as number, (config.l2 ?? 0) as number);
    case 'L1':
      return new L1((config.l1 ?? 0.01) as number);
    case 'L2':
      return new L2((config.l2 ?? 0.01) as number);
    case 'OrthogonalRegularizer':
      return new Orthogonal((config.factor ?? 0.01) as number, (config.mode ?? 'rows') as 'rows' | 'columns');
  }
  throw new InvalidArgumentError(`regularizers: unknown regularizer class ${show(className)}; known: L1L2, L1, L2, OrthogonalRegularizer.`);
}

/** Keras's `regularizers.get`: a name ('l1', 'l2', 'l1l2', default factors), an instance or a function; null for none. */
export function get(id: RegularizerLike | null | undefined): Regularizer | RegularizerFn | null {
  if (id === null || id === undefined) return null;
  if (id instanceof Regularizer || typeof id === 'function') return id;
  if (id === 'l1') return l1();
  if (id === 'l2') return l2();
  if (id === 'l1l2') return l1l2();
  throw new InvalidArgumentError(`regularizers.get: unknown regularizer ${show(id)}; use 'l1', 'l2', 'l1l2', a Regularizer or a function.`);
}
