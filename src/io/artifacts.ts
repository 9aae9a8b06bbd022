// The TensorFlow.js layers-model format: the artifacts a model saves to (topology, weight specs,
// one binary blob of weights), the model.json that file and HTTP storage use, and the weights'
// binary encoding. Everything read here is checked before any of it reaches the GPU.
import { ModelFormatError, show } from '../errors';
import type { Layer } from '../layers/layer';
import { concatFlat, tensor } from '../tensor/create';
import { fmt, sameShape, sizeOf } from '../tensor/shape';
import { tidy } from '../tensor/tensor';
import type { Variable } from '../tensor/variable';

/** Weights stored at reduced precision (by `tensorflowjs_converter --quantize_*`): value = q·scale + min. */
export interface Quantization {
  dtype: 'uint8' | 'uint16' | 'float16';
  scale?: number;
  min?: number;
}

/** One weight in the blob, in order: TensorFlow.js's `WeightsManifestEntry`. */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  /** 'optimizer' marks optimizer state, which loading skips. */
  group?: string;
  quantization?: Quantization;
}

/** TensorFlow.js's `ModelArtifacts`, as `model.save()` gives them and `loadModel` takes them. */
export interface ModelArtifacts {
  /** Keras's model JSON: { class_name, config, keras_version, backend }. */
  modelTopology?: object;
  weightSpecs?: WeightSpec[];
  /** The weights end to end, little-endian float32 (unless quantized); TensorFlow.js may split it in shards. */
  weightData?: ArrayBuffer | ArrayBuffer[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  trainingConfig?: object;
  userDefinedMetadata?: object;
}

/** model.json: the artifacts without the blob, which lies in the files that `paths` name. */
export interface ModelJSON {
  modelTopology: object;
  weightsManifest: Array<{ paths: string[]; weights: WeightSpec[] }>;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  [key: string]: unknown;
}

export function formatError(where: string, message: string): ModelFormatError {
  return new ModelFormatError(`${where}: ${message}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The model.json that goes with `artifacts` when the blob is stored in the files `paths`. */
export function modelJSONOf(artifacts: ModelArtifacts, paths: string[]): ModelJSON {
  const json: ModelJSON = {
    modelTopology: artifacts.modelTopology ?? {},
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths, weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig) json.trainingConfig = artifacts.trainingConfig;
  if (artifacts.userDefinedMetadata) json.userDefinedMetadata = artifacts.userDefinedMetadata;
  return json;
}

/**
 * The artifacts of a parsed model.json, reading the weight files of every manifest group in order
 * (`read` resolves a path relative to the model.json).
 */
export async function artifactsOfModelJSON(json: unknown, where: string, read: (path: string) => Promise<ArrayBuffer>): Promise<ModelArtifacts> {
  if (!isObject(json)) throw formatError(where, 'model.json must hold a JSON object.');
  if (!isObject(json.modelTopology)) throw formatError(where, 'model.json has no modelTopology object.');
  const manifest = json.weightsManifest ?? [];
  if (!Array.isArray(manifest)) throw formatError(where, 'weightsManifest must be an array of { paths, weights }.');
  const specs: WeightSpec[] = [];
  const paths: string[] = [];
  manifest.forEach((group: unknown, i) => {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw formatError(where, `weightsManifest[${i}] must be { paths: string[], weights: [...] }.`);
    }
    group.paths.forEach((p: unknown, j) => {
      if (typeof p !== 'string' || p === '') throw formatError(where, `weightsManifest[${i}].paths[${j}] must be a file name.`);
      if (!insideFolder(p)) {
        throw formatError(where, `weightsManifest[${i}].paths[${j}] ${show(p)} leaves the model's folder; weight files must be named relative to model.json, without '..'.`);
      }
      paths.push(p);
    });
    specs.push(...(group.weights as WeightSpec[]));
  });
  const shards = await Promise.all(paths.map(read));
  const { modelTopology, weightsManifest: _, ...rest } = json;
  return { ...rest, modelTopology, weightSpecs: specs, weightData: joinBuffers(shards) } as ModelArtifacts;
}

/**
 * Whether a weight path from model.json stays in the model's folder: relative (no scheme, host,
 * drive or leading slash) and without a '..' segment (also percent-encoded, as URLs decode it).
 * A model file must not make the loader read other files (file://) or other sites (http).
 */
function insideFolder(path: string): boolean {
  if (/^[a-z][a-z\d+.-]*:/i.test(path) || /^[/\\]/.test(path) || path.includes('\0')) return false;
  return path.split(/[/\\]/).every((segment) => segment.replace(/%2e/gi, '.') !== '..');
}

