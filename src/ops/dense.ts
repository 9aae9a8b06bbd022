// The dense (fully connected) layer's computation as one op: y = activation(x · kernel + bias)
// over the last axis of x, with the bias and, where it can, the activation in the matmul's epilogue.
import { InvalidArgumentError, ShapeError } from '../errors';
import { fmt } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { matmul } from './matmul';
import { softmax } from './nn';
import { checkTensor } from './operand';
import { reshape } from './shape_ops';
import { isFusable, unary } from './unary';

/** The activations dense knows by name (Keras 3's built-ins); anything else is given as a function. */
export type DenseActivation = 'linear' | 'relu' | 'leakyRelu' | 'elu' | 'gelu' | 'sigmoid' | 'tanh' | 'softplus' | 'softmax';

/**
 * y = activation(x · kernel + bias) for x [..., inputDim], kernel [inputDim, units], bias [units]
 * (or null); `alpha` is leakyRelu's slope (default 0.2) or elu's scale (default 1), as in Keras.
 * The bias always, and a named activation whose derivative is a function of the output (relu,
 * leakyRelu with α > 0, elu, sigmoid, tanh), run in the matmul's epilogue: one kernel for the
 * whole layer, forward and in the gradient. Any other activation, or a function, runs after it.
 */
export function dense(
  x: Tensor,
  kernel: Tensor,
  bias: Tensor | null,
  activation: DenseActivation | ((y: Tensor) => Tensor) = 'linear',
  alpha?: number,
): Tensor {
  checkTensor(x, 'dense', 'x');
  checkTensor(kernel, 'dense', 'kernel');
  if (kernel.rank !== 2) throw new ShapeError(`dense: kernel must have rank 2, got ${fmt(kernel.shape)}.`);
  const [inputDim, units] = kernel.shape;
  if (x.rank === 0 || x.shape[x.rank - 1] !== inputDim) {
    throw new ShapeError(`dense: x ${fmt(x.shape)} does not end in the kernel's input dimension ${inputDim} (kernel ${fmt(kernel.shape)}).`);
  }
  if (alpha !== undefined && !Number.isFinite(alpha)) throw new InvalidArgumentError(`dense: alpha must be finite, got ${alpha}.`);
  const a = alpha ?? (activation === 'leakyRelu' ? 0.2 : activation === 'elu' ? 1 : 0);
  const fused = typeof activation === 'string' && isFusable(activation, a) ? activation : undefined;
  const temps: Tensor[] = [];
  const flat = x.rank === 2 ? x : reshape(x, [-1, inputDim]);
  if (flat !== x) temps.push(flat);
  let y = matmul(flat, kernel, { bias: bias ?? undefined, activation: fused, alpha: fused ? a : undefined });
  if (!fused && activation !== 'linear') {
    temps.push(y);
    y = typeof activation === 'function' ? activation(y) : activation === 'softmax' ? softmax(y, -1) : unary(activation, y, a);
  }
  if (x.rank !== 2) {
    temps.push(y);
    y = reshape(y, [...x.shape.slice(0, -1), units]);
  }
  for (const t of temps) t.dispose();
  return y;
}
