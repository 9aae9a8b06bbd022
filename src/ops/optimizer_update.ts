// The fused optimizer updates (shaders/optimizer_*.wgsl): one kernel reads each gradient and the
// optimizer's slots and writes the new weight and slots in place, for several variables per
// dispatch (4 for plain SGD, 2 for the others: as many as 8 storage bindings hold), adding the
// gradient of a variable's L1/L2 penalty on the way when it is given one, then clipping it.
//
// Clipping (Keras 3) acts on that whole gradient, penalty's term included. By value it is a clamp
// in the update kernel: no dispatch more. By norm (clipnorm, globalClipnorm) the norms come
// first, on the GPU, into a small buffer of scales that the update kernel reads (nothing is read
// back): ⌈V/3⌉ dispatches of partial sums for V variables, plus 1 that turns them into scales.
// The update kernels then bind that buffer too, which leaves room for fewer variables per
// dispatch where 8 storage bindings were full: plain SGD 3 (of 4), Adam and RMSprop with momentum
// 1 (of 2); SGD with momentum and plain RMSprop keep 2.
import { Storage } from '../device/storage';
import { WebgradError } from '../errors';
import { type AnyKernel, checkBindable, grid } from '../kernels/kernel';
import {
  adamKernel, adamNormKernel, gradNormPartialKernel, gradNormScaleKernel, rmspropKernel, rmspropMomentumKernel, rmspropMomentumNormKernel, sgdKernel, sgdMomentumKernel, sgdNormKernel,
} from '../kernels/optimizers';
import { copyElements, writeElements } from '../tensor/copy';
import type { Tensor } from '../tensor/tensor';
import type { Variable } from '../tensor/variable';
import type { PenaltyFactors } from './penalty';

/**
 * An update rule and its hyperparameters for one step, as the shaders' headers state them; `decay`
 * is Keras's decoupled weight decay times the learning rate (0: none), and Adam's `alpha` carries
 * the step's bias correction, α = lr·√(1 − β2^t) / (1 − β1^t).
 */
export type UpdateRule = (
  | { rule: 'sgd'; learningRate: number; momentum: number; nesterov: boolean; decay: number }
  | { rule: 'adam'; alpha: number; beta1: number; beta2: number; epsilon: number; decay: number }
  | { rule: 'rmsprop'; learningRate: number; rho: number; momentum: number; epsilon: number; decay: number }
) & { clip?: GradientClip };

/**
 * Keras 3's gradient clipping: 'value' clamps each element to [−limit, limit]; 'norm' rescales
 * each variable's gradient g to g·limit / max(‖g‖, limit); 'global' rescales every gradient by
 * limit / max(‖(g₁, g₂, ...)‖, limit), the norm taken over all the step's gradients.
 */
export interface GradientClip {
  mode: 'value' | 'norm' | 'global';
  limit: number;
}

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
 * dispatch takes, the length of its `slots` array, and the binding of the norm scales where it
 * has one.
 */
interface UpdateKernel {
  kernel: AnyKernel;
  constants: Record<string, boolean | number>;
  header: Record<string, number>;
  slots: number;
  perDispatch: number;
  paramSlots: number;
  scales?: string;
}

/** The kernels' CLIP codes. */
const clipCodes = { none: 0, value: 1, norm: 2, global: 2 } as const;

