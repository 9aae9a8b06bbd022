import { InvalidArgumentError, show } from '../errors';
import { softmax } from '../ops/nn';
import { elu, gelu, leakyRelu, relu, sigmoid, softplus, tanh } from '../ops/unary';
import type { Tensor } from '../tensor/tensor';

/** Activations by name, with Keras 3's defaults (leakyRelu slope 0.2, elu α = 1, exact gelu, softmax over the last axis). */
const activations = {
  linear: null,
  relu: (x: Tensor) => relu(x),
  leakyRelu: (x: Tensor) => leakyRelu(x),
  elu: (x: Tensor) => elu(x),
  gelu: (x: Tensor) => gelu(x),
  sigmoid: (x: Tensor) => sigmoid(x),
  tanh: (x: Tensor) => tanh(x),
  softplus: (x: Tensor) => softplus(x),
  softmax: (x: Tensor) => softmax(x, -1),
} as const;

export type ActivationIdentifier = keyof typeof activations;
export type ActivationFn = (x: Tensor) => Tensor;

/** 'leaky_relu' → 'leakyRelu': Keras's snake_case names are accepted too. */
function canonicalName(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The activation's name (for saving) and its function (null for linear: the identity). */
export function getActivation(id: ActivationIdentifier | ActivationFn | undefined, op: string): { name: string; fn: ActivationFn | null } {
  if (id === undefined) return { name: 'linear', fn: null };
  if (typeof id === 'function') return { name: id.name || 'custom', fn: id };
  const name = typeof id === 'string' ? canonicalName(id) : id;
  if (typeof name === 'string' && Object.hasOwn(activations, name)) {
    return { name, fn: activations[name as ActivationIdentifier] };
  }
  throw new InvalidArgumentError(`${op}: unknown activation ${show(id)}; use one of ${Object.keys(activations).join(', ')} or a function.`);
}

/** The name of a built-in activation (`fn` is the one the name stands for), or undefined for a function of the user's. */
export function builtInActivation(name: string, fn: ActivationFn | null): ActivationIdentifier | undefined {
  return Object.hasOwn(activations, name) && activations[name as ActivationIdentifier] === fn ? (name as ActivationIdentifier) : undefined;
}

/** The name an activation is saved under: its own for a built-in, 'Custom>name' for a function (saves, but cannot load). */
export function savedActivationName(name: string, fn: ActivationFn | null): string {
  return builtInActivation(name, fn) ?? `Custom>${name}`;
}
