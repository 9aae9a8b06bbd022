import { checkOptionKeys, InvalidArgumentError, show } from '../errors';
import * as draw from '../tensor/create';
import { checkShape, type Shape, sizeOf } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';

/**
 * Initial values of weights, drawn on the GPU by the engine's seeded generator. Formulas and
 * defaults are Keras 3's; names are TensorFlow.js's (Keras's snake_case names are accepted too).
 * Without a seed every call draws afresh; with one, every call gives the same values.
 */
export abstract class Initializer {
  /** The Keras class name, used when saving. */
  abstract readonly className: string;
  abstract apply(shape: Shape): Tensor;
  abstract getConfig(): Record<string, number | string | null>;
}

function finite(value: unknown, name: string, op: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidArgumentError(`initializers.${op}: ${name} must be a finite number, got ${String(value)}.`);
  }
  return value;
}

/** The config keys of each configurable initializer. */
const keysOf = {
  randomNormal: ['mean', 'stddev', 'seed'],
  randomUniform: ['minval', 'maxval', 'seed'],
  truncatedNormal: ['mean', 'stddev', 'seed'],
  varianceScaling: ['scale', 'mode', 'distribution', 'seed'],
  seeded: ['seed'],
} as const;

/** A config object (or none), checked to hold only the keys `op` knows. */
function configOf<T extends object>(op: string, config: T | undefined, keys: readonly string[]): T {
  if (config === undefined || config === null) return {} as T;
  if (typeof config !== 'object' || Array.isArray(config)) throw new InvalidArgumentError(`initializers.${op}: expects a config object, got ${typeof config}.`);
  checkOptionKeys(`initializers.${op}`, config, keys);
  return config;
}

/** The keys of a saved config that an initializer reads (files may carry others, such as dtype). */
function known(config: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => config[k] !== undefined).map((k) => [k, config[k]]));
}

function seedOf(seed: unknown, op: string): number | undefined {
  if (seed === undefined || seed === null) return undefined;
  return finite(seed, 'seed', op);
}

export class Constant extends Initializer {
  readonly className: string = 'Constant';
  readonly value: number;
  constructor(value: number) {
    super();
    this.value = finite(value, 'value', 'constant');
  }
  apply(shape: Shape): Tensor {
    return draw.fill(shape, this.value);
  }
  getConfig(): Record<string, number> {
    return { value: this.value };
  }
}

export class Zeros extends Constant {
  override readonly className = 'Zeros';
  constructor() {
    super(0);
  }
  override getConfig(): Record<string, number> {
    return {};
  }
}

export class Ones extends Constant {
  override readonly className = 'Ones';
  constructor() {
    super(1);
  }
  override getConfig(): Record<string, number> {
    return {};
  }
}

export class RandomNormal extends Initializer {
  readonly className = 'RandomNormal';
  readonly mean: number;
  readonly stddev: number;
  readonly seed: number | undefined;
  constructor(config: { mean?: number; stddev?: number; seed?: number } = {}) {
    super();
    const { mean = 0, stddev = 0.05, seed } = configOf('randomNormal', config, keysOf.randomNormal);
    this.mean = finite(mean, 'mean', 'randomNormal');
    this.stddev = finite(stddev, 'stddev', 'randomNormal');
    this.seed = seedOf(seed, 'randomNormal');
  }
  apply(shape: Shape): Tensor {
    return draw.randomNormal(shape, { mean: this.mean, stddev: this.stddev, seed: this.seed });
  }
  getConfig(): Record<string, number | null> {
    return { mean: this.mean, stddev: this.stddev, seed: this.seed ?? null };
  }
}

export class RandomUniform extends Initializer {
  readonly className = 'RandomUniform';
  readonly minval: number;
  readonly maxval: number;
  readonly seed: number | undefined;
  constructor(config: { minval?: number; maxval?: number; seed?: number } = {}) {
    super();
    const { minval = -0.05, maxval = 0.05, seed } = configOf('randomUniform', config, keysOf.randomUniform);
    this.minval = finite(minval, 'minval', 'randomUniform');
    this.maxval = finite(maxval, 'maxval', 'randomUniform');
    this.seed = seedOf(seed, 'randomUniform');
  }
  apply(shape: Shape): Tensor {
    return draw.randomUniform(shape, { minval: this.minval, maxval: this.maxval, seed: this.seed });
  }
  getConfig(): Record<string, number | null> {
    return { minval: this.minval, maxval: this.maxval, seed: this.seed ?? null };
  }
}

