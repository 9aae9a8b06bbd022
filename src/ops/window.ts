// The sliding-window geometry shared by convolutions and pooling (NHWC), as TensorFlow computes it.
import { InvalidArgumentError, ShapeError, show } from '../errors';

export type Padding = 'valid' | 'same';

/** A 2-D window's placement over an input: sizes, steps, and the padding before the first row and column. */
export interface WindowGeometry {
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  padTop: number;
  padLeft: number;
}

/** A positive integer, or a pair of them, as [height, width]. */
export function pairOf(op: string, name: string, value: unknown, fallback: number | [number, number]): [number, number] {
  const v = value ?? fallback;
  const pair = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((d) => Number.isInteger(d) && d > 0)) {
    throw new InvalidArgumentError(`${op}: ${name} must be a positive integer or a pair of them, got ${show(value)}.`);
  }
  return [pair[0], pair[1]];
}

export function paddingOf(op: string, value: unknown): Padding {
  const padding = value ?? 'valid';
  if (padding !== 'valid' && padding !== 'same') throw new InvalidArgumentError(`${op}: padding must be 'valid' or 'same', got ${show(value)}.`);
  return padding;
}

/**
 * Output size and padding along both axes. 'valid': windows lie wholly inside the input,
 * out = ⌊(in − k_eff) / s⌋ + 1 with k_eff = (k − 1)·d + 1, and a window larger than the input is an
 * error. 'same': out = ⌈in / s⌉, padded by max((out − 1)·s + k_eff − in, 0) of which the smaller half
 * goes before (TensorFlow puts the extra row and column at the bottom and right).
 * `describe` names the operands for the error message.
 */
export function windowGeometry(
  op: string,
  describe: string,
  [inH, inW]: [number, number],
  [kernelH, kernelW]: [number, number],
  [strideH, strideW]: [number, number],
  [dilationH, dilationW]: [number, number],
  padding: Padding,
): WindowGeometry {
  const effH = (kernelH - 1) * dilationH + 1;
  const effW = (kernelW - 1) * dilationW + 1;
  if (padding === 'valid') {
    if (effH > inH || effW > inW) {
      const dilated = effH !== kernelH || effW !== kernelW ? ` (${effH}×${effW} dilated)` : '';
      throw new ShapeError(`${op}: the ${kernelH}×${kernelW} window${dilated} is larger than the ${inH}×${inW} input with padding 'valid' (${describe}).`);
    }
    return {
      inH, inW, kernelH, kernelW, strideH, strideW, dilationH, dilationW,
      outH: Math.floor((inH - effH) / strideH) + 1,
      outW: Math.floor((inW - effW) / strideW) + 1,
      padTop: 0,
      padLeft: 0,
    };
  }
  const outH = Math.ceil(inH / strideH);
  const outW = Math.ceil(inW / strideW);
  return {
    inH, inW, outH, outW, kernelH, kernelW, strideH, strideW, dilationH, dilationW,
    padTop: Math.floor(Math.max((outH - 1) * strideH + effH - inH, 0) / 2),
    padLeft: Math.floor(Math.max((outW - 1) * strideW + effW - inW, 0) / 2),
  };
}
