// The fused optimizer updates (shaders/optimizer_*.wgsl): one kernel reads each gradient and the
// optimizer's slots and writes the new weight and slots in place, for several variables per
// dispatch (4 for plain SGD, 2 for the others: as many as 8 storage bindings hold), adding the
// gradient of a variable's L1/L2 penalty on the way when it is given one.
import { Storage } from '../device/storage';
import { WebgradError } from '../errors';
import { type AnyKernel, checkBindable } from '../kernels/kernel';
import { adamKernel, rmspropKernel, rmspropMomentumKernel, sgdKernel, sgdMomentumKernel } from '../kernels/optimizers';
import { copyElements } from '../tensor/copy';
import type { Tensor } from '../tensor/tensor';
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
 * A rule's kernel (its bindings per variable: weight, gradient, then the slots), the
 * hyperparameters that open its uniforms, the slots each variable binds, how many variables one
 * dispatch takes and the length of its `slots` array.
 */
interface UpdateKernel {
  kernel: AnyKernel;
  constants?: Record<string, boolean>;
  header: Record<string, number>;
  slots: number;
  perDispatch: number;
  paramSlots: number;
}

function kernelOf(u: UpdateRule): UpdateKernel {
  switch (u.rule) {
    case 'sgd': {
      const header = { lr: u.learningRate, momentum: u.momentum, decay: u.decay };
      return u.momentum === 0
        ? { kernel: sgdKernel, header, slots: 0, perDispatch: 4, paramSlots: 4 }
        : { kernel: sgdMomentumKernel, constants: { NESTEROV: u.nesterov }, header, slots: 1, perDispatch: 2, paramSlots: 4 };
    }
    case 'adam':
      return {
        kernel: adamKernel,
        header: { alpha: u.alpha, beta1: u.beta1, beta2: u.beta2, epsilon: u.epsilon, decay: u.decay },
        slots: 2,
        perDispatch: 2,
        paramSlots: 2,
      };
    case 'rmsprop': {
      const header = { lr: u.learningRate, rho: u.rho, momentum: u.momentum, epsilon: u.epsilon, decay: u.decay };
      return u.momentum > 0
        ? { kernel: rmspropMomentumKernel, header, slots: 2, perDispatch: 2, paramSlots: 2 }
        : { kernel: rmspropKernel, header, slots: 1, perDispatch: 2, paramSlots: 2 };
    }
  }
}

/** How many slot tensors (moments, velocities) each variable needs under `u`. */
export function slotCount(u: UpdateRule): number {
  return kernelOf(u).slots;
}

/**
 * Encodes the update of every variable of `updates` by rule `u`, in as few dispatches as the
 * bindings allow. `next` gives the rule of a replayed step (compileStep): its hyperparameters
 * may change per step (Adam's bias correction), its kind may not.
 */
export function applyUpdate(u: UpdateRule, updates: readonly VariableUpdate[], next?: () => UpdateRule): void {
  const kernel = kernelOf(u);
  for (const { variable, gradient, slots } of updates) {
    if (slots.length !== kernel.slots) throw new WebgradError(`applyGradients: '${variable.name}' has ${slots.length} slots, the ${u.rule} update takes ${kernel.slots}.`);
    // Every dispatch's bindings, checked before the first dispatch (or copy) is encoded.
    checkBindable('applyGradients', variable.size, gradient.size, ...slots.map((s) => s.size));
  }
  // Each variable's bindings: the weight (written), the gradient (read), the slots (written).
  // WebGPU refuses a buffer bound twice in one dispatch where either binding is writable, so a
  // variable whose storage clashes with what the group binds already starts a new dispatch.
  let group: Array<{ update: VariableUpdate; storages: Storage[] }> = [];
  const run = () => {
    if (group.length) encodeGroup(kernel, group, next);
    group = [];
  };
  for (const update of updates) {
    const gradient = update.gradient.storageFor('applyGradients'); // before the variable may move to a new buffer
    const writable = [writableStorage(update.variable, update.gradient), ...update.slots.map((s) => s.storageFor('applyGradients'))];
    const taken = new Set(group.flatMap((e) => e.storages));
    const takenWritable = new Set(group.flatMap((e) => [e.storages[0], ...e.storages.slice(2)]));
    if (group.length === kernel.perDispatch || writable.some((b) => taken.has(b)) || takenWritable.has(gradient)) run();
    group.push({ update, storages: [writable[0], gradient, ...writable.slice(1)] });
  }
  run();
}

/** One dispatch updating the variables of `group`; the slots it leaves unused get placeholders. */
function encodeGroup(
  { kernel, constants, header, slots: perSlots, perDispatch, paramSlots }: UpdateKernel,
  group: ReadonlyArray<{ update: VariableUpdate; storages: Storage[] }>,
  next: (() => UpdateRule) | undefined,
): void {
  let total = 0;
  const slots: Array<{ end: number; l1: number; l2: number }> = [];
  for (const { update } of group) {
    const pen = update.penalty;
    slots.push({ end: (total += Math.ceil(update.variable.size / 4)), l1: pen?.l1 ?? 0, l2: pen?.l2 ?? 0 });
  }
  // Slots past the group repeat the last end with no penalty: empty ranges.
  while (slots.length < paramSlots) slots.push({ end: total, l1: 0, l2: 0 });
  const perVariable = 2 + perSlots;
  const names = Object.keys(kernel.decl.bindings);
  const bindings: Record<string, Storage | null> = {};
  for (let s = 0; s < perDispatch; s++) {
    for (let b = 0; b < perVariable; b++) bindings[names[s * perVariable + b]] = group[s]?.storages[b] ?? null;
  }
  const refresh = next && (() => kernelOf(next()).header);
  kernel.launch({ op: 'applyGradients', constants, uniforms: { ...header, total, slots }, bindings, groups: kernel.blocks(4 * total), refresh });
}

/**
 * The storage to update in place. A variable's buffer may be viewed elsewhere: a tape that saved
 * the value for a later gradient, a reshape the user kept. Those must keep seeing the old value
 * (Variable.assign's contract), so a shared buffer is first copied to a fresh one the variable
 * adopts; the kernel then writes that copy. In training nothing else holds the buffer by the
 * time the update runs, so the usual path writes in place and allocates nothing.
 */
function writableStorage(v: Variable, g: Tensor): Storage {
  const current = v.storage;
  if (current.refs === 1 && g.storage !== current) return current;
  const next = new Storage(v.size);
  copyElements(current, 0, next, 0, v.size, 'applyGradients');
  v.adopt(next);
  return next;
}
