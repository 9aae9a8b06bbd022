import { DeviceLostError, ShaderCompileError, WebgradError } from '../errors';
import { current, inNode, onDeviceReset } from './gpu';
import { shaderSources } from './shaders';

/**
 * The command stream. Ops encode dispatches into one shared compute pass; the batch is submitted
 * once, at the end of the current JavaScript task (a microtask), before a readback, or when it
 * grows large. A training step written as plain synchronous code is therefore one submit.
 *
 * Uniform parameters and small uploads are staged in a CPU-side arena and written to one GPU
 * arena buffer with a single `writeBuffer` just before the batch is submitted. Queue order makes
 * that safe: the write lands after the previous batch (which read the old arena) has run.
 */

/** The highest rank the strided kernels (binary, permute) index: their uniforms hold 8 dimensions. */
export const MAX_RANK = 8;

/** Uniform parameters, packed as 4-byte fields in declaration order (mind WGSL struct alignment). */
export class Params {
  readonly words: number[] = [];
  private static readonly view = new DataView(new ArrayBuffer(4));
  u32(...values: number[]): this {
    for (const v of values) this.words.push(v >>> 0);
    return this;
  }
  i32(...values: number[]): this {
    for (const v of values) this.words.push(v | 0);
    return this;
  }
  /** A shape or strides as `array<vec4u, 2>`: up to MAX_RANK u32s, zero-padded. */
  dims(values: readonly number[]): this {
    return this.u32(...values, ...new Array<number>(MAX_RANK - values.length).fill(0));
  }
  f32(...values: number[]): this {
    for (const v of values) {
      Params.view.setFloat32(0, v, true);
      this.words.push(Params.view.getUint32(0, true));
    }
    return this;
  }
}

export interface KernelSpec {
  /** File name under shaders/, without `.wgsl`. */
  shader: string;
  /** Entry point; `main` when absent. */
  entry?: string;
  /** WGSL `override` constants that specialise the pipeline. */
  constants?: Record<string, number>;
}

export interface AdapterProfile {
  isSwiftShader: boolean;
  limits: Record<string, number>;
  features: ReadonlySet<string>;
}

const ARENA_BYTES = 1 << 22;
const UPLOAD_IN_ARENA_MAX = 1 << 16;
const MAX_DISPATCHES_PER_SUBMIT = 2048;

interface Batch {
  encoder: GPUCommandEncoder;
  pass: GPUComputePassEncoder | null;
  arenaUsed: number;
  dispatches: number;
}

let batch: Batch | null = null;
let flushScheduled = false;
let arenaGpu: GPUBuffer | null = null;
const arenaCpu = new Uint8Array(ARENA_BYTES);
let uniformAlign = 256;
let dispatchCount = 0;
const modules = new Map<string, GPUShaderModule>();
const pipelines = new Map<string, GPUComputePipeline>();
const stagingPool = new Map<number, GPUBuffer[]>();
const gpuErrors: string[] = [];
let watchedDevice: GPUDevice | null = null;

let adapter: AdapterProfile | null = null;
/** Bind groups by pipeline, arena slice and buffers (see bindGroupFor). */
const bindGroups = new Map<string, GPUBindGroup>();
const MAX_BIND_GROUPS = 8192;
const bufferIds = new WeakMap<GPUBuffer, number>();
let nextBufferId = 0;

/** Placeholder buffers by binding slot (see placeholderBuffer). */
const placeholders = new Map<number, GPUBuffer>();

onDeviceReset(() => {
  placeholders.clear();
  batch = null;
  arenaGpu = null;
  modules.clear();
  pipelines.clear();
  bindGroups.clear();
  stagingPool.clear();
  gpuErrors.length = 0;
  watchedDevice = null;
  adapter = null;
  dispatchCount = 0;
});

function device(): GPUDevice {
  const d = current().device;
  if (watchedDevice !== d) {
    watchedDevice = d;
    uniformAlign = d.limits.minUniformBufferOffsetAlignment;
    d.addEventListener('uncapturederror', (e) => {
      gpuErrors.push((e as GPUUncapturedErrorEvent).error.message);
    });
  }
  return d;
}

/** What kernel selection needs to know of the adapter; built once per device (matmul asks every call). */
export function adapterProfile(): AdapterProfile {
  const info = current().info;
  adapter ??= { isSwiftShader: info.isSwiftShader, limits: info.limits, features: new Set(info.features) };
  return adapter;
}

export function dispatchesSinceInit(): number {
  return dispatchCount;
}


