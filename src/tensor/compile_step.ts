// compileStep: a step function captured once and replayed. A small model's training step costs
// far more JavaScript (op wrappers, the tape, shape checks, pipeline and bind-group lookups) than
// GPU time. A compiled step runs its function the ordinary way on its first call; the next call
// with inputs of the same shapes runs it again while recording every command it encodes
// (src/device/capture.ts); from then on a call copies its inputs into the step's own input
// buffers (CUDA graphs' static inputs), runs the few host functions the step registered (an
// optimizer's iteration count, a dropout layer's seeds) and encodes the recorded commands.
import { Recording } from '../device/capture';
import { engine, isLiveGeneration } from '../device/engine';
import { Storage } from '../device/storage';
import { InvalidArgumentError } from '../errors';
import type { DType } from '../kernels/kernel';
import { copyElements } from './copy';
import { sameShape } from './shape';
import { emptyTensor, Tensor, tidy } from './tensor';
import { Variable } from './variable';

/** What a compiled step's function may return for its replays to return the same. */
export type StepResult = void | Tensor | Tensor[];

export interface CompiledStep<A extends Tensor[], R extends StepResult> {
  (...inputs: A): R;
  /** Frees the buffers the step keeps for its replays; a later call captures it afresh. */
  dispose(): void;
}

export interface CompileStepOptions {
  /**
   * Values the step depends on besides its inputs' shapes and the tensors it uses (a model's list
   * of weights, an options object): when any differs (by identity) from the last call's, the
   * step runs the ordinary way and is captured again.
   */
  state?: () => readonly unknown[];
}

/** Shapes per step kept at once (a fit's full batches and its last, smaller one). */
const MAX_SIGNATURES = 4;
/** Captures that may fail in a row (the step kept making new state) before a shape stops trying. */
const MAX_FAILED_CAPTURES = 2;

/** Runs `fn` again at this point of every replay of the step being captured (host-side state a step advances). */
export function eachReplay(fn: () => void): void {
  engine().stream.recording?.eachReplay(fn);
}

/**
 * Frees the captures that can no longer replay because a tensor they use was disposed (a model's
 * weights, by `model.dispose()`): their buffers go back to the pool now, not at the step's next
 * call or `releaseMemory`, which may never come for a step kept out of sight (trainOnBatch's).
 */
export function releaseStaleSteps(): void {
  for (const step of [...engine().captured]) if (step instanceof Captured && !step.valid()) step.dispose();
}

/** A tensor from before the step whose storage the step uses; a replay needs it unchanged. */
interface Holder {
  tensor: Tensor;
  storage: Storage;
  /** A variable's trainable flag when captured: freezing a layer changes what the step computes. */
  trainable: boolean | null;
}

/** A tensor's storage, shape and dtype without a tensor object (the step's own, counted by no tidy). */
interface Slot {
  storage: Storage;
  shape: readonly number[];
  dtype: DType;
}

/** A step captured for one signature of inputs. */
class Captured<R extends StepResult> {
  private released = false;

  constructor(
    private readonly generation: number,
    private readonly recording: Recording,
    /** The step's input buffers; each call's inputs are copied in. */
    private readonly inputs: Slot[],
    /** The buffers of the step's results; each call returns copies. */
    readonly outputSlots: Slot[],
    private readonly form: 'none' | 'one' | 'many',
    /** Storages from before the step that it uses. */
    private readonly storages: Storage[],
    private readonly holders: Holder[],
    /** The storages only the step holds (counted as claimed, not live). */
    private readonly own: Storage[],
  ) {
    const e = engine();
    e.captured.add(this);
    for (const storage of own) e.pool.hold(storage.buffer);
  }

  valid(): boolean {
    if (this.released || !isLiveGeneration(this.generation)) return false;
    for (const s of this.storages) if (s.refs <= 0) return false;
    for (const h of this.holders) {
      if (h.tensor.isDisposed || h.tensor.storage !== h.storage) return false;
      if (h.trainable !== null && (h.tensor as Variable).trainable !== h.trainable) return false;
    }
    return true;
  }

