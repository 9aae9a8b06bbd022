import { WebgradError } from '../errors';
import type { Recording } from './capture';
import type { Engine } from './engine';

/**
 * The command stream. Kernels encode dispatches into one shared compute pass; the batch is
 * submitted once, at the end of the current JavaScript task (a microtask), before a readback, or
 * when it grows large. A training step written as plain synchronous code is therefore one submit.
 *
 * Uniform parameters and small uploads are staged in a CPU-side arena and written to one GPU
 * arena buffer with a single `writeBuffer` just before the batch is submitted. Queue order makes
 * that safe: the write lands after the previous batch (which read the old arena) has run.
 */

const ARENA_BYTES = 1 << 22;
const UPLOAD_IN_ARENA_MAX = 1 << 16;
const MAX_DISPATCHES_PER_SUBMIT = 2048;

interface Batch {
  encoder: GPUCommandEncoder;
  pass: GPUComputePassEncoder | null;
  /** The pipeline the open pass has set (a run of dispatches of one kernel sets it once). */
  pipeline: GPUComputePipeline | null;
  arenaUsed: number;
  dispatches: number;
}

export class CommandStream {
  /** The CPU side of the arena, as bytes and as 32-bit words (uniform fields are 4 bytes each). */
  readonly arenaBytes = new Uint8Array(ARENA_BYTES);
  readonly arenaU32 = new Uint32Array(this.arenaBytes.buffer);
  readonly arenaI32 = new Int32Array(this.arenaBytes.buffer);
  readonly arenaF32 = new Float32Array(this.arenaBytes.buffer);
  readonly arenaGpu: GPUBuffer;
  readonly uniformAlign: number;
  /** Compute dispatches since the engine started. */
  dispatchCount = 0;
  /** The step being captured (src/tensor/compile_step.ts): every command is also recorded there. */
  recording: Recording | null = null;
  private batch: Batch | null = null;
  private flushScheduled = false;
  private readonly gpuErrors: string[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly engine: Engine,
  ) {
    this.uniformAlign = device.limits.minUniformBufferOffsetAlignment;
    this.arenaGpu = device.createBuffer({
      size: ARENA_BYTES,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    device.addEventListener('uncapturederror', (e) => {
      this.gpuErrors.push((e as GPUUncapturedErrorEvent).error.message);
    });
  }

  private open(): Batch {
    if (!this.batch) {
      this.batch = { encoder: this.device.createCommandEncoder(), pass: null, pipeline: null, arenaUsed: 0, dispatches: 0 };
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(() => {
          this.flushScheduled = false;
          this.flush();
        });
      }
    }
    return this.batch;
  }

  /** Reserves `bytes` of the arena (flushing first if the batch's arena is full); returns the byte offset. */
  reserve(bytes: number, align = this.uniformAlign): number {
    let b = this.open();
    let offset = Math.ceil(b.arenaUsed / align) * align;
    if (offset + bytes > ARENA_BYTES) {
      this.flush();
      b = this.open();
      offset = 0;
    }
    b.arenaUsed = offset + bytes;
    return offset;
  }

  /**
   * Encodes one dispatch of `pipeline` with `bindGroup`, whose uniforms were written at a
   * reserved arena offset. `label` names the kernel in profiles.
   */
  dispatch(pipeline: GPUComputePipeline, bindGroup: GPUBindGroup, x: number, y: number, z: number): void {
    const b = this.open();
    const profiler = this.engine.profiler;
    if (profiler) {
      // Profiling: each dispatch in a pass of its own, bracketed by timestamps.
      this.endPass(b);
      b.pass = b.encoder.beginComputePass({ timestampWrites: profiler.slot(pipeline.label) });
      b.pipeline = null;
    }
    if (!b.pass) {
      b.pass = b.encoder.beginComputePass();
      b.pipeline = null;
    }
    if (b.pipeline !== pipeline) {
      b.pass.setPipeline(pipeline);
      b.pipeline = pipeline;
    }
    b.pass.setBindGroup(0, bindGroup);
    if (x > 0 && y > 0 && z > 0) b.pass.dispatchWorkgroups(x, y, z);
    if (profiler) this.endPass(b);
    b.dispatches++;
    this.dispatchCount++;
    if (b.dispatches >= MAX_DISPATCHES_PER_SUBMIT) this.flush();
  }

  private endPass(b: Batch): GPUCommandEncoder {
    if (b.pass) {
      b.pass.end();
      b.pass = null;
    }
    return b.encoder;
  }

  /** The batch's encoder outside any compute pass, for copies and query resolves. */
  encoder(): GPUCommandEncoder {
    return this.endPass(this.open());
  }

  /** Copies `bytes` from `src` to `dst` in stream order. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    if (bytes === 0) return;
    this.recording?.copy(src, srcOffset, dst, dstOffset, bytes);
    this.encoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Writes `data` into `dst` in stream order (after everything encoded so far, before what follows). */
  upload(dst: GPUBuffer, data: ArrayBufferView): void {
    const bytes = data.byteLength;
    if (bytes === 0) return;
    this.recording?.upload(dst, data);
    if (bytes <= UPLOAD_IN_ARENA_MAX) {
      const offset = this.reserve(bytes, 4);
      this.arenaBytes.set(new Uint8Array(data.buffer, data.byteOffset, bytes), offset);
      this.encoder().copyBufferToBuffer(this.arenaGpu, offset, dst, 0, bytes);
      return;
    }
    // Large uploads go straight to the queue; flushing first keeps them after earlier work.
    this.flush();
    this.device.queue.writeBuffer(dst, 0, data.buffer, data.byteOffset, bytes);
  }

  /** Whether a batch is being encoded (buffers it uses must not be destroyed before its submit). */
  get encoding(): boolean {
    return this.batch !== null;
  }

  /** Submits everything encoded so far, then destroys the buffers the pool retired meanwhile. Never waits. */
  flush(): void {
    const b = this.batch;
    if (!b) return;
    this.batch = null;
    this.endPass(b);
    if (b.arenaUsed > 0) this.device.queue.writeBuffer(this.arenaGpu, 0, this.arenaBytes.buffer, 0, Math.ceil(b.arenaUsed / 4) * 4);
    this.device.queue.submit([b.encoder.finish()]);
    this.engine.pool.destroyRetired();
  }

  /** Surfaces validation errors the GPU reported asynchronously since the last readback. */
  throwGpuErrors(): void {
    if (this.gpuErrors.length) {
      const all = this.gpuErrors.splice(0).join('\n');
      throw new WebgradError(`The GPU reported errors: ${all}`);
    }
  }
}