function openBatch(): Batch {
  const d = device();
  if (!batch) {
    batch = { encoder: d.createCommandEncoder(), pass: null, arenaUsed: 0, dispatches: 0 };
    if (!arenaGpu) {
      arenaGpu = d.createBuffer({
        size: ARENA_BYTES,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
    }
    if (!flushScheduled) {
      flushScheduled = true;
      queueMicrotask(() => {
        flushScheduled = false;
        flush();
      });
    }
  }
  return batch;
}

/** Reserves `bytes` of the staging arena, flushing first if the batch's arena is full. */
function reserveArena(bytes: number, align: number): { batch: Batch; offset: number } {
  let b = openBatch();
  let offset = Math.ceil(b.arenaUsed / align) * align;
  if (offset + bytes > ARENA_BYTES) {
    flush();
    b = openBatch();
    offset = 0;
  }
  b.arenaUsed = offset + bytes;
  return { batch: b, offset };
}

function shaderModule(name: string): GPUShaderModule {
  let m = modules.get(name);
  if (!m) {
    const code = shaderSources[name];
    if (code === undefined) throw new WebgradError(`Unknown shader '${name}'.`);
    m = device().createShaderModule({ label: `shaders/${name}.wgsl`, code });
    modules.set(name, m);
  }
  return m;
}

function pipeline(spec: KernelSpec): GPUComputePipeline {
  const key = `${spec.shader}:${spec.entry ?? 'main'}${spec.constants ? JSON.stringify(spec.constants) : ''}`;
  let p = pipelines.get(key);
  if (!p) {
    p = device().createComputePipeline({
      label: key,
      layout: 'auto',
      compute: { module: shaderModule(spec.shader), entryPoint: spec.entry ?? 'main', constants: spec.constants },
    });
    pipelines.set(key, p);
  }
  return p;
}

function bufferId(b: GPUBuffer): number {
  let id = bufferIds.get(b);
  if (id === undefined) bufferIds.set(b, (id = nextBufferId++));
  return id;
}

/**
 * Bind groups, reused when a dispatch repeats one from an earlier batch: same pipeline, same
 * buffers, same place in the arena. A training step encodes the same sequence every time and the
 * pool hands back the same buffers, so from the second step on nearly every lookup hits and the
 * step creates no bind groups (each is a call into the GPU process in a browser).
 */
function bindGroupFor(pipe: GPUComputePipeline, offset: number, bytes: number, buffers: GPUBuffer[]): GPUBindGroup {
  let key = `${pipe.label}@${offset}:${bytes}`;
  for (const b of buffers) key += `,${bufferId(b)}`;
  let group = bindGroups.get(key);
  if (!group) {
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: arenaGpu!, offset, size: bytes } }];
    buffers.forEach((buffer, i) => entries.push({ binding: i + 1, resource: { buffer } }));
    group = device().createBindGroup({ layout: pipe.getBindGroupLayout(0), entries });
    if (bindGroups.size >= MAX_BIND_GROUPS) bindGroups.clear();
    bindGroups.set(key, group);
  }
  return group;
}

/**
 * Encodes one compute dispatch. Binding 0 is the uniform `Params`; bindings 1.. are `buffers`
 * in order. Shaders take their linear invocation index as `gid.x + gid.y * (num_workgroups.x * WG)`,
 * so callers use `grid()` for element counts beyond one dimension's workgroup limit.
 */
export function dispatch(spec: KernelSpec, params: Params, buffers: GPUBuffer[], workgroups: [number, number?, number?]): void {
  const pipe = pipeline(spec);
  const bytes = Math.max(16, Math.ceil((params.words.length * 4) / 16) * 16);
  const { batch: b, offset } = reserveArena(bytes, uniformAlign);
  new Uint32Array(arenaCpu.buffer, offset, params.words.length).set(params.words);
  const bindGroup = bindGroupFor(pipe, offset, bytes, buffers);
  if (profiler) {
    // Profiling: each dispatch in a pass of its own, bracketed by timestamps.
    endPass(b);
    b.pass = b.encoder.beginComputePass({ timestampWrites: profiler.slot(pipe.label) });
  }
  b.pass ??= b.encoder.beginComputePass();
  b.pass.setPipeline(pipe);
  b.pass.setBindGroup(0, bindGroup);
  const [x, y = 1, z = 1] = workgroups;
  if (x > 0 && y > 0 && z > 0) b.pass.dispatchWorkgroups(x, y, z);
  if (profiler) endPass(b);
  b.dispatches++;
  dispatchCount++;
  if (b.dispatches >= MAX_DISPATCHES_PER_SUBMIT) flush();
}

/**
 * A 16-byte storage buffer of its own for slot `index`, to fill a binding that a dispatch leaves
 * unused (a multi-tensor kernel with fewer tensors than slots). One per slot, because WebGPU
 * refuses one buffer bound twice in a dispatch where either binding is writable.
 */