  run(inputs: Tensor[]): R {
    for (let i = 0; i < inputs.length; i++) copyElements(inputs[i], 0, this.inputs[i].storage, 0, inputs[i].size, 'compileStep');
    this.recording.replay(engine().stream);
    return resultOf(this.form, this.outputSlots) as R;
  }

  /** Frees the step's buffers (by `dispose`, a new capture, or releaseMemory). */
  dispose(): void {
    if (this.released) return;
    this.released = true;
    if (isLiveGeneration(this.generation)) {
      const e = engine();
      e.captured.delete(this);
      this.recording.release(e.pool);
      for (const storage of this.own) e.pool.unhold(storage.buffer);
    }
    for (const slot of [...this.inputs, ...this.outputSlots]) slot.storage.release();
  }
}

/** A tensor of its own holding what `slot` holds now. */
function copySlot({ storage, shape, dtype }: Slot): Tensor {
  const t = emptyTensor(shape, dtype);
  copyElements(storage, 0, t, 0, t.size, 'compileStep');
  return t;
}

/** The step's result in its form: a copy of each output. */
function resultOf(form: 'none' | 'one' | 'many', outputs: Slot[]): StepResult {
  if (form === 'none') return undefined;
  return form === 'one' ? copySlot(outputs[0]) : outputs.map(copySlot);
}

/** What a replay needs to match: the inputs' shapes and dtypes, and the caller's state values. */
interface Signature<R extends StepResult> {
  shapes: Array<readonly number[]>;
  dtypes: string[];
  state: readonly unknown[];
  calls: number;
  failures: number;
  captured: Captured<R> | null;
}

/**
 * Compiles `fn`, a step of synchronous tensor code (forward, gradients, optimizer update), into a
 * function that replays its GPU commands rather than running it again. `fn` runs inside `tidy`
 * (what it creates and does not return is disposed); it may return nothing, a tensor or an array
 * of tensors, and each call returns tensors of its own.
 *
 * A replay does what a call of `fn` would: it reads the current values of every tensor and
 * variable `fn` used, updates the variables it updated, advances optimizer iteration counts and
 * dropout seeds. The step is captured again whenever the inputs' shapes or dtypes change, a
 * tensor it used was disposed or given a new value by `assign`, a variable's `trainable` flag
 * changed, or `opts.state` gives other values; it runs the ordinary way when a capture is not
 * sound (it made new state that outlives it, read a tensor back, returned something else).
 * Host-side effects of `fn` beyond those (logging, counters of your own) do not replay.
 */
