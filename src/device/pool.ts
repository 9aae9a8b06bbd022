import { InvalidArgumentError } from '../errors';
import { getDevice, onDeviceReset } from './gpu';

/**
 * Storage buffers are recycled by size class, so a training loop that makes the same shapes every
 * step creates no buffers after its first step. Classes are powers of two up to 1 MiB and
 * multiples of 1 MiB above, which bounds the waste at 2x for small buffers and 1 MiB for big ones.
 *
 * Reusing a buffer whose last reader is still queued is safe: every write to it is encoded (or
 * staged, see kernels.ts) after that reader in queue order.
 */
export function sizeClass(bytes: number): number {
  const b = Math.max(16, Math.ceil(bytes / 16) * 16);
  if (b <= 1 << 20) return 2 ** Math.ceil(Math.log2(b));
  return Math.ceil(b / (1 << 20)) * (1 << 20);
}

const free = new Map<number, GPUBuffer[]>();
let pooledBytes = 0;
let liveBytes = 0;

onDeviceReset(() => {
  free.clear();
  pooledBytes = 0;
  liveBytes = 0;
});

export function acquireBuffer(bytes: number): GPUBuffer {
  const size = sizeClass(bytes);
  // Checked here, before the device makes an invalid buffer that would fail every later command.
  const max = getDevice().limits.maxBufferSize;
  if (!(size <= max)) throw new InvalidArgumentError(`A tensor of ${bytes} bytes is larger than this device's largest buffer (maxBufferSize ${max} bytes).`);
  const list = free.get(size);
  liveBytes += size;
  const reused = list?.pop();
  if (reused) {
    pooledBytes -= size;
    return reused;
  }
  return getDevice().createBuffer({
    size,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
}

export function releaseBuffer(buffer: GPUBuffer): void {
  liveBytes -= buffer.size;
  let list = free.get(buffer.size);
  if (!list) free.set(buffer.size, (list = []));
  list.push(buffer);
  pooledBytes += buffer.size;
}

export function poolStats(): { liveBytes: number; pooledBytes: number } {
  return { liveBytes, pooledBytes };
}
