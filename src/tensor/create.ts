import { InvalidArgumentError, ShapeError, show } from '../errors';
import { fillKernel, randomKernel } from '../kernels/create';
import { checkBindable, type DType } from '../kernels/kernel';
import { copyElements, writeElements } from './copy';
import { checkShape, fmt, type Shape, sizeOf } from './shape';
import { emptyTensor, type NestedArray, type Tensor } from './tensor';

/** Flattens nested arrays and infers their shape, checking that they are rectangular. */
function flatten(values: NestedArray, op: string): { data: number[]; shape: number[] } {
  const shape: number[] = [];
  let probe: NestedArray = values;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const data: number[] = [];
  const walk = (v: NestedArray, depth: number): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number') throw new InvalidArgumentError(`${op}: expected a number at depth ${depth}, got ${typeof v}.`);
      data.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new ShapeError(`${op}: ragged nested array; expected length ${shape[depth]} at depth ${depth}.`);
    }
    for (const c of v) walk(c, depth + 1);
  };
  walk(values, 0);
  return { data, shape };
}

/** Typed arrays of numbers (converted as TensorFlow.js does); BigInt arrays and DataViews hold no numbers. */
function isNumericArray(v: ArrayBufferView): v is ArrayBufferView & ArrayLike<number> {
  return !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array);
}

/**
 * A tensor from a number, nested arrays or a numeric typed array, uploaded in stream order:
 * float32, or int32 when `dtype` says so or the values are an Int32Array.
 */
export function tensor(values: NestedArray | Float32Array | Int32Array | ArrayLike<number>, shape?: Shape, dtype?: DType): Tensor {
  if (dtype !== undefined && dtype !== 'float32' && dtype !== 'int32') {
    throw new InvalidArgumentError(`tensor: dtype must be 'float32' or 'int32', got ${show(dtype)}.`);
  }
  const type: DType = dtype ?? (values instanceof Int32Array ? 'int32' : 'float32');
  let data: Float32Array | Int32Array;
  let inferred: number[];
  const convert = (v: ArrayLike<number>) => (type === 'int32' ? Int32Array.from(v) : Float32Array.from(v));
  if (ArrayBuffer.isView(values)) {
    if (!isNumericArray(values)) {
      throw new InvalidArgumentError(`tensor: a ${(values as ArrayBufferView).constructor.name} holds no numbers; pass numbers, nested arrays of them or a numeric typed array (Float32Array, Int32Array, ...).`);
    }
    if (type === 'int32' && !(values instanceof Int32Array) && Array.prototype.some.call(values, (v: number) => !Number.isInteger(v))) {
      throw new InvalidArgumentError('tensor: int32 values must be integers.');
    }
    data = (type === 'int32' ? values instanceof Int32Array : values instanceof Float32Array) ? (values as Float32Array | Int32Array) : convert(values);
    inferred = [data.length];
  } else if (typeof values === 'number') {
    data = convert([values]);
    inferred = [];
  } else if (Array.isArray(values)) {
    const flat = flatten(values as NestedArray, 'tensor');
    if (type === 'int32' && flat.data.some((v) => !Number.isInteger(v))) {
      throw new InvalidArgumentError('tensor: int32 values must be integers.');
    }
    data = convert(flat.data);
    inferred = flat.shape;
  } else {
    throw new InvalidArgumentError(`tensor: values must be a number, a nested array of numbers or a Float32Array, got ${typeof values}.`);
  }
  if (shape) checkShape(shape, 'tensor');
  const finalShape = shape ? [...shape] : inferred;
  checkShape(finalShape, 'tensor');
  if (sizeOf(finalShape) !== data.length) {
    throw new ShapeError(`tensor: ${data.length} values do not fill shape ${fmt(finalShape)} (${sizeOf(finalShape)} elements).`);
  }
  const t = emptyTensor(finalShape, type);
  writeElements(t, data, 'tensor');
  return t;
}

export function scalar(value: number): Tensor {
  if (typeof value !== 'number') throw new InvalidArgumentError(`scalar: expected a number, got ${typeof value}.`);
  return tensor(value, []);
}

const SMALL_FILL = 1024;

export function fill(shape: Shape, value: number): Tensor {
  checkShape(shape, 'fill');
  if (typeof value !== 'number') throw new InvalidArgumentError(`fill: value must be a number, got ${typeof value}.`);
  if (sizeOf(shape) > SMALL_FILL) checkBindable('fill', sizeOf(shape));
  const t = emptyTensor(shape);
  // Small constants are uploaded in the command stream (a copy) rather than filled (a dispatch).
  if (t.size <= SMALL_FILL) writeElements(t, new Float32Array(t.size).fill(value), 'fill');
  else fillKernel.launch({ op: 'fill', uniforms: { n: t.size, value }, bindings: { out: t }, groups: fillKernel.threads(t.size) });
  return t;
}

export function zeros(shape: Shape): Tensor {
  return fill(shape, 0);
}

export function ones(shape: Shape): Tensor {
  return fill(shape, 1);
}

