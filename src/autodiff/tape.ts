import { GradientTapeError, InvalidArgumentError, ShapeError } from '../errors';
import { ones } from '../tensor/create';
import { fmt, sameShape } from '../tensor/shape';
import { scoped, Tensor, tidy } from '../tensor/tensor';
import { Variable } from '../tensor/variable';
import { add } from '../ops/binary';
import {
  type AccumulatingVjp, isRecording, isWatched, popRecorder, type PrimParams, type Primitive, pushRecorder, type Recorder, type TapeNode,
  type VjpRule,
} from '../ops/primitive';
import { sumTo } from '../ops/reduce';
import { vjpRules } from '../ops/rules';
import { composedRules } from './composed_rules';

/** A node plus the ids of the user-visible tensors it connects (its views have ids of their own). */
type Recorded = TapeNode & { outId: number; inIds: number[] };

/**
 * The user-visible tensor that each view held by a tape (or made by its backward pass) stands
 * for. A tape recording another tape's backward pass sees the ops run on those views, and must
 * connect them to the tensors it watches.
 */
const origins = new WeakMap<Tensor, Tensor>();
const originOf = (t: Tensor): Tensor => origins.get(t) ?? t;

/** A view of `t` that stands for what `t` stands for; `untracked` views belong to no tidy. */
function viewOf(t: Tensor, untracked = false): Tensor {
  const v = untracked ? t.alias() : t.view(t.shape);
  origins.set(v, originOf(t));
  return v;
}

/**
 * Records the ops run inside `record` (from anywhere: a layer, a getter) that depend on a watched
 * tensor, then runs their VJPs backwards. Trainable variables are watched automatically.
 *
 * The tape keeps its own views of every value a VJP needs, so user code may dispose or reassign
 * tensors freely; the views are released after a non-persistent `gradient`, or by `dispose()`.
 * So are the tensors `record`'s function created and did not return (nor `keep`), as TensorFlow.js
 * frees what its gradient functions create: a loop of record and gradient leaves nothing behind.
 *
 * A `gradient` called inside another tape's `record` runs its backward pass as ops that tape
 * records wherever it watches the values, so the outer tape can differentiate the gradient
 * (higher-order gradients, as for gradient penalties).
 */
export class GradientTape implements Recorder {
  readonly persistent: boolean;
  private nodes: Recorded[] = [];
  private connected = new Set<number>();
  /** What `record`'s functions created and did not return: freed with the nodes. */
  private intermediates: Tensor[] = [];
  private used = false;
  private disposed = false;

  constructor(opts: { persistent?: boolean } = {}) {
    this.persistent = opts?.persistent ?? false;
  }

  /** Tracks plain tensors as sources (variables need no watching). */
  watch(...tensors: Array<Tensor | Tensor[]>): void {
    this.checkOpen('watch');
    for (const t of tensors.flat()) {
      if (!(t instanceof Tensor)) throw new InvalidArgumentError('GradientTape.watch: expects tensors.');
      this.connected.add(t.id);
    }
  }

  /**
   * Runs `fn`, recording its ops. The tensors `fn` creates and neither returns (anywhere in its
   * result, as `tidy` finds them) nor passes to `keep` belong to the tape from then on: they stay
   * usable until a non-persistent tape's `gradient` or `dispose()`, which free them. If `fn`
   * throws, what it recorded is dropped and what it created is freed.
   */
  record<T>(fn: () => T): T {
    this.checkOpen('record');
    const mark = this.nodes.length;
    pushRecorder(this);
    try {
      return scoped(fn, (created) => {
        for (const t of created) this.intermediates.push(t);
      });
    } catch (e) {
      for (const node of this.nodes.splice(mark)) releaseNode(node);
      throw e;
    } finally {
      popRecorder(this);
    }
  }

  watches(t: Tensor): boolean {
    const origin = originOf(t);
    return this.connected.has(origin.id) || (origin instanceof Variable && origin.trainable);
  }

