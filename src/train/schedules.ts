// Learning-rate schedules with Keras 3's formulas (keras.optimizers.schedules). A schedule is a
// function of the optimizer's iteration count (0 at the first update); an optimizer evaluates it
// on the CPU once per step and writes the rate into the update kernel's uniforms, as it does
// Adam's bias correction, so a changing rate compiles nothing.
import { checkOptionKeys, InvalidArgumentError } from '../errors';

/** `(step) => learningRate`, step being the optimizer's iteration count, from 0. */
export type LearningRateSchedule = (step: number) => number;

/** A schedule of this module as Keras serializes it: its class name and config (camelCase keys). */
export interface SerializedSchedule {
  className: string;
  config: Record<string, number | boolean | null>;
}

const serialized = new WeakMap<LearningRateSchedule, SerializedSchedule>();

/** The class name and config of a schedule made here (undefined for any other function). */
export function scheduleConfig(schedule: LearningRateSchedule): SerializedSchedule | undefined {
  const s = serialized.get(schedule);
  return s && { className: s.className, config: { ...s.config } };
}

function finite(op: string, name: string, v: unknown, { positive = false, min }: { positive?: boolean; min?: number } = {}): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (positive && v <= 0) || (min !== undefined && v < min)) {
    const want = positive ? 'a finite number > 0' : min !== undefined ? `a finite number ≥ ${min}` : 'a finite number';
    throw new InvalidArgumentError(`${op}: ${name} must be ${want}, got ${String(v)}.`);
  }
  return v;
}

function optionsOf<T extends object>(op: string, opts: T, keys: ReadonlyArray<keyof T & string>): T {
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError(`${op}: expects an options object such as { initialLearningRate: 0.1, decaySteps: 1000, ... }.`);
  checkOptionKeys(op, opts, keys);
  return opts;
}

export interface ExponentialDecayOptions {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  /** Decay at whole multiples of decaySteps only (default false). */
  staircase?: boolean;
}

/** initialLearningRate · decayRate^(step / decaySteps), the exponent floored when `staircase` (Keras's ExponentialDecay). */
export function exponentialDecay(options: ExponentialDecayOptions): LearningRateSchedule {
  const op = 'exponentialDecay';
  const opts = optionsOf(op, options, ['initialLearningRate', 'decaySteps', 'decayRate', 'staircase']);
  const initial = finite(op, 'initialLearningRate', opts.initialLearningRate);
  const decaySteps = finite(op, 'decaySteps', opts.decaySteps, { positive: true });
  const decayRate = finite(op, 'decayRate', opts.decayRate);
  const staircase = opts.staircase ?? false;
  if (typeof staircase !== 'boolean') throw new InvalidArgumentError(`${op}: staircase must be a boolean.`);
  const schedule = (step: number) => {
    const p = step / decaySteps;
    return initial * decayRate ** (staircase ? Math.floor(p) : p);
  };
  serialized.set(schedule, { className: 'ExponentialDecay', config: { initialLearningRate: initial, decaySteps, decayRate, staircase } });
  return schedule;
}

export interface CosineDecayOptions {
  initialLearningRate: number;
  decaySteps: number;
  /** The final rate as a fraction of the rate decayed from (default 0). */
  alpha?: number;
  /** With warmup: the rate reached, linearly from initialLearningRate, after warmupSteps. */
  warmupTarget?: number | null;
  warmupSteps?: number;
}

/**
 * Keras's CosineDecay. Without warmup, with s = min(step, decaySteps):
 *   lr = initialLearningRate · ((1 − alpha) · ½(1 + cos(π·s / decaySteps)) + alpha).
 * With a warmupTarget, s = min(step, warmupSteps + decaySteps): for s < warmupSteps the rate rises
 * linearly, initialLearningRate + (warmupTarget − initialLearningRate) · s / warmupSteps; after,
 * it decays from warmupTarget as above over s − warmupSteps.
 */
export function cosineDecay(options: CosineDecayOptions): LearningRateSchedule {
  const op = 'cosineDecay';
  const opts = optionsOf(op, options, ['initialLearningRate', 'decaySteps', 'alpha', 'warmupTarget', 'warmupSteps']);
  const initial = finite(op, 'initialLearningRate', opts.initialLearningRate);
  const decaySteps = finite(op, 'decaySteps', opts.decaySteps, { positive: true });
  const alpha = finite(op, 'alpha', opts.alpha ?? 0);
  const warmupTarget = opts.warmupTarget === undefined || opts.warmupTarget === null ? null : finite(op, 'warmupTarget', opts.warmupTarget);
  const warmupSteps = finite(op, 'warmupSteps', opts.warmupSteps ?? 0, { min: 0 });
  const decayed = (s: number, from: number) => from * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * (s / decaySteps))) + alpha);
  const schedule = (step: number) => {
    if (warmupTarget === null) return decayed(Math.min(step, decaySteps), initial);
    const s = Math.min(step, decaySteps + warmupSteps);
    if (s < warmupSteps) return (warmupTarget - initial) * (s / warmupSteps) + initial;
    return decayed(s - warmupSteps, warmupTarget);
  };
  serialized.set(schedule, { className: 'CosineDecay', config: { initialLearningRate: initial, decaySteps, alpha, warmupTarget, warmupSteps } });
  return schedule;
}
