import { DeviceLostError } from '../errors';
import { engine } from './engine';
import { inNode } from './gpu';
import type { Storage } from './storage';

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

/** Reads the first `bytes` of `src` back to the CPU once the work that writes it has run. */
export async function readStorage(src: Storage, bytes: number): Promise<ArrayBuffer> {
  if (bytes === 0) return new ArrayBuffer(0);
  const e = engine();
  const d = e.device;
  if (e.stream.recording) e.stream.recording.unreplayable = 'it reads a tensor back';
  const buffer = e.staging.acquire(bytes);
  e.stream.copy(src.buffer, 0, buffer, 0, Math.min(Math.ceil(bytes / 16) * 16, src.buffer.size));
  e.stream.flush();
  const stopPrompting = promptCompletionChecks(d);
  try {
    await buffer.mapAsync(GPUMapMode.READ);
  } catch (err) {
    // A lost device fails the map; its `lost` promise may settle a moment later.
    const lost = await Promise.race([d.lost.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 100))]);
    if (lost) throw new DeviceLostError(`data: the GPU device was lost while reading back (${(err as Error).message}); await init() again to start afresh.`);
    throw err;
  } finally {
    stopPrompting();
  }
  const out = buffer.getMappedRange(0, bytes).slice(0);
  buffer.unmap();
  e.staging.release(buffer);
  e.stream.throwGpuErrors();
  return out;
}

/** Resolves once every submitted batch has run. */
export async function sync(): Promise<void> {
  const e = engine();
  e.stream.flush();
  const stopPrompting = promptCompletionChecks(e.device);
  try {
    await e.device.queue.onSubmittedWorkDone();
  } finally {
    stopPrompting();
  }
}