export function placeholderBuffer(index: number): GPUBuffer {
  let b = placeholders.get(index);
  if (!b) {
    b = device().createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
    placeholders.set(index, b);
  }
  return b;
}

/** Splits `count` workgroups over x and y so neither exceeds the per-dimension limit. */
export function grid(elements: number, perWorkgroup: number): [number, number] {
  const groups = Math.max(1, Math.ceil(elements / perWorkgroup));
  const maxX = current().info.limits.maxComputeWorkgroupsPerDimension ?? 65535;
  if (groups <= maxX) return [groups, 1];
  const y = Math.ceil(groups / maxX);
  return [Math.ceil(groups / y), y];
}

/**
 * The workgroups of an elementwise kernel over n floats: the kernels read and write vec4s (pool
 * buffers are whole 16-byte units) and each workgroup of 64 lanes takes a block of 1024 vec4s, 16
 * per lane. On SwiftShader every workgroup has a fixed cost: relu over 200k floats took 4.5 ms
 * one float per invocation, 2.7 ms one vec4 per invocation and 1.9 ms in blocks (Node, 2 cores).
 * A GPU gets n / 4096 workgroups, plenty for any tensor worth a dispatch.
 */
export function elementwiseGrid(n: number): [number, number] {
  return grid(Math.ceil(n / 4), ELEMENTWISE_BLOCK);
}
/** vec4s per workgroup of an elementwise kernel (BLOCK in their WGSL). */
const ELEMENTWISE_BLOCK = 1024;

function endPass(b: Batch): GPUCommandEncoder {
  if (b.pass) {
    b.pass.end();
    b.pass = null;
  }
  return b.encoder;
}

/** Copies `bytes` from `src` to `dst` in stream order. */
export function encodeCopy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
  if (bytes === 0) return;
  endPass(openBatch()).copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
}

/** Writes `data` into `dst` in stream order (after everything encoded so far, before what follows). */
export function upload(dst: GPUBuffer, data: Float32Array): void {
  const bytes = data.byteLength;
  if (bytes === 0) return;
  if (bytes <= UPLOAD_IN_ARENA_MAX) {
    const { batch: b, offset } = reserveArena(bytes, 4);
    arenaCpu.set(new Uint8Array(data.buffer, data.byteOffset, bytes), offset);
    endPass(b).copyBufferToBuffer(arenaGpu!, offset, dst, 0, bytes);
    return;
  }
  // Large uploads go straight to the queue; flushing first keeps them after earlier work.
  flush();
  device().queue.writeBuffer(dst, 0, data.buffer, data.byteOffset, bytes);
}

/** Submits everything encoded so far. Never waits. */
export function flush(): void {
  const b = batch;
  if (!b) return;
  batch = null;
  const d = device();
  endPass(b);
  if (b.arenaUsed > 0) d.queue.writeBuffer(arenaGpu!, 0, arenaCpu.buffer, 0, Math.ceil(b.arenaUsed / 4) * 4);
  d.queue.submit([b.encoder.finish()]);
}

/** Prompts per wait, one a millisecond from 1 ms on (see promptCompletionChecks). */
const PROMPTS = 4;

/**
 * A browser learns that submitted work has finished only when its GPU process next checks, which
 * Chromium does about every 2 ms while work is pending: a readback of work that took 0.8 ms came
 * back after 2.5 ms. A call into the queue makes the GPU process check at once, so while a
 * readback (or `sync`) waits, this asks `onSubmittedWorkDone()` once a millisecond, for the
 * first few milliseconds only: a longer wait gains nothing from it. The cost is one timer and one
 * small message per millisecond. In Node, Dawn's binding polls by itself and this does nothing.
 * Returns the function that stops it. Measured in headless Chromium on SwiftShader
 * (bench/README.md): 14 small dispatches and a readback 2.6 → 1.4 ms; work of 5 to 11 ms
 * unchanged.
 */
function promptCompletionChecks(d: GPUDevice): () => void {
  if (inNode) return () => {};
  let timer: ReturnType<typeof setTimeout> | undefined;
  let count = 0;
  const prompt = () => {
    try {
      d.queue.onSubmittedWorkDone().catch(() => {}); // a lost device is reported by the waiter
    } catch {
      return; // a destroyed device: nothing left to prompt
    }
    timer = ++count < PROMPTS ? setTimeout(prompt, 1) : undefined;
  };
  timer = setTimeout(prompt, 1);
  return () => clearTimeout(timer);
}

function acquireStaging(size: number): GPUBuffer {
  return (
    stagingPool.get(size)?.pop() ??
    device().createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST })
  );
}

