import { InvalidArgumentError } from '../errors';

/**
 * Storage buffers recycled by size class, so a training loop that makes the same shapes every
 * step creates no buffers after its first step. Classes are powers of two up to 1 MiB and
 * multiples of 1 MiB above, which bounds the waste at 2x for small buffers and 1 MiB for big ones.
 *
 * Reusing a buffer whose last reader is still queued is safe: every write to it is encoded (or
 * staged, see stream.ts) after that reader in queue order.
 */
export function sizeClass(bytes: number): number {
  const b = Math.max(16, Math.ceil(bytes / 16) * 16);
  if (b <= 1 << 20) return 2 ** Math.ceil(Math.log2(b));
  return Math.ceil(b / (1 << 20)) * (1 << 20);
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  pooledBytes = 0;
  liveBytes = 0;

  constructor(private readonly device: GPUDevice) {}

  acquire(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
    // Checked here, before the device makes an invalid buffer that would fail every later command.
    const max = this.device.limits.maxBufferSize;
    if (!(size <= max)) throw new InvalidArgumentError(`A tensor of ${bytes} bytes is larger than this device's largest buffer (maxBufferSize ${max} bytes).`);
    this.liveBytes += size;
    const reused = this.free.get(size)?.pop();
    if (reused) {
      this.pooledBytes -= size;
      return reused;
    }
    return this.device.createBuffer({
      size,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
  }

  release(buffer: GPUBuffer): void {
    this.liveBytes -= buffer.size;
    let list = this.free.get(buffer.size);
    if (!list) this.free.set(buffer.size, (list = []));
    list.push(buffer);
    this.pooledBytes += buffer.size;
  }
}
