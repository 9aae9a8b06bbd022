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
