import { liveTensorCount } from './tensor';
import { engine } from '../device/engine';

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
  const e = engine();
  return { numTensors: liveTensorCount(), numBytes: e.pool.liveBytes, numPooledBytes: e.pool.pooledBytes, numDispatches: e.stream.dispatchCount };
}
