import { InvalidArgumentError, ShapeError, show } from '../errors';
import { fmt, normalizeAxes } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { asTensor, type Operand } from './operand';
import { reshape } from './shape_ops';

/**
 * Dimensions of size 1 taken out or put in: reshapes, so views of the same buffer with no GPU
 * work, differentiated as reshapes.
 */

/** `x` without the dimensions of size 1 listed in `axis` (negative counts from the end), or without all of them. */
export function squeeze(x: Operand, axis?: number | readonly number[]): Tensor {
  const xt = asTensor(x, 'squeeze');
  const axes = axis === undefined ? xt.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normalizeAxes('squeeze', axis, xt.rank);
  for (const a of axes) {
    if (a >= xt.rank) throw new InvalidArgumentError(`squeeze: a scalar has no axis ${a}.`);
    if (xt.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${a} of ${fmt(xt.shape)} has size ${xt.shape[a]}, not 1.`);
  }
  return reshape(xt, xt.shape.filter((_, i) => !axes.includes(i)));
}

/** `x` with a dimension of size 1 inserted at `axis` (in [−rank − 1, rank]; negative counts from the end). */
export function expandDims(x: Operand, axis = 0): Tensor {
  const xt = asTensor(x, 'expandDims');
  if (!Number.isInteger(axis) || axis < -xt.rank - 1 || axis > xt.rank) {
    throw new InvalidArgumentError(`expandDims: axis ${show(axis)} is out of range for a tensor of rank ${xt.rank} (it may be ${-xt.rank - 1} to ${xt.rank}).`);
  }
  const at = axis < 0 ? axis + xt.rank + 1 : axis;
  return reshape(xt, [...xt.shape.slice(0, at), 1, ...xt.shape.slice(at)]);
}

/** `axis` in [−rank, rank) as a dimension index (negative counts from the end). */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new InvalidArgumentError(`${op}: axis ${show(axis)} is out of range for a tensor of rank ${rank}.`);
  }
  return axis < 0 ? axis + rank : axis;
}
