// The data fit, evaluate and predict take: converted to sample tensors and checked (sample counts,
// finiteness, validation rows), then cut into batches, in order or shuffled.
import { InvalidArgumentError, NonFiniteError, ShapeError } from '../errors';
import { mul, sub } from '../ops/binary';
import { nonClassesAsNaN, nonFiniteFlags } from '../ops/finite';
import { gather } from '../ops/gather';
import { withoutRecording } from '../ops/primitive';
import { sum } from '../ops/reduce';
import { reshape } from '../ops/shape_ops';
import { rowsOf } from '../tensor/copy';
import { tensor } from '../tensor/create';
import { fmt, sameShape } from '../tensor/shape';
import { type NestedArray, type Storage, Tensor, tidy } from '../tensor/tensor';
import { Variable } from '../tensor/variable';

/** Training data: a tensor, nested arrays or a Float32Array; the first axis is the sample. */
export type Data = Tensor | NestedArray | Float32Array;

/** Data as a tensor with a sample axis; `owned` when made here (and to be disposed here). */
export interface Samples {
  t: Tensor;
  owned: boolean;
}

export function asSamples(op: string, name: string, v: Data): Samples {
  if (v instanceof Tensor) {
    v.assertUsable(op);
    if (v.rank < 1) throw new ShapeError(`${op}: ${name} needs a sample axis, got shape ${fmt(v.shape)}.`);
    return { t: v, owned: false };
  }
  if (!(v instanceof Float32Array) && !Array.isArray(v)) {
    throw new InvalidArgumentError(`${op}: ${name} must be a Tensor, nested arrays or a Float32Array.`);
  }
  const t = tensor(v);
  if (t.rank < 1) {
    t.dispose();
    throw new ShapeError(`${op}: ${name} needs a sample axis.`);
  }
  return { t, owned: true };
}

export function release(...samples: Array<Samples | undefined>): void {
  for (const s of samples) if (s?.owned) s.t.dispose();
}

/**
 * The data for each input or output: `v` itself for one, else an array with one entry per name
 * (one Tensor in an array is accepted for one input too, as in TensorFlow.js).
 */
export function entriesOf(op: string, what: string, v: Data | Data[], names: readonly string[]): Data[] {
  if (names.length === 1) return Array.isArray(v) && v.length === 1 && v[0] instanceof Tensor ? [v[0]] : [v as Data];
  if (!Array.isArray(v) || v.length !== names.length || !v.every((d) => d instanceof Tensor || d instanceof Float32Array || Array.isArray(d))) {
    const got = Array.isArray(v) ? `an array of ${v.length}` : v instanceof Tensor ? `one tensor ${fmt(v.shape)}` : typeof v;
    throw new InvalidArgumentError(`${op}: the model has ${names.length} ${what}s (${names.map((n) => `'${n}'`).join(', ')}); give ${what === 'input' ? 'x' : 'y'} as an array of ${names.length} tensors in that order, got ${got}.`);
  }
  return v as Data[];
}

/**
 * Converts the x and y of every input and output and checks they hold the same number of samples
 * (at least one). `names` name each in errors.
 */
export function pairOf(op: string, x: Data[], y: Data[], names: { x: string[]; y: string[] }): [Samples[], Samples[]] {
  const converted: Samples[] = [];
  try {
    const all = [...x.map((v, i) => [v, names.x[i]] as const), ...y.map((v, i) => [v, names.y[i]] as const)];
    for (const [v, name] of all) {
      const s = asSamples(op, name, v);
      converted.push(s);
      const first = converted[0].t;
      if (s.t.shape[0] !== first.shape[0]) {
        throw new ShapeError(`${op}: ${all[0][1]} ${fmt(first.shape)} and ${name} ${fmt(s.t.shape)} hold different numbers of samples (${first.shape[0]} vs ${s.t.shape[0]}).`);
      }
    }
    if (converted[0].t.shape[0] === 0) throw new InvalidArgumentError(`${op}: no samples to use.`);
    return [converted.slice(0, x.length), converted.slice(x.length)];
  } catch (e) {
    release(...converted);
    throw e;
  }
}

