import { WebgradError } from '../errors';
import { engine } from './engine';

/** GPU time per kernel, from timestamp queries around every dispatch. */
export interface KernelProfile {
  kernel: string;
  calls: number;
  ms: number;
}

export class Profiler {
  readonly labels: string[] = [];
  readonly querySet: GPUQuerySet;
  constructor(
    device: GPUDevice,
    readonly capacity: number,
  ) {
    this.querySet = device.createQuerySet({ type: 'timestamp', count: 2 * capacity });
  }
  slot(label: string): GPUComputePassTimestampWrites | undefined {
    if (this.labels.length >= this.capacity) return undefined;
    const i = this.labels.push(label) - 1;
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }
}

/**
 * Runs `fn` with every dispatch timed on the GPU (adapters with 'timestamp-query'), and returns
 * the time per kernel, slowest first. Dispatches get a pass each while profiling, so totals are
 * a little above an unprofiled run's.
 */
export async function profile(fn: () => unknown, capacity = 2048): Promise<KernelProfile[]> {
  const e = engine();
  const device = e.device;
  if (!device.features.has('timestamp-query')) throw new WebgradError("profile: this adapter has no 'timestamp-query' feature.");
  e.stream.flush();
  const p = (e.profiler = new Profiler(device, capacity));
  try {
    await fn();
  } finally {
    e.profiler = null;
  }
  const n = p.labels.length;
  if (n === 0) return [];
  const resolved = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = e.stream.encoder();
  enc.resolveQuerySet(p.querySet, 0, 2 * n, resolved, 0);
  enc.copyBufferToBuffer(resolved, 0, read, 0, 16 * n);
  e.stream.flush();
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