/** Normal values redrawn until within two standard deviations of the mean. */
export class TruncatedNormal extends Initializer {
  readonly className = 'TruncatedNormal';
  readonly mean: number;
  readonly stddev: number;
  readonly seed: number | undefined;
  constructor(config: { mean?: number; stddev?: number; seed?: number } = {}) {
    super();
    const { mean = 0, stddev = 0.05, seed } = configOf('truncatedNormal', config, keysOf.truncatedNormal);
    this.mean = finite(mean, 'mean', 'truncatedNormal');
    this.stddev = finite(stddev, 'stddev', 'truncatedNormal');
    this.seed = seedOf(seed, 'truncatedNormal');
  }
  apply(shape: Shape): Tensor {
    return draw.truncatedNormal(shape, { mean: this.mean, stddev: this.stddev, seed: this.seed });
  }
  getConfig(): Record<string, number | null> {
    return { mean: this.mean, stddev: this.stddev, seed: this.seed ?? null };
  }
}

export type FanMode = 'fanIn' | 'fanOut' | 'fanAvg';
export type Distribution = 'truncatedNormal' | 'untruncatedNormal' | 'uniform';

/** Keras's fans: the last two axes are (in, out); leading axes form a receptive field. */
export function computeFans(shape: Shape): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  const receptive = sizeOf(shape.slice(0, -2));
  return { fanIn: shape[shape.length - 2] * receptive, fanOut: shape[shape.length - 1] * receptive };
}

/** Truncation at ±2σ shrinks the standard deviation by this factor; Keras divides it out. */
const TRUNCATED_STDDEV = 0.87962566103423978;

/**
 * s = scale / max(1, fan) for the chosen fan; then N(0, s) truncated at ±2σ (σ corrected so the
 * variance is s), untruncated N(0, s), or U(−√(3s), √(3s)).
 */
export class VarianceScaling extends Initializer {
  readonly className: string = 'VarianceScaling';
  readonly scale: number;
  readonly mode: FanMode;
  readonly distribution: Distribution;
  readonly seed: number | undefined;
  constructor(config: { scale?: number; mode?: FanMode; distribution?: Distribution; seed?: number } = {}) {
    super();
    const { scale = 1, mode = 'fanIn', distribution = 'truncatedNormal', seed } = configOf('varianceScaling', config, keysOf.varianceScaling);
    this.scale = finite(scale, 'scale', 'varianceScaling');
    if (this.scale <= 0) throw new InvalidArgumentError(`initializers.varianceScaling: scale must be > 0, got ${scale}.`);
    if (!['fanIn', 'fanOut', 'fanAvg'].includes(mode)) {
      throw new InvalidArgumentError(`initializers.varianceScaling: mode must be 'fanIn', 'fanOut' or 'fanAvg', got ${String(mode)}.`);
    }
    if (!['truncatedNormal', 'untruncatedNormal', 'uniform'].includes(distribution)) {
      throw new InvalidArgumentError(
        `initializers.varianceScaling: distribution must be 'truncatedNormal', 'untruncatedNormal' or 'uniform', got ${String(distribution)}.`,
      );
    }
    this.mode = mode;
    this.distribution = distribution;
    this.seed = seedOf(seed, 'varianceScaling');
  }
  apply(shape: Shape): Tensor {
    checkShape(shape, 'initializer');
    const { fanIn, fanOut } = computeFans(shape);
    const fan = this.mode === 'fanIn' ? fanIn : this.mode === 'fanOut' ? fanOut : (fanIn + fanOut) / 2;
    const s = this.scale / Math.max(1, fan);
    const seed = this.seed;
    if (this.distribution === 'truncatedNormal') return draw.truncatedNormal(shape, { stddev: Math.sqrt(s) / TRUNCATED_STDDEV, seed });
    if (this.distribution === 'untruncatedNormal') return draw.randomNormal(shape, { stddev: Math.sqrt(s), seed });
    const limit = Math.sqrt(3 * s);
    return draw.randomUniform(shape, { minval: -limit, maxval: limit, seed });
  }
  getConfig(): Record<string, number | string | null> {
    return { scale: this.scale, mode: this.mode, distribution: this.distribution, seed: this.seed ?? null };
  }
}

type Seeded = { seed?: number };

/** A VarianceScaling preset under its own class name. */
function preset(className: string, scale: number, mode: FanMode, distribution: Distribution) {
  return class extends VarianceScaling {
    override readonly className = className;
    constructor(config: Seeded = {}) {
      super({ scale, mode, distribution, seed: configOf(className.charAt(0).toLowerCase() + className.slice(1), config, keysOf.seeded).seed });
    }
    override getConfig(): Record<string, number | null> {
      return { seed: this.seed ?? null };
    }
  };
}

/** U(−√(6/(fanIn+fanOut)), +√(6/(fanIn+fanOut))): the Keras default for kernels. */
export const GlorotUniform = preset('GlorotUniform', 1, 'fanAvg', 'uniform');
export const GlorotNormal = preset('GlorotNormal', 1, 'fanAvg', 'truncatedNormal');
export const HeNormal = preset('HeNormal', 2, 'fanIn', 'truncatedNormal');
export const HeUniform = preset('HeUniform', 2, 'fanIn', 'uniform');
export const LeCunNormal = preset('LeCunNormal', 1, 'fanIn', 'truncatedNormal');
export const LeCunUniform = preset('LeCunUniform', 1, 'fanIn', 'uniform');