  recordOp<P extends Primitive>(prim: P, params: PrimParams[P], inputs: Tensor[], output: Tensor): void {
    const needs = inputs.map((t) => this.watches(t));
    if (!needs.some(Boolean)) return;
    this.connected.add(output.id);
    this.nodes.push({
      prim,
      params,
      inputs: inputs.map((t) => viewOf(t, true)),
      output: viewOf(output, true),
      needs,
      outId: output.id,
      inIds: inputs.map((t) => originOf(t).id),
    } as Recorded);
  }

  /**
   * d target / d source for each source (null where target does not depend on it). A target that
   * is not a scalar needs `dy`, the cotangent of the target, of the target's shape. A list of
   * targets is differentiated as their sum (as TensorFlow's tape does), with `dy` then a list too,
   * an entry per target (undefined for a scalar): one backward pass whatever their number.
   */
  gradient(target: Tensor | Tensor[], sources: Tensor[], dy?: Tensor | Array<Tensor | undefined>): Array<Tensor | null>;
  gradient(target: Tensor | Tensor[], sources: Tensor, dy?: Tensor | Array<Tensor | undefined>): Tensor | null;
  gradient(target: Tensor | Tensor[], sources: Tensor | Tensor[], dy?: Tensor | Array<Tensor | undefined>): Array<Tensor | null> | Tensor | null {
    const op = 'GradientTape.gradient';
    this.checkOpen('gradient');
    if (this.used && !this.persistent) {
      throw new GradientTapeError(`${op}: a non-persistent tape allows one gradient call; create the tape with { persistent: true } for more.`);
    }
    const targets = Array.isArray(target) ? target : [target];
    if (targets.length === 0 || targets.some((t) => !(t instanceof Tensor))) {
      throw new InvalidArgumentError(`${op}: the target must be a Tensor or a non-empty array of Tensors.`);
    }
    for (const t of targets) t.assertUsable(op);
    const list = sources instanceof Tensor ? [sources] : sources;
    if (!Array.isArray(list) || list.some((s) => !(s instanceof Tensor))) {
      throw new InvalidArgumentError(`${op}: sources must be a Tensor or an array of Tensors.`);
    }
    let dys: Array<Tensor | undefined>;
    if (Array.isArray(target)) {
      if (dy !== undefined && (!Array.isArray(dy) || dy.length !== targets.length)) {
        throw new InvalidArgumentError(`${op}: with ${targets.length} targets, dy must be an array of ${targets.length} entries.`);
      }
      dys = dy === undefined ? targets.map(() => undefined) : dy;
    } else {
      if (Array.isArray(dy)) throw new InvalidArgumentError(`${op}: a single target takes a single dy.`);
      dys = [dy];
    }
    targets.forEach((t, i) => {
      const d = dys[i];
      const which = targets.length > 1 ? ` ${i}` : '';
      if (d === undefined) {
        if (t.size !== 1) throw new ShapeError(`${op}: the target${which} has shape ${fmt(t.shape)}; a non-scalar target needs dy of that shape.`);
        return;
      }
      if (!(d instanceof Tensor)) throw new InvalidArgumentError(`${op}: dy must be a Tensor.`);
      d.assertUsable(op);
      if (!sameShape(d.shape, t.shape)) {
        throw new ShapeError(`${op}: dy has shape ${fmt(d.shape)} but the target${which} has shape ${fmt(t.shape)}.`);
      }
    });
    this.used = true;
    let result: Array<Tensor | null>;
    try {
      result = tidy(() => this.backward(targets, list, dys));
    } finally {
      if (!this.persistent) this.release();
    }
    return sources instanceof Tensor ? result[0] : result;
  }

