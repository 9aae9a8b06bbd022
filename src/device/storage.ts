import { engine, isLiveGeneration } from './engine';

/**
 * A GPU buffer of float32 or int32 elements, shared by every tensor that views it (a reshape is a
 * new view, not a copy; the tape keeps views of the values it saved for the backward pass).
 * Returned to the engine's pool when the last holder releases it.
 */
export class Storage {
  refs = 1;
  readonly generation: number;
  /** @internal */
  readonly buffer: GPUBuffer;
  /** `size` elements of 4 bytes each. */
  constructor(readonly size: number) {
    const e = engine();
    this.generation = e.generation;
    this.buffer = e.pool.acquire(size * 4);
  }
  retain(): this {
    this.refs++;
    return this;
  }
  /**
   * Takes back a storage released while a step was being captured (a variable's value before the
   * step, which its replays keep the variable in).
   */
  revive(): void {
    const recording = engine().pool.recording;
    if (this.refs !== 0 || !recording?.held.has(this.buffer)) throw new Error('revive: the storage was not released during this capture.');
    engine().pool.revive(recording, this.buffer);
    this.refs = 1;
  }
  release(): void {
    if (--this.refs === 0 && isLiveGeneration(this.generation)) engine().pool.release(this.buffer);
  }
}