export const zeros = (): Initializer => new Zeros();
export const ones = (): Initializer => new Ones();
export const constant = (config: { value: number }): Initializer => new Constant(configOf('constant', config, ['value']).value);
export const randomNormal = (config?: { mean?: number; stddev?: number; seed?: number }): Initializer => new RandomNormal(config ?? {});
export const randomUniform = (config?: { minval?: number; maxval?: number; seed?: number }): Initializer => new RandomUniform(config ?? {});
export const truncatedNormal = (config?: { mean?: number; stddev?: number; seed?: number }): Initializer => new TruncatedNormal(config ?? {});
export const varianceScaling = (config?: ConstructorParameters<typeof VarianceScaling>[0]): Initializer => new VarianceScaling(config ?? {});
export const glorotUniform = (config?: Seeded): Initializer => new GlorotUniform(config ?? {});
export const glorotNormal = (config?: Seeded): Initializer => new GlorotNormal(config ?? {});
export const heNormal = (config?: Seeded): Initializer => new HeNormal(config ?? {});
export const heUniform = (config?: Seeded): Initializer => new HeUniform(config ?? {});
export const leCunNormal = (config?: Seeded): Initializer => new LeCunNormal(config ?? {});
export const leCunUniform = (config?: Seeded): Initializer => new LeCunUniform(config ?? {});

const byName: Record<string, () => Initializer> = {
  zeros,
  ones,
  randomNormal,
  randomUniform,
  truncatedNormal,
  varianceScaling,
  glorotUniform,
  glorotNormal,
  heNormal,
  heUniform,
  leCunNormal,
  leCunUniform,
};

/** 'glorot_uniform' → 'glorotUniform'; 'lecun_normal' and 'lecunNormal' → 'leCunNormal'. */
function canonicalName(name: string): string {
  const camel = name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return camel.replace(/^lecun/, 'leCun');
}

export type InitializerIdentifier = keyof typeof byName | string;

/** The saved form of an initializer: its class name and config, as TensorFlow.js and Keras write them. */
export function serialize(init: Initializer): { className: string; config: Record<string, number | string | null> } {
  return { className: init.className, config: init.getConfig() };
}

type Config = Record<string, unknown>;
const seeded = (c: Config): Seeded => ({ seed: c.seed as number | undefined });

/** Constructors by lower-cased class name (Keras 3 spells 'LecunNormal', TensorFlow.js 'LeCunNormal'). */
const byClassName: Record<string, (c: Config) => Initializer> = {
  zeros: () => new Zeros(),
  ones: () => new Ones(),
  constant: (c) => new Constant(c.value as number),
  randomnormal: (c) => new RandomNormal(known(c, keysOf.randomNormal)),
  randomuniform: (c) => new RandomUniform(known(c, keysOf.randomUniform)),
  truncatednormal: (c) => new TruncatedNormal(known(c, keysOf.truncatedNormal)),
  // TensorFlow.js and Keras 2 call the truncated normal 'normal'.
  variancescaling: (c) => new VarianceScaling({ ...known(c, keysOf.varianceScaling), distribution: c.distribution === 'normal' ? 'truncatedNormal' : c.distribution } as ConstructorParameters<typeof VarianceScaling>[0]),
  glorotuniform: (c) => new GlorotUniform(seeded(c)),
  glorotnormal: (c) => new GlorotNormal(seeded(c)),
  henormal: (c) => new HeNormal(seeded(c)),
  heuniform: (c) => new HeUniform(seeded(c)),
  lecunnormal: (c) => new LeCunNormal(seeded(c)),
  lecununiform: (c) => new LeCunUniform(seeded(c)),
};

/** The initializer of a saved form (config keys and values in camelCase). */
export function deserialize(className: string, config: Config): Initializer {
  const make = typeof className === 'string' ? byClassName[className.toLowerCase()] : undefined;
  if (!make) throw new InvalidArgumentError(`initializers: unknown initializer class ${show(className)}.`);
  return make(config);
}

/** Keras's `initializers.get`: an initializer from a name (with that initializer's defaults) or an instance. */
export function get(id: Initializer | InitializerIdentifier, op = 'initializers.get'): Initializer {
  if (id instanceof Initializer) return id;
  if (typeof id === 'string') {
    const make = byName[canonicalName(id)];
    if (make) return make();
  }
  throw new InvalidArgumentError(
    `${op}: unknown initializer ${show(id)}; use one of ${Object.keys(byName).join(', ')} or an Initializer.`,
  );
}