/** One contiguous buffer from TensorFlow.js's `WeightData` (a buffer, shards, or a typed-array view). */
export function joinBuffers(data: ArrayBuffer | ArrayBufferView | ReadonlyArray<ArrayBuffer | ArrayBufferView>): ArrayBuffer {
  const parts = (Array.isArray(data) ? data : [data]) as Array<ArrayBuffer | ArrayBufferView>;
  const bytes = parts.map((p) => (p instanceof ArrayBuffer ? new Uint8Array(p) : new Uint8Array(p.buffer, p.byteOffset, p.byteLength)));
  if (bytes.length === 1 && data instanceof ArrayBuffer) return data;
  const out = new Uint8Array(bytes.reduce((n, b) => n + b.byteLength, 0));
  let offset = 0;
  for (const b of bytes) {
    out.set(b, offset);
    offset += b.byteLength;
  }
  return out.buffer;
}

function isBuffer(v: unknown): v is ArrayBuffer | ArrayBufferView {
  return v instanceof ArrayBuffer || ArrayBuffer.isView(v);
}

/** A weight read from the blob. */
export interface DecodedWeight {
  name: string;
  shape: number[];
  values: Float32Array;
  group: string | undefined;
}

const quantizedBytes = { uint8: 1, uint16: 2, float16: 2 } as const;

/** IEEE 754 half precision to a number. */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * Checks the specs against the blob and decodes every weight to float32: the specs must be
 * well formed, their names distinct, and their sizes must add up to the blob's length exactly.
 */
export function decodeWeights(artifacts: ModelArtifacts, where: string): DecodedWeight[] {
  const specs: unknown = artifacts.weightSpecs ?? [];
  const raw: unknown = artifacts.weightData ?? new ArrayBuffer(0);
  if (!Array.isArray(specs)) throw formatError(where, 'weightSpecs must be an array.');
  if (!(isBuffer(raw) || (Array.isArray(raw) && raw.every(isBuffer)))) {
    throw formatError(where, 'weightData must be an ArrayBuffer (or an array of them).');
  }
  const data = new DataView(joinBuffers(raw));
  const names = new Set<string>();
  const out: DecodedWeight[] = [];
  let offset = 0;
  specs.forEach((spec: unknown, i) => {
    const at = `weightSpecs[${i}]`;
    if (!isObject(spec) || typeof spec.name !== 'string' || spec.name === '') throw formatError(where, `${at} must be { name, shape, dtype }.`);
    const label = `${at} ('${spec.name}')`;
    const shape = spec.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw formatError(where, `${label}: shape must be an array of non-negative integers, got ${show(shape)}.`);
    }
    if (spec.dtype !== 'float32') throw formatError(where, `${label}: dtype ${show(spec.dtype)} is not supported; webgrad's weights are float32.`);
    if (names.has(spec.name)) throw formatError(where, `${label}: a second weight with this name.`);
    names.add(spec.name);
    const q = spec.quantization;
    if (q !== undefined && !(isObject(q) && Object.hasOwn(quantizedBytes, q.dtype as string))) {
      throw formatError(where, `${label}: quantization must be { dtype: 'uint8' | 'uint16' | 'float16', scale?, min? }.`);
    }
    const qdtype = q?.dtype as Quantization['dtype'] | undefined;
    const scale = q?.scale as number;
    const min = q?.min as number;
    if ((qdtype === 'uint8' || qdtype === 'uint16') && !(Number.isFinite(scale) && Number.isFinite(min))) {
      throw formatError(where, `${label}: ${qdtype} quantization needs finite scale and min.`);
    }
    const n = sizeOf(shape);
    const bytes = n * (qdtype ? quantizedBytes[qdtype] : 4);
    if (offset + bytes > data.byteLength) {
      throw formatError(where, `weightData is truncated: it holds ${data.byteLength} bytes, but ${label} ${fmt(shape)} needs bytes ${offset}..${offset + bytes}.`);
    }
    const values = new Float32Array(n);
    // Unquantized and aligned: a plain copy (WebGPU hosts are little-endian, as the format is).
    if (!qdtype && (data.byteOffset + offset) % 4 === 0) {
      values.set(new Float32Array(data.buffer, data.byteOffset + offset, n));
    } else {
      for (let k = 0; k < n; k++) {
        if (qdtype === 'uint8') values[k] = data.getUint8(offset + k) * scale + min;
        else if (qdtype === 'uint16') values[k] = data.getUint16(offset + 2 * k, true) * scale + min;
        else if (qdtype === 'float16') values[k] = halfToNumber(data.getUint16(offset + 2 * k, true));
        else values[k] = data.getFloat32(offset + 4 * k, true);
      }
    }
    offset += bytes;
    out.push({ name: spec.name, shape: [...shape], values, group: typeof spec.group === 'string' ? spec.group : undefined });
  });
  if (offset !== data.byteLength) {
    throw formatError(where, `weightData holds ${data.byteLength} bytes, but the weight specs describe ${offset}.`);
  }
  return out;
}