/** The names of data in messages: 'x' and 'y' for one input and output, else 'x[0] (name)', ... */
export function dataNames(prefix: string, names: readonly string[], letter: string): string[] {
  return names.length === 1 ? [`${prefix}${letter}`] : names.map((n, i) => `${prefix}${letter}[${i}] ('${n}')`);
}

/** Rows [start, end) of x and y that fit evaluates after each epoch. */
export interface Validation {
  x: Tensor[];
  y: Tensor[];
  start: number;
  end: number;
}

/**
 * The rows fit trains on, [0, trainRows) of x and y, and those it validates on: all of
 * `validationData` (which must match x and y beyond the sample axis), or else the last `split`
 * of the samples, taken before any shuffling (as Keras does), or none.
 */
export function splitRows(x: Tensor[], y: Tensor[], validationData: [Tensor[], Tensor[]] | undefined, split: number): { trainRows: number; validation: Validation | null } {
  const n = x[0].shape[0];
  if (validationData) {
    const [vx, vy] = validationData;
    for (const [vs, ts, name] of [[vx, x, 'x'], [vy, y, 'y']] as const) {
      vs.forEach((v, i) => {
        const t = ts[i];
        if (!sameShape(v.shape.slice(1), t.shape.slice(1))) {
          const which = ts.length > 1 ? `${name}[${i}]` : name;
          throw new ShapeError(`fit: validationData ${which} ${fmt(v.shape)} does not match the training ${which} ${fmt(t.shape)} beyond the sample axis.`);
        }
      });
    }
    return { trainRows: n, validation: { x: vx, y: vy, start: 0, end: vx[0].shape[0] } };
  }
  if (split === 0) return { trainRows: n, validation: null };
  const trainRows = Math.floor(n * (1 - split));
  if (trainRows === 0 || trainRows === n) {
    throw new InvalidArgumentError(`fit: validationSplit ${split} of ${n} samples leaves an empty training or validation set.`);
  }
  return { trainRows, validation: { x, y, start: trainRows, end: n } };
}

const knownFinite = new WeakSet<Storage>();
/** Label tensors that passed as class indices, with the class count they passed for. */
const knownClasses = new WeakMap<Storage, number>();

/**
 * An input to check: its name in messages, the tensor, and for sparse labels (or, with kind 'id',
 * the ids of an embedding's rows) the count of valid indices.
 */
export type CheckedInput = readonly [name: string, t: Tensor, classes?: number | null, kind?: 'label' | 'id'];

/**
 * int32 ids as float32 values, an id outside [0, n) as −1: a gather from the table 1..n, which
 * reads 0 outside it, minus 1.
 */
function idsAsFloat(ids: Tensor, n: number): Tensor {
  return tidy(() => withoutRecording(() => sub(gather(tensor(Float32Array.from({ length: n }, (_, i) => i + 1)), ids), 1)));
}

/** Whether `t` passed before. Only variables are mutable: another tensor's values never change. */
function passedBefore([, t, classes]: CheckedInput): boolean {
  if (t instanceof Variable) return false;
  if (!classes) return knownFinite.has(t.storage);
  const passedFor = knownClasses.get(t.storage);
  return passedFor !== undefined && passedFor <= classes;
}

/**
 * Throws before any weight changes: NonFiniteError when an input holds NaN or ±Infinity, and
 * InvalidArgumentError when sparse labels (an input given a class count) hold a value that is no
 * class index (out of range, fractional), as TensorFlow rejects a label outside [0, classes).
 * Checked on the GPU for all the inputs at once (nonFiniteFlags, with bad labels turned into NaN
 * by nonClassesAsNaN: a few dispatches and one 4-byte readback); only when the check fails are the
 * inputs searched, to name the one at fault and its first bad sample.
 */
