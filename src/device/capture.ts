import type { BufferPool } from './pool';
import type { Storage } from './storage';

/**
 * The commands of one step, recorded while it runs the ordinary way, to be encoded again without
 * running the code that made them (src/tensor/compile_step.ts decides when that is sound).
 *
 * A dispatch is kept with its pipeline, its storage buffers and a copy of its uniforms; copies and
 * uploads with their buffers and data. At `finish` the uniforms move into a buffer of the step's
 * own, each dispatch gets a bind group on it, and a replay is then: the per-step host functions in
 * recorded order (an optimizer's iteration count, a seed counter; each may rewrite the uniforms of
 * the dispatch it belongs to), one upload of the uniforms in stream order, and the commands.
 *
 * While recording, the pool reports the buffers handed out (`acquired`) and keeps back the ones
 * made before the step and released during it (`held`), so that no later command of the step
 * reuses a buffer whose old contents an earlier command read.
 */

function sameWords(a: Uint32Array, b: Uint32Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

const enum Kind {
  Dispatch,
  Copy,
  Upload,
}

interface Dispatch {
  kind: Kind.Dispatch;
  pipeline: GPUComputePipeline;
  buffers: GPUBuffer[];
  /** Byte offset and size of its uniforms in the step's uniform data. */
  offset: number;
  bytes: number;
  x: number;
  y: number;
  z: number;
  group: GPUBindGroup | null;
}

interface Copy {
  kind: Kind.Copy;
  src: GPUBuffer;
  srcOffset: number;
  dst: GPUBuffer;
  dstOffset: number;
  bytes: number;
}

interface Upload {
  kind: Kind.Upload;
  dst: GPUBuffer;
  data: Uint8Array;
}

type Command = Dispatch | Copy | Upload;

/** What a replay encodes through: the command stream's three kinds of command. */
export interface Encoder {
  dispatch(pipeline: GPUComputePipeline, group: GPUBindGroup, x: number, y: number, z: number): void;
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void;
  upload(dst: GPUBuffer, data: ArrayBufferView): void;
}

/** Uniform data starts this large and doubles as needed. */
const INITIAL_UNIFORM_BYTES = 1 << 12;

export class Recording {
  private readonly commands: Command[] = [];
  private data = new Uint8Array(INITIAL_UNIFORM_BYTES);
  /** The uniform data as 32-bit words, for the functions that rewrite uniforms per step. */
  u32 = new Uint32Array(this.data.buffer);
  i32 = new Int32Array(this.data.buffer);
  f32 = new Float32Array(this.data.buffer);
  private used = 0;
  private uniforms: GPUBuffer | null = null;
  /** The words of the step's uniform data, a view made once by `finish`. */
  private words: Uint32Array | null = null;
  /** The uniform words the step's uniform buffer holds (null until the first replay). */
  private uploaded: Uint32Array | null = null;
  /** Host functions run at the start of every replay, in the order the step met them. */
  private readonly perStep: Array<() => void> = [];
  /** Buffers the pool handed out while recording. */
  readonly acquired = new Set<GPUBuffer>();
  /** Buffers made during the step and released by its end: the step's own from `settle` on. */
  private readonly claimed: GPUBuffer[] = [];
  /** Buffers made before the step and released during it, kept out of the pool until `end`. */
  readonly held = new Set<GPUBuffer>();
  /** Storages bound or copied, with the tensors (or raw storages) that named them. */
  readonly bound = new Map<GPUBuffer, { storage: Storage; holders: unknown[] }>();
  /** Buffers that live as long as the device (placeholders for unused bindings). */
  readonly permanent = new Set<GPUBuffer>();
  /** Variables that took a new buffer during the step, with the storage each held before. */
  readonly adopted = new Map<unknown, Storage>();
  /** Why the step cannot be replayed, once something made it so. */
  unreplayable: string | null = null;

  constructor(
    /** Uniform offsets align to this (the device's minUniformBufferOffsetAlignment). */
    private readonly align: number,
  ) {}

  /** Records a dispatch whose uniforms are `uniforms`; returns their word offset in `u32`/`i32`/`f32`. */
  dispatch(pipeline: GPUComputePipeline, buffers: GPUBuffer[], uniforms: Uint8Array, x: number, y: number, z: number): number {
    const offset = Math.ceil(this.used / this.align) * this.align;
    const bytes = uniforms.byteLength;
    this.grow(offset + bytes);
    this.data.set(uniforms, offset);
    this.used = offset + bytes;
    this.commands.push({ kind: Kind.Dispatch, pipeline, buffers, offset, bytes, x, y, z, group: null });
    return offset / 4;
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.commands.push({ kind: Kind.Copy, src, srcOffset, dst, dstOffset, bytes });
  }

  upload(dst: GPUBuffer, data: ArrayBufferView): void {
    this.commands.push({ kind: Kind.Upload, dst, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice() });
  }

  /** Runs `fn` at this point of every replay (before any command of the replay is encoded). */
  eachReplay(fn: () => void): void {
    this.perStep.push(fn);
  }

  /** Notes that `holder` (a tensor, or the storage itself) named `storage` in a command. */
  bind(storage: Storage, holder: unknown): void {
    let entry = this.bound.get(storage.buffer);
    if (!entry) this.bound.set(storage.buffer, (entry = { storage, holders: [] }));
    if (!entry.holders.includes(holder)) entry.holders.push(holder);
  }

  /** Every buffer a command reads or writes. */
  buffers(): Set<GPUBuffer> {
    const out = new Set<GPUBuffer>();
    for (const c of this.commands) {
      if (c.kind === Kind.Dispatch) for (const b of c.buffers) out.add(b);
      else if (c.kind === Kind.Copy) out.add(c.src).add(c.dst);
      else out.add(c.dst);
    }
    return out;
  }

  private grow(bytes: number): void {
    if (bytes <= this.data.byteLength) return;
    let size = this.data.byteLength;
    while (size < bytes) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.data);
    this.data = next;
    this.u32 = new Uint32Array(next.buffer);
    this.i32 = new Int32Array(next.buffer);
    this.f32 = new Float32Array(next.buffer);
  }

  /** Makes the step's uniform buffer and a bind group per dispatch: the recording can now replay. */
  finish(device: GPUDevice, pool: BufferPool): void {
    const uniforms = (this.uniforms = pool.acquireUniform(this.used));
    this.words = new Uint32Array(this.data.buffer, 0, Math.ceil(this.used / 4));
    for (const c of this.commands) {
      if (c.kind !== Kind.Dispatch) continue;
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniforms, offset: c.offset, size: c.bytes } }];
      for (let i = 0; i < c.buffers.length; i++) entries.push({ binding: i + 1, resource: { buffer: c.buffers[i] } });
      c.group = device.createBindGroup({ layout: c.pipeline.getBindGroupLayout(0), entries });
    }
  }

  /** Encodes the step again: its per-step functions, its uniforms, then its commands in order. */
  replay(to: Encoder): void {
    const perStep = this.perStep;
    for (let i = 0; i < perStep.length; i++) perStep[i]();
    // The uniform buffer keeps what the last replay uploaded: a step whose uniforms did not
    // change (no per-step values, or the same ones) uploads nothing.
    const words = this.words!;
    if (!this.uploaded || !sameWords(words, this.uploaded, words.length)) {
      to.upload(this.uniforms!, words);
      (this.uploaded ??= new Uint32Array(words.length)).set(words);
    }
    const commands = this.commands;
    for (let i = 0; i < commands.length; i++) {
      const c = commands[i];
      if (c.kind === Kind.Dispatch) to.dispatch(c.pipeline, c.group!, c.x, c.y, c.z);
      else if (c.kind === Kind.Copy) to.copy(c.src, c.srcOffset, c.dst, c.dstOffset, c.bytes);
      else to.upload(c.dst, c.data);
    }
  }

  /**
   * Sorts the buffers the commands use, once the step has run: those made during the step and
   * released by its end become the step's own (claimed from the pool), those of `outputs` are
   * kept by the caller, and the rest must be buffers from before the step that are still held
   * (`external`). Returns why the step cannot replay, or null; on failure nothing stays claimed.
   */
  settle(pool: BufferPool, outputs: readonly Storage[]): string | null {
    const kept = new Set(outputs.map((s) => s.buffer));
    let reason: string | null = null;
    for (const b of this.buffers()) {
      if (this.acquired.has(b)) {
        if (kept.has(b)) continue;
        if (pool.claim(b)) this.claimed.push(b);
        else reason ??= 'a tensor made during the step outlives it (new state, such as optimizer slots made on a first use)';
      } else if (this.held.has(b)) reason ??= 'a buffer from before the step was released during it';
      else if (!this.bound.has(b) && !this.permanent.has(b)) reason ??= 'a command used a buffer that no tensor names';
    }
    if (reason) this.release(pool);
    return reason;
  }

  /** The storages from before the step that its commands use, with the tensors that named them. */
  external(): Array<{ storage: Storage; holders: unknown[] }> {
    return [...this.bound.values()].filter(({ storage }) => !this.acquired.has(storage.buffer));
  }

  /** Gives back what the step owns: its buffers to the pool, its uniform buffer to be destroyed. */
  release(pool: BufferPool): void {
    for (const b of this.claimed) pool.unclaim(b);
    this.claimed.length = 0;
    if (this.uniforms) pool.releaseUniform(this.uniforms);
    this.uniforms = null;
  }
}