/** A seed for calls that give none: fresh per call, like TensorFlow.js. */
function freshSeed(): number {
  return Math.floor(Math.random() * 2 ** 52);
}

/** MurmurHash3's 32-bit finalizer: a bijection on 32-bit words that mixes every bit. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The two 32-bit words the kernels are seeded with. Any finite number is a seed with a stream of
 * its own, as in TensorFlow.js (which seeds its generator with the seed's decimal string, so 5 and
 * −5, or 1.2 and 1.7, differ there too; Keras wants integers, but TensorFlow.js files and code
 * carry other numbers). The words of the three kinds of seed never meet: an integer n in [0, 2⁵³)
 * gives n's own two words (the high one below 2²¹); a negative integer −n gives n's with bit 31
 * set; any other number gives a hash of its float64 bits with bit 30 set and bit 31 clear.
 */
function seedWords(seed: number): [number, number] {
  if (Number.isSafeInteger(seed)) {
    const n = Math.abs(seed);
    return [n % 2 ** 32, (Math.floor(n / 2 ** 32) | (seed < 0 ? 0x80000000 : 0)) >>> 0];
  }
  const [lo, hi] = new Uint32Array(Float64Array.of(seed).buffer);
  return [fmix32(lo ^ fmix32(hi)), ((fmix32(hi ^ fmix32(lo)) & 0x3fffffff) | 0x40000000) >>> 0];
}

/**
 * `seed` fixes the stream; without one each call draws a fresh seed, and so does each replay of a
 * compiled step (src/tensor/compile_step.ts), unless `nextSeed` says what each call's seed is.
 */
function random(op: string, shape: Shape, dist: 0 | 1 | 2, lo: number, hi: number, seed: number | undefined, nextSeed?: () => number | undefined): Tensor {
  checkShape(shape, op);
  for (const [name, v] of [['first parameter', lo], ['second parameter', hi]] as const) {
    if (!Number.isFinite(v)) throw new InvalidArgumentError(`${op}: ${name} must be finite, got ${v}.`);
  }
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isFinite(seed))) {
    throw new InvalidArgumentError(`${op}: seed must be a finite number, got ${show(seed)}.`);
  }
  const [seedLo, seedHi] = seedWords(seed ?? freshSeed());
  checkBindable(op, sizeOf(shape));
  const t = emptyTensor(shape);
  randomKernel.launch({
    op,
    constants: { DIST: dist },
    uniforms: { n: t.size, seed_lo: seedLo, seed_hi: seedHi, lo, hi },
    bindings: { out: t },
    groups: randomKernel.threads(t.size),
    refresh: nextSeed
      ? () => seedUniforms(nextSeed() ?? freshSeed())
      : seed === undefined
        ? () => seedUniforms(freshSeed())
        : undefined,
  });
  return t;
}

function seedUniforms(seed: number): { seed_lo: number; seed_hi: number } {
  const [seed_lo, seed_hi] = seedWords(seed);
  return { seed_lo, seed_hi };
}

/**
 * Uniform values in [0, 1) for a layer that draws anew on every call (dropout's masks): `nextSeed`
 * gives each draw's seed (undefined: a fresh one), and is called again on every replay of a
 * compiled step, so replays draw what calls would.
 */
export function uniformNoise(shape: Shape, nextSeed: () => number | undefined): Tensor {
  return random('randomUniform', shape, 0, 0, 1, nextSeed(), nextSeed);
}

export function randomUniform(shape: Shape, opts: { minval?: number; maxval?: number; seed?: number } = {}): Tensor {
  const { minval = 0, maxval = 1, seed } = opts ?? {};
  if (maxval < minval) throw new InvalidArgumentError(`randomUniform: maxval (${maxval}) is below minval (${minval}).`);
  return random('randomUniform', shape, 0, minval, maxval, seed);
}

export function randomNormal(shape: Shape, opts: { mean?: number; stddev?: number; seed?: number } = {}): Tensor {
  const { mean = 0, stddev = 1, seed } = opts ?? {};
  if (stddev < 0) throw new InvalidArgumentError(`randomNormal: stddev must be ≥ 0, got ${stddev}.`);
  return random('randomNormal', shape, 1, mean, stddev, seed);
}

/** Normal values redrawn until within two standard deviations of the mean (Keras's truncated normal). */
export function truncatedNormal(shape: Shape, opts: { mean?: number; stddev?: number; seed?: number } = {}): Tensor {
  const { mean = 0, stddev = 1, seed } = opts ?? {};
  if (stddev < 0) throw new InvalidArgumentError(`truncatedNormal: stddev must be ≥ 0, got ${stddev}.`);
  return random('truncatedNormal', shape, 2, mean, stddev, seed);
}

/**
 * The values of `tensors` end to end in one new 1-D tensor, by buffer copies (no dispatch): one
 * readback or one reduction then covers them all.
 */
export function concatFlat(tensors: readonly Tensor[], op: string): Tensor {
  const out = emptyTensor([tensors.reduce((n, t) => n + t.size, 0)]);
  let offset = 0;
  for (const t of tensors) {
    copyElements(t, 0, out, offset, t.size, op);
    offset += t.size;
  }
  return out;
}
