import { acquireBuffer, releaseBuffer } from '../device/pool';
import { deviceGeneration, isLiveGeneration, current } from '../device/gpu';
import { readBuffer } from '../device/kernels';
import { DeviceLostError, DisposedTensorError, InvalidArgumentError } from '../errors';
import { fmt, type Shape, sizeOf } from './shape';

/**
 * A GPU buffer shared by every tensor that views it (a reshape is a new view, not a copy; the
 * tape keeps views of the values it saved for the backward pass). Freed to the pool when the
 * last view lets go.
 */
export class Storage {
  refs = 1;
  readonly generation = deviceGeneration();
  readonly buffer: GPUBuffer;
  constructor(readonly size: number) {
    this.buffer = acquireBuffer(size * 4);
  }
  retain(): this {
    this.refs++;
    return this;
  }
  release(): void {
    if (--this.refs === 0 && isLiveGeneration(this.generation)) releaseBuffer(this.buffer);
  }
}

let nextId = 0;
let liveTensors = 0;

type Scope = Set<Tensor>;
const scopes: Scope[] = [];

export type NestedArray = number | NestedArray[];

export class Tensor {
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly size: number;
  readonly dtype = 'float32' as const;
  private disposed = false;
  /** Exempt from `tidy` (set by `keep`, and for variables). */
  kept = false;

  constructor(shape: Shape, protected currentStorage: Storage, track = true) {
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
    liveTensors++;
    if (track) scopes[scopes.length - 1]?.add(this);
  }

  get storage(): Storage {
    return this.currentStorage;
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** The GPU buffer, after checking the tensor is alive and on the live device. */
  buffer(op: string): GPUBuffer {
    this.assertUsable(op);
    return this.storage.buffer;
  }

  assertUsable(op: string): void {
    if (this.disposed) throw new DisposedTensorError(`${op}: tensor ${fmt(this.shape)} (id ${this.id}) was disposed.`);
    if (!isLiveGeneration(this.storage.generation)) {
      current();
      throw new DeviceLostError(`${op}: tensor ${fmt(this.shape)} belongs to a GPU device that was lost or replaced; recreate it after init().`);
    }
  }

  async data(): Promise<Float32Array> {
    return readBuffer(this.buffer('data'), this.size * 4);
  }

  dataSync(): never {
    throw new InvalidArgumentError('dataSync: WebGPU cannot read synchronously; use await tensor.data().');
  }

  async array(): Promise<NestedArray> {
    const flat = await this.data();
    return nest(flat, this.shape, 0, 0);
  }

  /** A new tensor viewing the same buffer with another shape of the same size (no GPU work). */
  view(shape: Shape): Tensor {
    this.assertUsable('view');
    return new Tensor(shape, this.storage.retain());
  }

  /** A view that no `tidy` tracks: for holders with their own lifetime (the tape). */
  alias(): Tensor {
    this.assertUsable('alias');
    return new Tensor(this.shape, this.storage.retain(), false);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    liveTensors--;
    this.storage.release();
    scopes[scopes.length - 1]?.delete(this);
  }

  toString(): string {
    return `Tensor(shape=${fmt(this.shape)})`;
  }
}

function nest(flat: Float32Array, shape: Shape, dim: number, offset: number): NestedArray {
  if (shape.length === 0) return flat[0];
  const n = shape[dim];
  const stride = sizeOf(shape.slice(dim + 1));
  const out: NestedArray[] = [];
  for (let i = 0; i < n; i++) {
    out.push(dim === shape.length - 1 ? flat[offset + i] : nest(flat, shape, dim + 1, offset + i * stride));
  }
  return out;
}

export function liveTensorCount(): number {
  return liveTensors;
}

/** Allocates an uninitialised tensor; ops fill it on the GPU. */
export function emptyTensor(shape: Shape): Tensor {
  return new Tensor(shape, new Storage(sizeOf(shape)));
}

/**
 * Runs `fn` and disposes every tensor created inside except those reachable from what it returns
 * (see `reachableTensors`) and those passed to `keep`. Returned tensors move to the outer scope.
 */
export function tidy<T>(fn: () => T): T {
  const result = scoped(fn, (intermediates) => {
    for (const t of intermediates) t.dispose();
  });
  if (isThenable(result)) {
    // Its tensors are gone already; a later rejection has nobody left to report to.
    result.then(undefined, () => undefined);
    throw new InvalidArgumentError('tidy: the function must be synchronous; it returned a Promise.');
  }
  return result;
}

/**
 * Runs `fn` in a scope of its own. The tensors it creates that are still alive when it returns,
 * neither kept nor reachable from its result, go to `adopt` (whose owner then frees them); what
 * is left alive moves to the enclosing scope. If `fn` throws, everything it created that is not
 * kept is disposed, as by `tidy`.
 */
export function scoped<T>(fn: () => T, adopt: (intermediates: Tensor[]) => void): T {
  const scope: Scope = new Set();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) if (!t.kept) t.dispose();
    throw e;
  }
  scopes.pop();
  const survivors = reachableTensors(result);
  const intermediates: Tensor[] = [];
  for (const t of scope) if (!t.kept && !survivors.has(t)) intermediates.push(t);
  adopt(intermediates);
  const outer = scopes[scopes.length - 1];
  if (outer) for (const t of scope) if (!t.isDisposed && !t.kept) outer.add(t);
  return result;
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';

/**
 * Every tensor reachable from `value` through arrays, Maps (keys and values), Sets and the
 * enumerable properties of any other object (class instances too, as TensorFlow.js walks them),
 * at any depth; each object is visited once, so cycles end.
 */
function reachableTensors(value: unknown): Set<Tensor> {
  const found = new Set<Tensor>();
  const seen = new Set<object>();
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    if (v instanceof Tensor) found.add(v);
    else if (v instanceof Map) for (const [key, item] of v) pending.push(key, item);
    else if (Array.isArray(v) || v instanceof Set) for (const item of v) pending.push(item);
    else if (!ArrayBuffer.isView(v)) for (const key in v) pending.push((v as Record<string, unknown>)[key]);
  }
  return found;
}

/** Exempts `t` from every enclosing `tidy`. */
export function keep<T extends Tensor>(t: T): T {
  t.kept = true;
  return t;
}