  private backward(targets: Tensor[], sources: Tensor[], dys: Array<Tensor | undefined>): Array<Tensor | null> {
    const sourceIds = new Set(sources.map((s) => s.id));
    const cts = new Map<number, Tensor>();
    targets.forEach((t, i) => {
      const d = dys[i];
      const seed = d ? viewOf(d) : ones(t.shape); // a scalar: an upload, no dispatch
      const prev = cts.get(t.id);
      cts.set(t.id, prev ? add(prev, seed) : seed);
    });
    const produced = new Set(this.nodes.map((n) => n.outId));
    const deferred: Array<[Recorded, Tensor]> = [];
    // Another tape records this pass only where it watches the values: there, every rule must be
    // made of recorded ops; elsewhere the fused rules run.
    const recorded = isRecording();
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i];
      const { outId, inIds } = node;
      const ct = cts.get(outId);
      if (!ct) continue;
      const composed = composedRules[node.prim];
      const rule = recorded && composed !== 'composed' && (isWatched(ct) || node.inputs.some(isWatched)) ? composed : vjpRules[node.prim];
      if (typeof rule === 'function') {
        addCotangents(node, ct, (rule as VjpRule<Primitive>)(ct, node), cts);
      } else if (inIds.every((id, k) => !node.needs[k] || !produced.has(id))) {
        // Accumulating rules over leaves wait until every other contribution to those leaves is in.
        deferred.push([node, ct]);
        if (!sourceIds.has(outId)) cts.delete(outId);
        continue;
      } else {
        accumulate(node, ct, cts);
      }
      if (!sourceIds.has(outId)) {
        cts.delete(outId);
        ct.dispose();
      }
    }
    for (const [node, ct] of deferred) {
      accumulate(node, ct, cts);
      if (!sourceIds.has(node.outId)) ct.dispose();
    }
    return sources.map((s) => cts.get(s.id) ?? null);
  }

  /** Releases what the tape holds; a disposed tape cannot record or differentiate. */
  dispose(): void {
    if (this.disposed) return;
    this.release();
    this.disposed = true;
  }

  private release(): void {
    for (const node of this.nodes) releaseNode(node);
    this.nodes = [];
    // One kept (by `keep`) after `record` returned stays with its keeper.
    for (const t of this.intermediates) if (!t.kept) t.dispose();
    this.intermediates = [];
  }

  private checkOpen(op: string): void {
    if (this.disposed) throw new GradientTapeError(`GradientTape.${op}: the tape was disposed.`);
  }
}

/**
 * Adds a rule's cotangents into those of the node's inputs, each first summed down to its input's
 * shape (un-broadcasting happens here, once, for every rule), then frees what the rule made.
 */
function addCotangents(node: Recorded, ct: Tensor, grads: Array<Tensor | null>, cts: Map<number, Tensor>): void {
  const kept = new Set<Tensor>();
  grads.forEach((g, k) => {
    if (!g || !node.needs[k]) return;
    let own = sumTo(g, node.inputs[k].shape);
    if (own === ct) own = viewOf(ct); // a passed-through cotangent gets its own view
    const prev = cts.get(node.inIds[k]);
    if (prev) {
      cts.set(node.inIds[k], add(prev, own));
      prev.dispose();
      own.dispose();
    } else {
      cts.set(node.inIds[k], own);
      kept.add(own);
    }
  });
  for (const g of new Set(grads)) if (g && g !== ct && !kept.has(g)) g.dispose();
}

/** Runs an accumulating rule: its results replace (they already include) the inputs' cotangents. */
function accumulate(node: Recorded, ct: Tensor, cts: Map<number, Tensor>): void {
  const prior = node.inIds.map((id) => cts.get(id));
  const sums = (vjpRules[node.prim] as AccumulatingVjp<Primitive>).accumulate(ct, node, prior);
  sums.forEach((sum, k) => {
    if (!sum || !node.needs[k]) return;
    if (sum !== prior[k]) prior[k]?.dispose();
    cts.set(node.inIds[k], sum);
  });
}

function releaseNode(node: TapeNode): void {
  for (const t of node.inputs) t.dispose();
  node.output.dispose();
}
