import { ResourceLimitError } from '../errors';
import type { Recording } from './capture';

/**
 * GPU buffers recycled by size class, so a training loop that makes the same shapes every step
 * creates no buffers after its first step, and bounded, so that a program whose shapes keep
 * changing (growing tensors, predictions at many batch sizes) does not hoard memory.
 *
 * Size classes: a request rounds up to 16 bytes, then to a multiple of 1/8 of its power of two
 * (a request in [2ᵏ, 2ᵏ⁺¹) to a multiple of 2ᵏ⁻³), so from 128 bytes on less than 1/8 of a
 * buffer goes unused, and nearby sizes still share a class.
 *
 * Reusing a buffer whose last reader is still queued is safe: every write to it is encoded (or
 * staged, see stream.ts) after that reader in queue order.
 */
export function sizeClass(bytes: number): number {
  const b = Math.max(16, Math.ceil(bytes / 16) * 16);
  const step = Math.max(16, 2 ** (Math.floor(Math.log2(b)) - 3));
  return Math.ceil(b / step) * step;
}

/** Idle uniform buffers of captured steps kept at most, in bytes. */
const UNIFORM_BUDGET = 1 << 20;

/** The pool's budget at the least: idle buffers kept for reuse whatever the program's size. */
export const MIN_POOL_BUDGET = 64 << 20;

/**
 * Idle buffers by size class, with the order they came back in: the ones idle longest go first
 * when the set is over its budget.
 */
class IdleBuffers {
  private readonly bySize = new Map<number, GPUBuffer[]>();
  /** Every idle buffer, least recently returned first (a Set iterates in insertion order). */
  private readonly order = new Set<GPUBuffer>();
  bytes = 0;

  /** The most recently returned idle buffer of exactly `size` bytes, taken out of the set. */
  take(size: number): GPUBuffer | undefined {
    const buffer = this.bySize.get(size)?.pop();
    if (buffer) {
      this.order.delete(buffer);
      this.bytes -= buffer.size;
    }
    return buffer;
  }

  /** Takes `buffer` out of the set; false if it is not idle here. */
  remove(buffer: GPUBuffer): boolean {
    if (!this.order.delete(buffer)) return false;
    const list = this.bySize.get(buffer.size)!;
    list.splice(list.lastIndexOf(buffer), 1);
    this.bytes -= buffer.size;
    return true;
  }

  put(buffer: GPUBuffer): void {
    let list = this.bySize.get(buffer.size);
    if (!list) this.bySize.set(buffer.size, (list = []));
    list.push(buffer);
    this.order.add(buffer);
    this.bytes += buffer.size;
  }

  /** Takes out the buffers idle longest until at most `budget` bytes remain, and returns them. */
  trim(budget: number): GPUBuffer[] {
    const out: GPUBuffer[] = [];
    for (const buffer of this.order) {
      if (this.bytes <= budget) break;
      // Lists grow at their end, so the oldest buffer of a size is first in its list.
      this.bySize.get(buffer.size)!.shift();
      this.order.delete(buffer);
      this.bytes -= buffer.size;
      out.push(buffer);
    }
    return out;
  }
}

/**
 * Storage buffers for tensors. Idle ones are kept for reuse up to a byte budget: the larger of
 * MIN_POOL_BUDGET and the most bytes tensors have held at once (since start or the last
 * `releaseAll`). A steady loop returns at most that much between two uses of a buffer, so the
 * budget never costs it a buffer it reuses, while shapes that keep changing cannot pile up
 * buffers without end. Buffers over the budget are destroyed, the ones idle longest first.
 */
export class BufferPool {
  private readonly idle = new IdleBuffers();
  private readonly idleUniforms = new IdleBuffers();
  /** Buffers out of the pool for good, destroyed once no batch being encoded can refer to them. */
  private retired: GPUBuffer[] = [];
  liveBytes = 0;
  peakLiveBytes = 0;
  /** Bytes of buffers that captured steps keep for their replays (see `claim`). */
  claimedBytes = 0;
  /** The step being captured, told of every buffer handed out and released. */
  recording: Recording | null = null;
  minBudget = MIN_POOL_BUDGET;
  /** The device's limits, rounded down to whole 16-byte units. */
  private readonly maxBuffer: number;
  private readonly maxBinding: number;

  constructor(
    private readonly device: GPUDevice,
    /** Whether commands are being encoded now (a buffer they use must outlive their submit). */
    private readonly encoding: () => boolean,
  ) {
    this.maxBuffer = Math.floor(device.limits.maxBufferSize / 16) * 16;
    this.maxBinding = Math.floor(device.limits.maxStorageBufferBindingSize / 16) * 16;
  }

  get pooledBytes(): number {
    return this.idle.bytes;
  }

  get budget(): number {
    return Math.max(this.minBudget, this.peakLiveBytes);
  }

