/**
 * Typed errors. Every check that can fail runs before any GPU work is encoded, so a thrown
 * error never leaves half-written buffers or a half-recorded tape behind.
 */
export class WebgradError extends Error {
  // Spelled out in each class rather than read from the constructor, which minifiers rename.
  override name = 'WebgradError';
}

/** No WebGPU adapter: the message says how to get one. */
export class WebGPUUnavailableError extends WebgradError {
  override name = 'WebGPUUnavailableError';
}

/** Operand shapes that do not fit the op; the message names the op and every shape. */
export class ShapeError extends WebgradError {
  override name = 'ShapeError';
}

/** A tensor was used after `dispose()`. */
export class DisposedTensorError extends WebgradError {
  override name = 'DisposedTensorError';
}

/** The GPU device was lost or destroyed; `init()` again starts afresh. */
export class DeviceLostError extends WebgradError {
  override name = 'DeviceLostError';
}

/**
 * webgrad was used before `await init()`. A kind of DeviceLostError (there is no device yet), so
 * code that catches that one catches this too.
 */
export class NotInitializedError extends DeviceLostError {
  override name = 'NotInitializedError';
}

/** An argument with the wrong value or type (a negative factor, an unknown name, a bad dtype). */
export class InvalidArgumentError extends WebgradError {
  override name = 'InvalidArgumentError';
}

/**
 * A size beyond one of the device's limits (a buffer larger than `maxBufferSize`, a kernel binding
 * larger than `maxStorageBufferBindingSize`), found before any of the op's work is encoded: the
 * rest of the batch runs as if the op had never been called. The message names the op, the size
 * and the limit.
 */
export class ResourceLimitError extends InvalidArgumentError {
  override name = 'ResourceLimitError';
  constructor(
    readonly op: string,
    /** The bytes asked for. */
    readonly bytes: number,
    /** The WebGPU limit, e.g. 'maxStorageBufferBindingSize'. */
    readonly limit: string,
    /** Its value on this device, in bytes. */
    readonly limitBytes: number,
    what = 'a buffer',
  ) {
    super(`${op}: ${what} of ${bytes} bytes exceeds this device's ${limit} (${limitBytes} bytes).`);
  }
}

/** A misuse of `GradientTape` (a second `gradient` on a non-persistent tape, a disposed tape). */
export class GradientTapeError extends WebgradError {
  override name = 'GradientTapeError';
}

/** A WGSL file that failed to compile; the message gives `shaders/file.wgsl:line:column`. */
export class ShaderCompileError extends WebgradError {
  override name = 'ShaderCompileError';
}

/** Saved artifacts that are malformed, truncated or do not match the model. */
export class ModelFormatError extends WebgradError {
  override name = 'ModelFormatError';
}

/** Saved artifacts could not be read or written (a missing file, an HTTP error, no IndexedDB here). */
export class ModelIOError extends WebgradError {
  override name = 'ModelIOError';
}

/** Non-finite values (NaN, ±Infinity) where finite ones are required. */
export class NonFiniteError extends WebgradError {
  override name = 'NonFiniteError';
}

/**
 * `fit` or `trainOnBatch` on a model that is already training (another call not yet settled):
 * its steps would interleave with the other's. Await the first call, then start the next.
 */
export class TrainingInProgressError extends WebgradError {
  override name = 'TrainingInProgressError';
}

/** Any value, briefly, for an error message; never throws (BigInts, objects without a prototype). */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value !== 'object' || value === null) return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * The fewest single-character insertions, deletions, substitutions and swaps of neighbours that
 * turn a into b (optimal string alignment distance): 'adma' is one swap from 'adam'.
 */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** Keras's snake_case spelling in camelCase: 'learning_rate' → 'learningRate', 'beta_1' → 'beta1'. */
function camelCase(key: string): string {
  return key.replace(/_+([a-z0-9])/gi, (_, c: string) => c.toUpperCase());
}

/**
 * The valid key a mistyped `key` most likely meant: its camelCase form when that is valid (Keras
 * names), a known alias, else the nearest by edit distance (ignoring case) when it is near enough
 * to be a slip: 1 edit for keys of one or two characters, else 2 or a third of the key's length.
 */
export function nearestKey(key: string, valid: readonly string[], aliases: Readonly<Record<string, string>> = {}): string | undefined {
  const camel = camelCase(key);
  if (valid.includes(camel)) return camel;
  if (Object.hasOwn(aliases, key)) return aliases[key];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const v of valid) {
    const d = editDistance(camel.toLowerCase(), v.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [v, d];
  }
  const slip = key.length < 3 ? 1 : Math.max(2, Math.floor(key.length / 3));
  return bestDistance <= slip ? best : undefined;
}

/** "; did you mean 'x'?" for a mistyped name, or nothing when no valid one is near. */
export function didYouMean(name: unknown, valid: readonly string[]): string {
  const guess = typeof name === 'string' ? nearestKey(name, valid) : undefined;
  return guess ? `; did you mean '${guess}'?` : '';
}

/**
 * Throws InvalidArgumentError for the first key of an options object that `op` does not know,
 * naming it and the valid key it most likely meant: a misspelled option would otherwise be
 * dropped without a word and its default used.
 */
export function checkOptionKeys(op: string, options: object, valid: readonly string[], aliases?: Readonly<Record<string, string>>): void {
  for (const key of Object.keys(options)) {
    if (valid.includes(key)) continue;
    const guess = nearestKey(key, valid, aliases);
    const hint = guess ? `; did you mean '${guess}'?` : '.';
    throw new InvalidArgumentError(`${op}: unknown option '${key}'${hint} Valid options: ${valid.join(', ')}.`);
  }
}
