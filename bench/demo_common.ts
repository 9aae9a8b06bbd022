// What the demo pages (demo, mnist, transformer) share: element lookup, the number format of
// their stats lines, the WebGPU adapter line, the error display and the Train/Pause loop.
import * as wg from '../src/index';

export interface PageState {
  state: 'loading' | 'ready' | 'training' | 'paused' | 'error';
  error?: string;
}

export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export const fmt = (v: number) => (v === 0 ? '0' : Math.abs(v) >= 0.01 ? v.toFixed(3) : v.toExponential(2));

/** Starts WebGPU and names the adapter; where that fails, shows why and returns false. */
export async function initAdapter(page: PageState): Promise<boolean> {
  try {
    const info = await wg.init();
    $('adapter').textContent = `WebGPU adapter: ${info.adapter}`;
    return true;
  } catch (e) {
    page.state = 'error';
    page.error = (e as Error).message;
    $('adapter').textContent = page.error;
    $('adapter').className = 'error-box';
    return false;
  }
}

/** Training stopped on an error: the page says so and the button offers Train again. */
export function showError(page: PageState, e: unknown) {
  page.state = 'error';
  page.error = e instanceof Error ? e.message : String(e);
  $('stats').textContent = `Training stopped: ${page.error}`;
  $('toggle').textContent = 'Train';
  console.error(e);
}

/**
 * The Train/Pause loop: `step` trains one unit (an epoch, a batch) and the loop yields an
 * animation frame after each, until paused or `perRun()` more units than `done()` counted at
 * the start; `onPause` runs before it settles. At most one loop runs at a time.
 */
export function trainingLoop(page: PageState, opts: { step: () => Promise<void>; done: () => number; perRun: () => number; onPause?: () => Promise<void> }) {
  let running = false;
  let stopAt = Infinity;
  let loopDone: Promise<void> = Promise.resolve();

  const showRunning = (on: boolean) => {
    running = on;
    page.state = on ? 'training' : 'paused';
    $('toggle').textContent = on ? 'Pause' : 'Train';
  };

  async function loop() {
    try {
      while (running && opts.done() < stopAt) {
        await opts.step();
        await new Promise((r) => requestAnimationFrame(r));
      }
      await opts.onPause?.();
      showRunning(false);
    } catch (e) {
      running = false;
      showError(page, e);
    }
  }

  async function setRunning(on: boolean) {
    if (!on) {
      running = false;
      return;
    }
    await loopDone;
    if (page.state === 'error') return;
    stopAt = opts.done() + opts.perRun();
    showRunning(true);
    loopDone = loop();
  }

  return {
    get running() {
      return running;
    },
    setRunning,
    /** Pauses, lets the unit in flight finish before `rebuild` replaces what it uses, then resumes if it ran. */
    async restart(rebuild: () => void | Promise<void>) {
      const wasRunning = running;
      running = false;
      await loopDone;
      await rebuild();
      if (wasRunning) await setRunning(true);
      else showRunning(false);
    },
  };
}
