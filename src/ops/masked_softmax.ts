import { engine } from '../device/engine';
import { InvalidArgumentError, ShapeError, show } from '../errors';
import { grid, MAX_RANK } from '../kernels/kernel';
import { maskedSoftmaxGradKernel, maskedSoftmaxKernel, softmaxMaskCodes } from '../kernels/softmax';
import { broadcastShapes, broadcastStrides, fmt, sameShape } from '../tensor/shape';
import { emptyTensor, type Tensor } from '../tensor/tensor';
import { asTensor } from './operand';
import { emit, type VjpRule } from './primitive';

export interface MaskedSoftmaxOptions {
  /**
   * 'boolean' (default): the softmax leaves out the entries where the mask is 0 (they get 0, and
   * a row with nothing kept is all 0, as Keras 3's masked Softmax gives); 'additive': the mask is
   * added to the scores (0 keeps, a large negative number or −Infinity leaves out).
   */
  maskMode?: 'boolean' | 'additive';
  /** Multiplies the scores before the mask and the softmax: attention's 1/√keyDim. */
  scale?: number;
}

/**
 * softmax(scale·scores) over the last axis, with an optional `mask` that broadcasts against the
 * scores (e.g. [batch, 1, queries, keys] or [queries, keys] for [batch, heads, queries, keys]):
 * attention's scores to weights in one kernel, and its gradient in one more. The mask is a
 * float32 or int32 tensor; a boolean mask takes no gradient, an additive one takes the scores'
 * cotangent summed to its shape.
 */
export function maskedSoftmax(scores: Tensor, mask?: Tensor | null, opts: MaskedSoftmaxOptions = {}): Tensor {
  const x = asTensor(scores, 'maskedSoftmax', 'scores');
  const m = mask === undefined || mask === null ? null : asTensor(mask, 'maskedSoftmax', 'mask');
  const maskMode = opts?.maskMode ?? 'boolean';
  const scale = opts?.scale ?? 1;
  if (maskMode !== 'boolean' && maskMode !== 'additive') {
    throw new InvalidArgumentError(`maskedSoftmax: maskMode must be 'boolean' or 'additive', got ${show(maskMode)}.`);
  }
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw new InvalidArgumentError(`maskedSoftmax: scale must be a finite number, got ${show(scale)}.`);
  if (x.rank === 0 || x.rank > MAX_RANK) throw new ShapeError(`maskedSoftmax: scores must have rank 1 to ${MAX_RANK}, got ${fmt(x.shape)}.`);
  if (x.dtype !== 'float32') throw new InvalidArgumentError(`maskedSoftmax: scores must be float32, got ${x.dtype}.`);
  if (m && !sameShape(broadcastShapes('maskedSoftmax', m.shape, x.shape), x.shape)) {
    throw new ShapeError(`maskedSoftmax: the mask ${fmt(m.shape)} must broadcast to the scores ${fmt(x.shape)}.`);
  }
  const len = x.shape[x.rank - 1];
  const lead = x.shape.slice(0, -1);
  const strides = m ? broadcastStrides(m.shape, x.shape) : [];
  const y = emptyTensor(x.shape);
  if (x.size > 0) {
    maskedSoftmaxKernel.launch({
      op: 'maskedSoftmax',
      constants: { MASK: softmaxMaskCodes[m ? maskMode : 'none'] },
      uniforms: { rows: x.size / len, len, rank: lead.length, maskStep: strides[x.rank - 1] ?? 0, scale, shape: lead, maskStrides: strides.slice(0, -1) },
      bindings: { x, mask: m, y },
      groups: maskedSoftmaxKernel.threads(x.size / len),
    });
  }
  return emit('maskedSoftmax', { mask: m ? maskMode : 'none', scale, log: false }, m ? [x, m] : [x], y);
}

/**
 * Few long rows: a workgroup per row (the 'wide' entries) rather than an invocation per row, below
 * 256 rows as for reductions (src/ops/reduce.ts). On SwiftShader, whose barriers are slow, it
 * gained nothing (bench/README.md: [8, 2048] 5–6 ms against 1.1, [4, 32768] 17–24 against 22), so
 * there only below 4 rows.
 */
function wideRows(rows: number, len: number): boolean {
  return rows < (engine().info.isSwiftShader ? 4 : 256) && len >= 256;
}

/**
 * softmax(x), or log softmax(x) when `log`, over the last axis: maskedSoftmax with no mask and
 * scale 1, one kernel each way. Any rank (the kernel reads x as rows of its last dimension); the
 * caller checks that x is float32.
 */
export function softmaxLastAxis(x: Tensor, log = false): Tensor {
  const len = x.shape[x.rank - 1];
  const rows = x.size / len;
  const y = emptyTensor(x.shape);
  if (x.size > 0) {
    const wide = wideRows(rows, len);
    maskedSoftmaxKernel.launch({
      op: log ? 'logSoftmax' : 'softmax',
      entry: wide ? 'wide' : 'main',
      constants: { MASK: softmaxMaskCodes.none, LOG: log },
      uniforms: { rows, len, rank: 0, maskStep: 0, scale: 1, shape: [], maskStrides: [] },
      bindings: { x, mask: null, y },
      groups: wide ? grid(rows) : maskedSoftmaxKernel.threads(rows),
    });
  }
  return emit('maskedSoftmax', { mask: 'none', scale: 1, log }, [x], y);
}

/**
 * dz = y ⊙ (ct − Σ ct ⊙ y) per row, from y alone, with z = scale·x (+ mask): dx = scale·dz; for
 * the log softmax dz = ct − e^y Σ ct.
 */
function softmaxGrad(y: Tensor, ct: Tensor, scale: number, log: boolean): Tensor {
  const len = y.shape[y.rank - 1];
  const rows = y.size / len;
  const dx = emptyTensor(y.shape);
  if (y.size > 0) {
    const wide = wideRows(rows, len);
    maskedSoftmaxGradKernel.launch({
      op: 'maskedSoftmax',
      entry: wide ? 'wide' : 'main',
      constants: { LOG: log },
      uniforms: { rows, len, scale },
      bindings: { y, dy: ct, dx },
      groups: wide ? grid(rows) : maskedSoftmaxGradKernel.threads(rows),
    });
  }
  return dx;
}

/** The scores get scale·dz; an additive mask gets dz, which the tape sums down to its shape. */
export const maskedSoftmaxVjp: VjpRule<'maskedSoftmax'> = (ct, { output: y, needs, params: { mask, scale, log } }) => {
  const dx = needs[0] ? softmaxGrad(y, ct, scale, log) : null;
  if (mask !== 'additive' || !needs[1]) return [dx, null];
  const dMask = dx && scale === 1 ? dx.view(dx.shape) : softmaxGrad(y, ct, 1, log);
  return [dx, dMask];
};
