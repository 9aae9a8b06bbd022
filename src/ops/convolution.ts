// The convolution layers' computation as one op: y = activation(conv(x, kernel) + bias), with the
// bias and, where it can, the activation in the convolution kernel's epilogue (as src/ops/dense.ts
// does for Dense).
import { InvalidArgumentError } from '../errors';
import type { Tensor } from '../tensor/tensor';
import { conv1d, conv2d, depthwiseConv2d } from './conv';
import type { DenseActivation } from './dense';
import { softmax } from './nn';
import { isFusable, unary } from './unary';
import type { Padding } from './window';

export type ConvolutionKind = 'conv1d' | 'conv2d' | 'depthwiseConv2d';

export interface ConvolutionSpec {
  /** [height, width] for 2-D kinds; conv1d reads the width. */
  strides: [number, number];
  dilations: [number, number];
  padding: Padding;
}

/**
 * y = activation(conv(x, kernel) + bias). The bias always, and a named activation whose derivative
 * is a function of the output (relu, leakyRelu with α > 0, elu, sigmoid, tanh), run in the
 * convolution's own kernel, forward and in the gradient; any other activation, or a function,
 * runs after it. `alpha` is leakyRelu's slope (default 0.2) or elu's scale (default 1), as in Keras.
 */
export function convolution(
  kind: ConvolutionKind,
  x: Tensor,
  kernel: Tensor,
  bias: Tensor | null,
  activation: DenseActivation | ((y: Tensor) => Tensor),
  spec: ConvolutionSpec,
  alpha?: number,
): Tensor {
  if (alpha !== undefined && !Number.isFinite(alpha)) throw new InvalidArgumentError(`${kind}: alpha must be finite, got ${alpha}.`);
  const a = alpha ?? (activation === 'leakyRelu' ? 0.2 : activation === 'elu' ? 1 : 0);
  const fused = typeof activation === 'string' && isFusable(activation, a) ? activation : undefined;
  const opts = { padding: spec.padding, bias: bias ?? undefined, activation: fused, alpha: fused ? a : undefined };
  const y =
    kind === 'conv1d'
      ? conv1d(x, kernel, { ...opts, stride: spec.strides[1], dilation: spec.dilations[1] })
      : (kind === 'conv2d' ? conv2d : depthwiseConv2d)(x, kernel, { ...opts, strides: spec.strides, dilations: spec.dilations });
  if (fused || activation === 'linear') return y;
  const out = typeof activation === 'function' ? activation(y) : activation === 'softmax' ? softmax(y, -1) : unary(activation, y, a);
  if (out !== y) y.dispose();
  return out;
}
