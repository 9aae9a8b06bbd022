import { liveTensorCount } from './tensor';
import { dispatchesSinceInit } from '../device/kernels';
import { poolStats } from '../device/pool';

export interface MemoryInfo {
  /** Live tensor objects (the tape's saved views included). */
  numTensors: number;
  /** Bytes of GPU buffers held by live tensors (size classes, see pool.ts). */
  numBytes: number;
  /** Bytes of free buffers kept for reuse. */
  numPooledBytes: number;
  /** Compute dispatches since `init()`. */
  numDispatches: number;
}

export function memory(): MemoryInfo {
  const { liveBytes, pooledBytes } = poolStats();
  return { numTensors: liveTensorCount(), numBytes: liveBytes, numPooledBytes: pooledBytes, numDispatches: dispatchesSinceInit() };
}