/** Reads `bytes` of `src` back to the CPU once the work that writes it has run. */
export async function readBuffer(src: GPUBuffer, bytes: number): Promise<Float32Array> {
  if (bytes === 0) return new Float32Array(0);
  const size = Math.ceil(bytes / 16) * 16;
  const staging = acquireStaging(size);
  encodeCopy(src, 0, staging, 0, Math.min(size, src.size));
  flush();
  const d = device();
  const stopPrompting = promptCompletionChecks(d);
  try {
    await staging.mapAsync(GPUMapMode.READ);
  } catch (e) {
    // A lost device fails the map; its `lost` promise may settle a moment later.
    const lost = await Promise.race([d.lost.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 100))]);
    if (lost) throw new DeviceLostError(`data: the GPU device was lost while reading back (${(e as Error).message}); await init() again to start afresh.`);
    throw e;
  } finally {
    stopPrompting();
  }
  const out = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
  staging.unmap();
  let list = stagingPool.get(size);
  if (!list) stagingPool.set(size, (list = []));
  list.push(staging);
  throwGpuErrors();
  return out;
}

/** Surfaces validation errors the GPU reported asynchronously since the last readback. */
export function throwGpuErrors(): void {
  if (gpuErrors.length) {
    const all = gpuErrors.splice(0).join('\n');
    throw new WebgradError(`The GPU reported errors: ${all}`);
  }
}

/** Resolves once every submitted batch has run. */
export async function sync(): Promise<void> {
  flush();
  const d = device();
  const stopPrompting = promptCompletionChecks(d);
  try {
    await d.queue.onSubmittedWorkDone();
  } finally {
    stopPrompting();
  }
}

/**
 * Compiles every WGSL file and reports the first error as `shaders/file.wgsl:line:column: message`.
 * Pipelines compile lazily; this makes a broken shader fail loudly and at once.
 */
export async function compileAllShaders(): Promise<string[]> {
  const names = Object.keys(shaderSources);
  for (const name of names) await checkShader(name, shaderSources[name]);
  return names;
}

export async function checkShader(name: string, code: string): Promise<void> {
  const m = device().createShaderModule({ label: `shaders/${name}.wgsl`, code });
  const info = await m.getCompilationInfo();
  const errors = info.messages.filter((msg) => msg.type === 'error');
  if (errors.length) {
    const lines = errors.map((e) => `shaders/${name}.wgsl:${e.lineNum}:${e.linePos}: ${e.message}`);
    throw new ShaderCompileError(lines.join('\n'));
  }
}

/** GPU time per kernel, from timestamp queries around every dispatch. */
export interface KernelProfile {
  kernel: string;
  calls: number;
  ms: number;
}

class Profiler {
  readonly labels: string[] = [];
  readonly querySet: GPUQuerySet;
  constructor(readonly capacity: number) {
    this.querySet = device().createQuerySet({ type: 'timestamp', count: 2 * capacity });
  }
  slot(label: string): GPUComputePassTimestampWrites | undefined {
    if (this.labels.length >= this.capacity) return undefined;
    const i = this.labels.push(label) - 1;
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }
}

let profiler: Profiler | null = null;

/**
 * Runs `fn` with every dispatch timed on the GPU (adapters with 'timestamp-query'), and returns
 * the time per kernel, slowest first. Dispatches get a pass each while profiling, so totals are
 * a little above an unprofiled run's.
 */
export async function profile(fn: () => unknown, capacity = 2048): Promise<KernelProfile[]> {
  if (!device().features.has('timestamp-query')) throw new WebgradError("profile: this adapter has no 'timestamp-query' feature.");
  flush();
  const p = (profiler = new Profiler(capacity));
  try {
    await fn();
  } finally {
    profiler = null;
  }
  const n = p.labels.length;
  if (n === 0) return [];
  const resolved = device().createBuffer({ size: 16 * n, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const read = device().createBuffer({ size: 16 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const b = openBatch();
  const enc = endPass(b);
  enc.resolveQuerySet(p.querySet, 0, 2 * n, resolved, 0);
  enc.copyBufferToBuffer(resolved, 0, read, 0, 16 * n);
  flush();
  await read.mapAsync(GPUMapMode.READ);
  const ticks = new BigUint64Array(read.getMappedRange().slice(0));
  read.unmap();
  for (const buf of [resolved, read]) buf.destroy();
  p.querySet.destroy();
  const byKernel = new Map<string, KernelProfile>();
  p.labels.forEach((label, i) => {
    const entry = byKernel.get(label) ?? { kernel: label, calls: 0, ms: 0 };
    entry.calls++;
    entry.ms += Number(ticks[2 * i + 1] - ticks[2 * i]) / 1e6;
    byKernel.set(label, entry);
  });
  return [...byKernel.values()].sort((a, c) => c.ms - a.ms);
}
