// The fused optimizer updates (shaders/optimizer_*.wgsl): one kernel reads each gradient and the
// optimizer's slots and writes the new weight and slots in place, for several variables per
// dispatch (4 for plain SGD, 2 for the others: as many as 8 storage bindings hold), adding the
// gradient of a variable's L1/L2 penalty on the way when it is given one.
import { dispatch, elementwiseGrid, encodeCopy, type KernelSpec, Params, placeholderBuffer } from '../device/kernels';
import { WebgradError } from '../errors';
import { Storage, type Tensor } from '../tensor/tensor';
import type { Variable } from '../tensor/variable';
import type { PenaltyFactors } from './penalty';

/**
 * An update rule and its hyperparameters for one step, as the shaders' headers state them; `decay`
 * is Keras's decoupled weight decay times the learning rate (0: none), and Adam's `alpha` carries
 * the step's bias correction, α = lr·√(1 − β2^t) / (1 − β1^t).
 */
export type UpdateRule =
  | { rule: 'sgd'; learningRate: number; momentum: number; nesterov: boolean; decay: number }
  | { rule: 'adam'; alpha: number; beta1: number; beta2: number; epsilon: number; decay: number }
  | { rule: 'rmsprop'; learningRate: number; rho: number; momentum: number; epsilon: number; decay: number };

export interface VariableUpdate {
  variable: Variable;
  /** Same shape as the variable. */
  gradient: Tensor;
  /** The optimizer's state for the variable: `slotCount(rule)` tensors of its shape. */
  slots: readonly Tensor[];
  /** A penalty l1·Σ|w| + l2·Σw² whose gradient the kernel adds to `gradient`. */
  penalty?: PenaltyFactors;
}

/**
 * A rule's kernel: the hyperparameters that open its Params (before `total`), the slots each
 * variable binds, how many variables one dispatch takes and the length of its `slots` array.
 */
interface UpdateKernel {
  spec: KernelSpec;
  header: number[];
  slots: number;
  perDispatch: number;
  paramSlots: number;
}

function kernelOf(u: UpdateRule): UpdateKernel {
  switch (u.rule) {
    case 'sgd': {
      const header = [u.learningRate, u.momentum, u.decay];
      return u.momentum === 0
        ? { spec: { shader: 'optimizer_sgd', entry: 'plain' }, header, slots: 0, perDispatch: 4, paramSlots: 4 }
        : { spec: { shader: 'optimizer_sgd', entry: 'momentum', constants: { NESTEROV: u.nesterov ? 1 : 0 } }, header, slots: 1, perDispatch: 2, paramSlots: 4 };
    }
    case 'adam':
      return { spec: { shader: 'optimizer_adam' }, header: [u.alpha, u.beta1, u.beta2, u.epsilon, u.decay], slots: 2, perDispatch: 2, paramSlots: 2 };
    case 'rmsprop': {
      const header = [u.learningRate, u.rho, u.momentum, u.epsilon, u.decay];
      return u.momentum > 0
        ? { spec: { shader: 'optimizer_rmsprop', entry: 'momentum' }, header, slots: 2, perDispatch: 2, paramSlots: 2 }
        : { spec: { shader: 'optimizer_rmsprop', entry: 'plain' }, header, slots: 1, perDispatch: 2, paramSlots: 2 };
    }
  }
}

/** How many slot tensors (moments, velocities) each variable needs under `u`. */
export function slotCount(u: UpdateRule): number {
  return kernelOf(u).slots;
}

/** Encodes the update of every variable of `updates` by rule `u`, in as few dispatches as the bindings allow. */
export function applyUpdate(u: UpdateRule, updates: readonly VariableUpdate[]): void {
  const kernel = kernelOf(u);
  for (const { variable, slots } of updates) {
    if (slots.length !== kernel.slots) throw new WebgradError(`applyGradients: '${variable.name}' has ${slots.length} slots, the ${u.rule} update takes ${kernel.slots}.`);
  }
  // Each variable's bindings: the weight (written), the gradient (read), the slots (written).
  // WebGPU refuses a buffer bound twice in one dispatch where either binding is writable, so a
  // variable whose buffers clash with those already in the group starts a new dispatch.
  let group: Array<{ update: VariableUpdate; buffers: GPUBuffer[] }> = [];
  const run = () => {
    if (group.length) encodeGroup(kernel, group);
    group = [];
  };
  for (const update of updates) {
    const gradient = update.gradient.buffer('applyGradients'); // before the variable may move to a new buffer
    const writable = [writableBuffer(update.variable, update.gradient), ...update.slots.map((s) => s.buffer('applyGradients'))];
    const taken = new Set(group.flatMap((e) => e.buffers));
    const takenWritable = new Set(group.flatMap((e) => [e.buffers[0], ...e.buffers.slice(2)]));
    if (group.length === kernel.perDispatch || writable.some((b) => taken.has(b)) || takenWritable.has(gradient)) run();
    group.push({ update, buffers: [writable[0], gradient, ...writable.slice(1)] });
  }
  run();
}

/** One dispatch updating the variables of `group`; the slots it leaves unused get placeholders. */
function encodeGroup(kernel: UpdateKernel, group: ReadonlyArray<{ update: VariableUpdate; buffers: GPUBuffer[] }>): void {
  const ends: number[] = [];
  let total = 0;
  for (const { update } of group) ends.push((total += Math.ceil(update.variable.size / 4)));
  const params = new Params().f32(...kernel.header).u32(total);
  while (params.words.length % 4) params.u32(0);
  for (let s = 0; s < kernel.paramSlots; s++) {
    const pen = s < group.length ? group[s].update.penalty : undefined;
    params.u32(ends[Math.min(s, group.length - 1)]).f32(pen?.l1 ?? 0, pen?.l2 ?? 0).u32(0);
  }
  const perVariable = 2 + kernel.slots;
  const buffers: GPUBuffer[] = [];
  for (let s = 0; s < kernel.perDispatch; s++) {
    for (let b = 0; b < perVariable; b++) buffers.push(group[s]?.buffers[b] ?? placeholderBuffer(s * perVariable + b));
  }
  dispatch(kernel.spec, params, buffers, elementwiseGrid(4 * total));
}

/**
 * The buffer to update in place. A variable's buffer may be viewed elsewhere: a tape that saved
 * the value for a later gradient, a reshape the user kept. Those must keep seeing the old value
 * (Variable.assign's contract), so a shared buffer is first copied to a fresh one the variable
 * adopts; the kernel then writes that copy. In training nothing else holds the buffer by the
 * time the update runs, so the usual path writes in place and allocates nothing.
 */
function writableBuffer(v: Variable, g: Tensor): GPUBuffer {
  const current = v.storage;
  if (current.refs === 1 && g.storage !== current) return current.buffer;
  const next = new Storage(v.size);
  encodeCopy(current.buffer, 0, next.buffer, 0, v.size * 4);
  v.adopt(next);
  return next.buffer;
}