export function compileStep<A extends Tensor[], R extends StepResult>(fn: (...inputs: A) => R, opts: CompileStepOptions = {}): CompiledStep<A, R> {
  if (typeof fn !== 'function') throw new InvalidArgumentError('compileStep: expects a function.');
  const signatures: Array<Signature<R>> = [];

  const plain = (inputs: A): R => tidy(() => fn(...inputs));

  const signatureOf = (inputs: Tensor[]): Signature<R> => {
    for (const s of signatures) {
      if (s.shapes.length !== inputs.length) continue;
      let same = true;
      for (let i = 0; i < inputs.length && same; i++) same = s.dtypes[i] === inputs[i].dtype && sameShape(s.shapes[i], inputs[i].shape);
      if (same) return s;
    }
    if (signatures.length === MAX_SIGNATURES) signatures.shift()!.captured?.dispose();
    const s: Signature<R> = { shapes: inputs.map((t) => t.shape), dtypes: inputs.map((t) => t.dtype), state: [], calls: 0, failures: 0, captured: null };
    signatures.push(s);
    return s;
  };

  const step = (...inputs: A): R => {
    for (let i = 0; i < inputs.length; i++) {
      const t = inputs[i];
      if (!(t instanceof Tensor)) throw new InvalidArgumentError(`compileStep: input ${i} is not a Tensor.`);
      t.assertUsable('compileStep');
    }
    const e = engine();
    if (e.stream.recording || e.profiler || !e.captureSteps) return plain(inputs);
    const s = signatureOf(inputs);
    const state = opts.state?.() ?? [];
    let sameState = state.length === s.state.length;
    for (let i = 0; i < state.length && sameState; i++) sameState = state[i] === s.state[i];
    if (s.captured && sameState && s.captured.valid()) return s.captured.run(inputs);
    if (s.captured) {
      s.captured.dispose();
      s.captured = null;
    }
    s.state = state;
    // The first call sets up what later calls find made (built layers, optimizer slots).
    if (s.calls++ === 0 || s.failures >= MAX_FAILED_CAPTURES) return plain(inputs);
    return capture(s, inputs);
  };

  const capture = (s: Signature<R>, inputs: A): R => {
    const e = engine();
    const firstId = e.nextTensorId;
    const owned = inputs.map((t) => {
      const storage = new Storage(t.size);
      copyElements(t, 0, storage, 0, t.size, 'compileStep');
      return new Tensor(t.shape, storage, false, t.dtype);
    });
    const recording = new Recording(e.stream.uniformAlign);
    e.stream.recording = recording;
    e.pool.recording = recording;
    let result: R;
    let outputs: Tensor[] | null;
    try {
      result = tidy(() => fn(...(owned as A)));
      outputs = result === undefined ? [] : result instanceof Tensor ? [result] : Array.isArray(result) && result.every((t) => t instanceof Tensor) ? result : null;
      keepVariablesInPlace(recording);
    } catch (err) {
      e.stream.recording = null;
      e.pool.endRecording(recording);
      for (const t of owned) t.dispose();
      throw err;
    }
    e.stream.recording = null;
    const reason = recording.unreplayable ?? (outputs ? recording.settle(e.pool, outputs.map((t) => t.storage)) : 'its result is not a tensor or an array of tensors');
    e.pool.endRecording(recording);
    if (reason !== null || !outputs) {
      s.failures++;
      for (const t of owned) t.dispose();
      return result;
    }
    s.failures = 0;
    recording.finish(e.device, e.pool);
    const holders: Holder[] = [];
    const storages: Storage[] = [];
    for (const { storage, holders: named } of recording.external()) {
      storages.push(storage);
      for (const h of named) {
        if (h instanceof Tensor && h.id < firstId) holders.push({ tensor: h, storage, trainable: h instanceof Variable ? h.trainable : null });
      }
    }
    const slot = (t: Tensor): Slot => ({ storage: t.storage.retain(), shape: t.shape, dtype: t.dtype });
    const form = result === undefined ? 'none' : result instanceof Tensor ? 'one' : 'many';
    const [inputSlots, outputSlots] = [owned.map(slot), outputs.map(slot)];
    const own = new Set([...inputSlots.map((i) => i.storage), ...outputSlots.map((o) => o.storage).filter((o) => recording.acquired.has(o.buffer))]);
    const captured = new Captured<R>(e.generation, recording, inputSlots, outputSlots, form, storages, holders, [...own]);
    s.captured = captured;
    for (const t of [...owned, ...outputs]) t.dispose();
    // The caller gets copies, as from every replay; the step keeps the buffers it writes.
    return resultOf(form, captured.outputSlots) as R;
  };

  return Object.assign(step, {
    dispose() {
      for (const s of signatures) s.captured?.dispose();
      signatures.length = 0;
    },
  });
}

/**
 * A variable that took a new buffer during the step (an update that found its buffer shared,
 * an `assign`) is given back the buffer it held before, with the new value copied in: the
 * replays then read and write the same buffers every time.
 */
function keepVariablesInPlace(recording: Recording): void {
  for (const [holder, before] of recording.adopted) {
    const v = holder as Variable;
    if (v.isDisposed || v.storage === before || before.refs !== 0 || !recording.held.has(before.buffer)) continue;
    before.revive();
    copyElements(v, 0, before, 0, v.size, 'compileStep');
    v.adopt(before);
  }
}
