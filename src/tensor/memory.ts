import { liveTensorCount } from './tensor';
import { engine } from '../device/engine';

export interface MemoryInfo {
  /** Live tensor objects (the tape's saved views included). */
  numTensors: number;
  /** Bytes of GPU buffers held by live tensors (size classes, see pool.ts). */
  numBytes: number;
  /**
   * Bytes of free buffers kept for reuse (at most `max(64 MiB, the peak of numBytes)`), and of the
   * buffers compiled steps keep for their replays.
   */
  numPooledBytes: number;
  /** Bytes of the mappable buffers that readbacks copy into (at most 32 MiB idle). */
  numStagingBytes: number;
  /** Compute dispatches since `init()`. */
  numDispatches: number;
}

export function memory(): MemoryInfo {
  const e = engine();
  return {
    numTensors: liveTensorCount(),
    numBytes: e.pool.liveBytes,
    numPooledBytes: e.pool.pooledBytes + e.pool.claimedBytes,
    numStagingBytes: e.staging.bytes,
    numDispatches: e.stream.dispatchCount,
  };
}

/**
 * Frees every GPU buffer that no tensor holds: the pool's idle buffers, the idle readback
 * buffers and what compiled steps keep for their replays (work already encoded is submitted
 * first; such a step is captured again on a later call). Live tensors are untouched; the next steps
 * make the buffers they need afresh. The pool's budget restarts from the bytes live now.
 */
export function releaseMemory(): void {
  const e = engine();
  e.stream.flush();
  for (const step of [...e.captured]) step.dispose();
  e.pool.releaseAll();
  e.staging.releaseAll();
  e.pipelines.forgetBindGroups();
}
