// What fit prints. verbose 1 in a terminal: for each epoch, "Epoch 3/10" and a progress bar in
// Keras's layout (batches done, the bar, time left, the running loss), rewritten in place at most
// every 100 ms and finished with the epoch's time and logs. verbose 1 anywhere else (a browser's
// console, output piped to a file or a CI log, where a rewritten line would print as many) and
// verbose 2: one line per epoch. verbose 0: nothing.
import { formatLogs, type Logs } from './logs';
import type { Verbosity } from './options';

interface Terminal {
  write(text: string): unknown;
}

/** Node's standard output when it is a terminal, which can rewrite a line; else null. */
function terminal(): Terminal | null {
  const stdout = (globalThis as { process?: { stdout?: Terminal & { isTTY?: boolean } } }).process?.stdout;
  return stdout?.isTTY === true && typeof stdout.write === 'function' ? stdout : null;
}

const BAR_WIDTH = 30;
const REDRAW_MS = 100;
/** ANSI "erase to the end of the line": a shorter line leaves nothing of the longer one before it. */
const ERASE = '\x1b[K';

/** Keras's ETA: 42s, 3:07, 1:02:03. */
function duration(seconds: number): string {
  const s = Math.round(seconds);
  const two = (n: number) => String(n).padStart(2, '0');
  if (s >= 3600) return `${Math.floor(s / 3600)}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
  if (s >= 60) return `${Math.floor(s / 60)}:${two(s % 60)}`;
  return `${s}s`;
}

/** Keras's time per step: 2s/step, 35ms/step, 840us/step. */
function perStep(seconds: number): string {
  if (seconds >= 1) return `${Math.round(seconds)}s/step`;
  if (seconds >= 1e-3) return `${Math.round(seconds * 1e3)}ms/step`;
  return `${Math.round(seconds * 1e6)}us/step`;
}

export class Progress {
  private readonly out: Terminal | null;
  private epoch = 0;
  private began = 0;
  private lastDraw = 0;
  private done = 0;
  private latest: Logs | undefined;
  private reading = false;
  /** Between epochBegin and epochEnd: a read that arrives later draws nothing. */
  private open = false;

  constructor(
    private readonly verbose: Verbosity,
    private readonly epochs: number,
    private readonly steps: number,
  ) {
    this.out = verbose === 1 ? terminal() : null;
  }

  epochBegin(epoch: number): void {
    this.epoch = epoch;
    this.began = Date.now();
    this.lastDraw = 0;
    this.done = 0;
    this.latest = undefined;
    this.open = true;
    this.out?.write(`Epoch ${epoch + 1}/${this.epochs}\n`);
  }

  /**
   * After `done` batches of the epoch: redraws the bar when one is due (every 100 ms and at the
   * last batch) with the running logs, given, or read by `read`. A read starts only when a redraw
   * is due and none is in flight, and is never awaited, so training does not wait on it: the bar
   * shows its values once they arrive.
   */
  batch(done: number, logs: Logs | (() => Promise<Logs>)): void {
    if (!this.out) return;
    this.done = done;
    if (typeof logs !== 'function') this.latest = logs;
    if (Date.now() - this.lastDraw < REDRAW_MS && done < this.steps) return;
    if (typeof logs === 'function' && !this.reading) {
      this.reading = true;
      const epoch = this.epoch;
      logs()
        .then((values) => {
          if (!this.open || epoch !== this.epoch) return;
          this.latest = values;
          this.draw(`ETA: ${duration(this.secondsLeft())}`);
        }, () => {})
        .finally(() => (this.reading = false));
    }
    this.draw(`ETA: ${duration(this.secondsLeft())}`);
  }

  /** The epoch's last word: the finished bar in a terminal, else one line (verbose 1 or 2). */
  epochEnd(epoch: number, logs: Logs): void {
    this.open = false;
    const seconds = (Date.now() - this.began) / 1000;
    if (this.out) {
      this.draw(`${Math.round(seconds)}s ${perStep(seconds / Math.max(this.done, 1))}`, logs);
      this.out.write('\n');
    } else if (this.verbose !== 0) {
      console.log(`Epoch ${epoch + 1}/${this.epochs} - ${this.steps} steps - ${seconds.toFixed(2)}s - ${formatLogs(logs)}`);
    }
  }

  private secondsLeft(): number {
    const elapsed = (Date.now() - this.began) / 1000;
    return this.done > 0 ? (elapsed / this.done) * (this.steps - this.done) : 0;
  }

  /** "12/40 [=======>......................] - ETA: 3s - loss: 0.1234", rewriting the line. */
  private draw(timing: string, logs = this.latest): void {
    this.lastDraw = Date.now();
    const filled = Math.floor((BAR_WIDTH * this.done) / this.steps);
    const head = this.done >= this.steps ? '=' : '>';
    const bar = filled > 0 ? '='.repeat(filled - 1) + head : '';
    const count = `${String(this.done).padStart(String(this.steps).length)}/${this.steps}`;
    const values = logs ? ` - ${formatLogs(logs)}` : '';
    this.out!.write(`\r${count} [${bar}${'.'.repeat(BAR_WIDTH - bar.length)}] - ${timing}${values}${ERASE}`);
  }
}