/**
 * Warns, once and naming them, when decoded weights hold NaN or ±Infinity: they load as they are
 * (a model may be saved mid-divergence to be inspected), but predictions and training from them
 * will not be finite.
 */
export function warnNonFinite(weights: readonly DecodedWeight[], where: string): void {
  const found: string[] = [];
  for (const w of weights) {
    if (w.group === 'optimizer') continue;
    let count = 0;
    for (const v of w.values) if (!Number.isFinite(v)) count++;
    if (count > 0) found.push(`'${w.name}' (${count} of ${w.values.length} values)`);
  }
  if (found.length > 0) console.warn(`${where}: weights ${found.join(', ')} hold NaN or Infinity; they are loaded as they are.`);
}

/**
 * The specs and blob of `weights`: copied end to end into one GPU buffer, then read back at once
 * (one readback however many weights, and every value from the same moment of training).
 */
export async function encodeWeights(weights: readonly Variable[]): Promise<{ specs: WeightSpec[]; data: ArrayBuffer }> {
  const specs = weights.map((w) => ({ name: w.name, shape: [...w.shape], dtype: 'float32' }));
  const total = weights.reduce((n, w) => n + w.size, 0);
  if (total === 0) return { specs, data: new ArrayBuffer(0) };
  for (const w of weights) w.assertUsable('save');
  const packed = concatFlat(weights, 'save');
  try {
    const values = await packed.data();
    return { specs, data: values.buffer as ArrayBuffer };
  } finally {
    packed.dispose();
  }
}

/** 'dense/kernel:0' (TensorFlow's variable names) → 'dense/kernel'. */
const withoutIndex = (name: string): string => name.replace(/:\d+$/, '');

/** The saved weights that may be the model's weight `name`: the same name, else names ending in '/' + name. */
export function candidatesFor(saved: readonly DecodedWeight[], name: string): DecodedWeight[] {
  const exact = saved.filter((w) => withoutIndex(w.name) === name);
  return exact.length ? exact : saved.filter((w) => withoutIndex(w.name).endsWith(`/${name}`));
}

/**
 * The saved weight for each of `model.weights`: the one of the same name, else the one whose name
 * ends in '/' + that name (a converter may prefix the model's name). With `byOrder`, when names
 * do not all match but count and shapes do, the saved weights are taken in order (the weights of
 * a subclassed model are named by a process-wide counter, so names differ between runs).
 */
function matchWeights(targets: Variable[], saved: DecodedWeight[], where: string, byOrder: boolean): DecodedWeight[] {
  const pool = saved.filter((w) => w.group !== 'optimizer');
  const sameShapes = () => pool.length === targets.length && targets.every((t, i) => sameShape(t.shape, pool[i].shape));
  const picked: Array<DecodedWeight | undefined> = targets.map((t) => {
    const candidates = candidatesFor(pool, t.name);
    if (candidates.length > 1) throw formatError(where, `weight '${t.name}' matches several saved weights: ${candidates.map((w) => `'${w.name}'`).join(', ')}.`);
    return candidates[0];
  });
  if (byOrder && picked.some((w) => !w) && sameShapes()) return pool;
  targets.forEach((t, i) => {
    const w = picked[i];
    if (!w) throw formatError(where, `the saved weights lack '${t.name}' ${fmt(t.shape)}; they hold ${pool.map((s) => `'${s.name}'`).join(', ') || 'none'}.`);
    if (!sameShape(w.shape, t.shape)) throw formatError(where, `saved weight '${w.name}' has shape ${fmt(w.shape)}, but the model's '${t.name}' has shape ${fmt(t.shape)}.`);
  });
  if (targets.length === 0 && pool.length > 0) {
    throw formatError(where, `the model has no weights yet, the artifacts hold ${pool.length}: build the model (or apply it once) first.`);
  }
  const used = new Set(picked);
  const unused = pool.filter((w) => !used.has(w));
  if (unused.length) throw formatError(where, `saved weights ${unused.map((w) => `'${w.name}' ${fmt(w.shape)}`).join(', ')} belong to no weight of the model.`);
  return picked as DecodedWeight[];
}

/** Sets every weight of `model` from `saved`, after checking that all of them match (all or nothing). */
export function assignWeights(model: Layer, saved: DecodedWeight[], where: string, opts: { byOrder: boolean }): void {
  const targets = model.weights;
  const values = matchWeights(targets, saved, where, opts.byOrder);
  tidy(() => model.setWeights(values.map((w) => tensor(w.values, w.shape))));
}