function kernelOf(u: UpdateRule): UpdateKernel {
  const byNorm = u.clip?.mode === 'norm' || u.clip?.mode === 'global';
  const CLIP = clipCodes[u.clip?.mode ?? 'none'];
  const clip = u.clip?.limit ?? 0;
  switch (u.rule) {
    case 'sgd': {
      const header = { lr: u.learningRate, momentum: u.momentum, decay: u.decay, clip };
      if (u.momentum !== 0) {
        return { kernel: sgdMomentumKernel, constants: { NESTEROV: u.nesterov, CLIP }, header, slots: 1, perDispatch: 2, paramSlots: 4, scales: 'scales' };
      }
      return byNorm
        ? { kernel: sgdNormKernel, constants: { CLIP }, header, slots: 0, perDispatch: 3, paramSlots: 4, scales: 'scales' }
        : { kernel: sgdKernel, constants: { CLIP }, header, slots: 0, perDispatch: 4, paramSlots: 4 };
    }
    case 'adam': {
      const header = { alpha: u.alpha, beta1: u.beta1, beta2: u.beta2, epsilon: u.epsilon, decay: u.decay, clip };
      return byNorm
        ? { kernel: adamNormKernel, constants: { CLIP }, header, slots: 2, perDispatch: 1, paramSlots: 2, scales: 'scales' }
        : { kernel: adamKernel, constants: { CLIP }, header, slots: 2, perDispatch: 2, paramSlots: 2 };
    }
    case 'rmsprop': {
      const header = { lr: u.learningRate, rho: u.rho, momentum: u.momentum, epsilon: u.epsilon, decay: u.decay, clip };
      if (u.momentum === 0) return { kernel: rmspropKernel, constants: { CLIP }, header, slots: 1, perDispatch: 2, paramSlots: 2, scales: 'scales' };
      return byNorm
        ? { kernel: rmspropMomentumNormKernel, constants: { CLIP }, header, slots: 2, perDispatch: 1, paramSlots: 2, scales: 'mscales' }
        : { kernel: rmspropMomentumKernel, constants: { CLIP }, header, slots: 2, perDispatch: 2, paramSlots: 2 };
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
  // Encoded before any update: the norms are those of this step's gradients at the weights before it.
  const scales = u.clip && u.clip.mode !== 'value' ? clipScales(updates, u.clip) : null;
  // Each variable's bindings: the weight (written), the gradient (read), the slots (written).
  // WebGPU refuses a buffer bound twice in one dispatch where either binding is writable, so a
  // variable whose storage clashes with what the group binds already starts a new dispatch.
  let group: Group = [];
  const run = () => {
    if (group.length) encodeGroup(kernel, group, scales, next);
    group = [];
  };
  for (const [index, update] of updates.entries()) {
    const gradient = update.gradient.storageFor('applyGradients'); // before the variable may move to a new buffer
    const writable = [writableStorage(update.variable, update.gradient), ...update.slots.map((s) => s.storageFor('applyGradients'))];
    const taken = new Set(group.flatMap((e) => e.storages));
    const takenWritable = new Set(group.flatMap((e) => [e.storages[0], ...e.storages.slice(2)]));
    if (group.length === kernel.perDispatch || writable.some((b) => taken.has(b)) || takenWritable.has(gradient)) run();
    // Its entry in the scales: its own under clipnorm, the one shared entry under globalClipnorm.
    const scale = u.clip?.mode === 'global' ? 0 : index;
    group.push({ update, scale, storages: [writable[0], gradient, ...writable.slice(1)] });
  }
  run();
  scales?.release();
}

/** The variables of one dispatch: each update, its entry in the scales, its storages as bound. */
type Group = Array<{ update: VariableUpdate; scale: number; storages: Storage[] }>;

/** One dispatch updating the variables of `group`; the slots it leaves unused get placeholders. */
function encodeGroup(
  { kernel, constants, header, slots: perSlots, perDispatch, paramSlots, scales: scalesName }: UpdateKernel,
  group: Group,
  scales: Storage | null,
  next: (() => UpdateRule) | undefined,
): void {
  let total = 0;
  const slots: Array<{ end: number; l1: number; l2: number; scale: number }> = [];
  for (const { update, scale } of group) {
    const pen = update.penalty;
    slots.push({ end: (total += Math.ceil(update.variable.size / 4)), l1: pen?.l1 ?? 0, l2: pen?.l2 ?? 0, scale });
  }
  // Slots past the group repeat the last end with no penalty: empty ranges.
  while (slots.length < paramSlots) slots.push({ end: total, l1: 0, l2: 0, scale: 0 });
  const perVariable = 2 + perSlots;
  const names = Object.keys(kernel.decl.bindings);
  const bindings: Record<string, Storage | null> = {};
  for (let s = 0; s < perDispatch; s++) {
    for (let b = 0; b < perVariable; b++) bindings[names[s * perVariable + b]] = group[s]?.storages[b] ?? null;
  }
  if (scalesName) bindings[scalesName] = scales;
  const refresh = next && (() => kernelOf(next()).header);
  kernel.launch({ op: 'applyGradients', constants, uniforms: { ...header, total, slots }, bindings, groups: kernel.blocks(4 * total), refresh });
}

/** Lanes of a partial-sum workgroup, and vec4s of a chunk (shaders/optimizer_norm.wgsl). */
const LANES = 64;
const CHUNK_VEC4S = 1024;
/** Variables one partial-sum dispatch binds: (w, g) each, and the partial sums. */
const NORMS_PER_DISPATCH = 3;

const chunksOf = (size: number) => Math.ceil(size / 4 / CHUNK_VEC4S);

/**
 * The scales of clipping by norm for `updates` (shaders/optimizer_norm.wgsl): one per variable
 * ('norm', in the order of `updates`) or one for all ('global'), in a buffer the caller releases.
 * ⌈V/3⌉ + 1 dispatches and one small table upload.
 */
function clipScales(updates: readonly VariableUpdate[], clip: GradientClip): Storage {
  const chunks = updates.map((u) => chunksOf(u.variable.size));
  const allChunks = chunks.reduce((a, b) => a + b, 0);
  checkBindable('applyGradients', LANES * allChunks);
  const partials = new Storage(LANES * Math.max(allChunks, 1));
  const uniforms = { base: 0, chunks: 0, segments: 0, clip: clip.limit };
  let base = 0;
  for (let first = 0; first < updates.length; first += NORMS_PER_DISPATCH) {
    const group = updates.slice(first, first + NORMS_PER_DISPATCH);
    let end = 0;
    const slots = group.map(({ variable, penalty }, s) => ({ end: (end += chunks[first + s]), size: variable.size, l1: penalty?.l1 ?? 0, l2: penalty?.l2 ?? 0 }));
    if (end > 0) {
      const pair = (s: number): [Storage | null, Storage | null] => {
        const u = group[s];
        return u ? [u.variable.storageFor('applyGradients'), u.gradient.storageFor('applyGradients')] : [null, null];
      };
      const [[w0, g0], [w1, g1], [w2, g2]] = [pair(0), pair(1), pair(2)];
      gradNormPartialKernel.launch({
        op: 'applyGradients',
        uniforms: { ...uniforms, base, chunks: end, slots },
        bindings: { w0, g0, w1, g1, w2, g2, partials },
        groups: grid(end),
      });
    }
    base += end;
  }
  // Segment k adds the partials of chunks [bounds[k], bounds[k + 1]).
  const global = clip.mode === 'global';
  let at = 0;
  const bounds = global ? [0, allChunks] : [0, ...chunks.map((c) => (at += c))];
  const segments = bounds.length - 1;
  const table = new Storage(bounds.length);
  writeElements(table, new Uint32Array(bounds), 'applyGradients');
  const scales = new Storage(segments);
  gradNormScaleKernel.launch({
    op: 'applyGradients',
    constants: { GLOBAL: global },
    uniforms: { ...uniforms, segments, slots: [] },
    bindings: { table, sums: partials, scales },
    groups: grid(segments),
  });
  table.release();
  partials.release();
  return scales;
}

/**
 * The storage to update in place. A variable's buffer may be viewed elsewhere: a tape that saved
 * the value for a later gradient, a reshape the user kept. Those must keep seeing the old value
 * (Variable.assign's contract), so a shared buffer is first copied to a fresh one the variable
 * adopts; the kernel then writes that copy. In training nothing else holds the buffer by the
 * time the update runs, so the usual path writes in place and allocates nothing.
 */
export function writableStorage(v: Variable, g: Tensor): Storage {
  const current = v.storage;
  if (current.refs === 1 && g.storage !== current) return current;
  const next = new Storage(v.size);
  copyElements(current, 0, next, 0, v.size, 'applyGradients');
  v.adopt(next);
  return next;
}