export async function checkFinite(op: string, all: readonly CheckedInput[]): Promise<void> {
  // Keyed by storage, so views of the same data count too.
  // int32 values are always finite: only indices among them need checking.
  const inputs = all.filter((input) => !passedBefore(input) && (input[1].dtype !== 'int32' || input[2]));
  if (inputs.length === 0) return;
  const marked = inputs.map(([, t, classes]) => {
    if (!classes) return t;
    if (t.dtype !== 'int32') return nonClassesAsNaN(t, classes);
    const ids = idsAsFloat(t, classes);
    const out = nonClassesAsNaN(ids, classes);
    ids.dispose();
    return out;
  });
  let flags: Tensor;
  try {
    flags = nonFiniteFlags(marked, op);
  } finally {
    marked.forEach((m, i) => m !== inputs[i][1] && m.dispose());
  }
  const values = await flags.data().finally(() => flags.dispose());
  if (!values.some(Number.isNaN)) {
    for (const [, t, classes] of inputs) {
      if (t instanceof Variable) continue;
      knownFinite.add(t.storage);
      if (classes) knownClasses.set(t.storage, Math.min(classes, knownClasses.get(t.storage) ?? Infinity));
    }
    return;
  }
  for (const [name, t, classes, kind = 'label'] of inputs) {
    if (t.dtype !== 'int32') {
      const perSample = tidy(() => withoutRecording(() => sum(mul(reshape(t, [t.shape[0], -1]), 0), 1)));
      const bad = (await perSample.data().finally(() => perSample.dispose())).findIndex(Number.isNaN);
      if (bad >= 0) throw new NonFiniteError(`${op}: ${name} ${fmt(t.shape)} holds a non-finite value (NaN or ±Infinity), first in sample ${bad}; no weight was changed.`);
    }
    if (!classes) continue;
    const labels = await t.data();
    const at = labels.findIndex((v) => !(Number.isInteger(v) && v >= 0 && v < classes));
    if (at >= 0) {
      const meaning = kind === 'id'
        ? `embedding row ids: the input feeds an embedding of inputDim ${classes}, so its ids are integers in [0, ${classes})`
        : `class indices: the loss reads y as sparse labels, integers in [0, ${classes}) for the model's ${classes} classes`;
      throw new InvalidArgumentError(
        `${op}: ${name} ${fmt(t.shape)} holds the ${kind} ${labels[at]} in sample ${Math.floor(at / (t.size / t.shape[0]))}, outside the valid range of ` +
          `${meaning}; no weight was changed.`,
      );
    }
  }
}

/**
 * int32 ids that passed the check against `limit` as float32 values (exact below 2^24), so that
 * shuffling can gather their rows (the gather kernel moves float32 values).
 */
export function floatIds(op: string, name: string, ids: Tensor, limit: number | null | undefined): Tensor {
  if (!limit) throw new InvalidArgumentError(`${op}: ${name} holds int32 values, which fit shuffles only as the ids of an embedding; give float32 values or shuffle: false.`);
  return tidy(() => withoutRecording(() => gather(tensor(Float32Array.from({ length: limit }, (_, i) => i)), ids)));
}

/** Rows [start, start + count) of the sample order (a shuffled index tensor, or none) of each of x and y. */
export function batchOf(x: Tensor[], y: Tensor[], order: Tensor | null, start: number, count: number): [Tensor[], Tensor[]] {
  if (!order) return [x.map((t) => rowsOf(t, start, count, 'fit')), y.map((t) => rowsOf(t, start, count, 'fit'))];
  const picked = rowsOf(order, start, count, 'fit');
  return [x.map((t) => gather(t, picked)), y.map((t) => gather(t, picked))];
}

/** A Fisher–Yates shuffle of 0..n−1. */
export function permutation(n: number, random: () => number): Float32Array {
  const p = Float32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}