  /** A buffer of at least `bytes`; `op` names who asks, in the error when it cannot exist. */
  acquire(bytes: number, op = 'tensor'): GPUBuffer {
    const size = this.classFor(bytes, op);
    this.liveBytes += size;
    if (this.liveBytes > this.peakLiveBytes) this.peakLiveBytes = this.liveBytes;
    const buffer =
      this.idle.take(size) ??
      this.device.createBuffer({
        size,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
    this.recording?.acquired.add(buffer);
    return buffer;
  }

  /**
   * The size class of `bytes`, kept within the device's limits: a request that fits one storage
   * binding gets a buffer that fits one too (kernels bind whole buffers). Checked here, before
   * the device makes an invalid buffer that would fail every later command.
   */
  private classFor(bytes: number, op: string): number {
    this.check(op, bytes);
    const exact = Math.max(16, Math.ceil(bytes / 16) * 16);
    const size = sizeClass(bytes);
    if (exact <= this.maxBinding && size > this.maxBinding) return this.maxBinding;
    return Math.min(size, this.maxBuffer);
  }

  /** Throws a ResourceLimitError naming `op` unless a buffer of `bytes` can exist on this device. */
  check(op: string, bytes: number): void {
    if (!(Math.max(16, Math.ceil(bytes / 16) * 16) <= this.maxBuffer)) {
      throw new ResourceLimitError(op, bytes, 'maxBufferSize', this.device.limits.maxBufferSize);
    }
  }

  release(buffer: GPUBuffer): void {
    this.liveBytes -= buffer.size;
    const recording = this.recording;
    if (recording) {
      // A buffer from before the step may still be read by the step's commands: not reused yet.
      if (recording.acquired.has(buffer)) this.idle.put(buffer);
      else recording.held.add(buffer);
      return;
    }
    this.idle.put(buffer);
    this.trim();
  }

  private trim(): void {
    if (this.idle.bytes > this.budget) this.retire(this.idle.trim(this.budget));
  }

  /** Ends a recording: the buffers it held back become idle, except those taken back live (`revive`). */
  endRecording(recording: Recording): void {
    if (this.recording === recording) this.recording = null;
    for (const buffer of recording.held) this.idle.put(buffer);
    recording.held.clear();
    this.trim();
  }

  /** Takes back as live a buffer released during a recording (a variable's value before the step). */
  revive(recording: Recording, buffer: GPUBuffer): void {
    recording.held.delete(buffer);
    this.liveBytes += buffer.size;
  }

  /** Takes an idle buffer out of the pool for a captured step's own use; false if it is not idle. */
  claim(buffer: GPUBuffer): boolean {
    if (!this.idle.remove(buffer)) return false;
    this.claimedBytes += buffer.size;
    return true;
  }

  /** Gives back a claimed buffer. */
  unclaim(buffer: GPUBuffer): void {
    this.claimedBytes -= buffer.size;
    this.idle.put(buffer);
    this.trim();
  }

  /** Counts a live buffer that a captured step keeps (its inputs, its results) as claimed. */
  hold(buffer: GPUBuffer): void {
    this.liveBytes -= buffer.size;
    this.claimedBytes += buffer.size;
  }

  /** Counts a held buffer as live again, before its storage is released. */
  unhold(buffer: GPUBuffer): void {
    this.claimedBytes -= buffer.size;
    this.liveBytes += buffer.size;
  }

  /** A uniform buffer for a captured step's uniforms, reused across steps like storage buffers. */
  acquireUniform(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
    return this.idleUniforms.take(size) ?? this.device.createBuffer({ size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  }

  releaseUniform(buffer: GPUBuffer): void {
    this.idleUniforms.put(buffer);
    this.retire(this.idleUniforms.trim(UNIFORM_BUDGET));
  }

  /** Destroys every idle buffer and restarts the budget from the bytes live now. */
  releaseAll(): void {
    this.retire(this.idle.trim(0));
    this.retire(this.idleUniforms.trim(0));
    this.peakLiveBytes = this.liveBytes;
  }

  private retire(buffers: GPUBuffer[]): void {
    this.retired.push(...buffers);
    if (!this.encoding()) this.destroyRetired();
  }

  /** Destroys the retired buffers; called when no batch being encoded can refer to them. */
  destroyRetired(): void {
    for (const buffer of this.retired) buffer.destroy();
    this.retired = [];
  }
}

/** Idle readback buffers kept at most, in bytes. */
export const STAGING_BUDGET = 32 << 20;

/**
 * Mappable buffers that readbacks copy into, reused by size class. A readback holds one until its
 * map is done; the idle ones are kept up to STAGING_BUDGET, the ones idle longest destroyed first.
 */
export class StagingPool {
  private readonly idle = new IdleBuffers();
  /** Bytes of every staging buffer that exists: idle, or held by a readback under way. */
  bytes = 0;

  constructor(private readonly device: GPUDevice) {}

  /** A buffer of at least `bytes`, which the tensor read back already proved possible. */
  acquire(bytes: number): GPUBuffer {
    const size = Math.min(sizeClass(bytes), Math.max(Math.ceil(bytes / 16) * 16, Math.floor(this.device.limits.maxBufferSize / 16) * 16));
    const reused = this.idle.take(size);
    if (reused) return reused;
    this.bytes += size;
    return this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  /** Takes back an unmapped buffer. */
  release(buffer: GPUBuffer): void {
    this.idle.put(buffer);
    this.destroy(this.idle.trim(STAGING_BUDGET));
  }

  /** Destroys every idle buffer (a mapped buffer cannot be in a batch, so at once). */
  releaseAll(): void {
    this.destroy(this.idle.trim(0));
  }

  private destroy(buffers: GPUBuffer[]): void {
    for (const buffer of buffers) {
      this.bytes -= buffer.size;
      buffer.destroy();
    }
  }
}
