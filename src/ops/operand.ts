import { InvalidArgumentError } from '../errors';
import { scalar } from '../tensor/create';
import { Tensor } from '../tensor/tensor';

export type Operand = Tensor | number;

/** Checks that `v` is a live tensor, naming the op and argument when it is not. */
export function checkTensor(v: unknown, op: string, arg = 'x', dtype?: 'float32'): Tensor {
  if (!(v instanceof Tensor)) {
    throw new InvalidArgumentError(`${op}: argument '${arg}' must be a Tensor, got ${v === null ? 'null' : typeof v}.`);
  }
  v.assertUsable(op);
  // Before the op allocates its output: a dtype the kernel refuses would otherwise leave it behind.
  if (dtype && v.dtype !== dtype) throw new InvalidArgumentError(`${op}: argument '${arg}' must be ${dtype}, got ${v.dtype}.`);
  return v;
}

/**
 * Accepts a tensor or a JS number. A number becomes a scalar tensor that lives until the end of
 * the current task: long enough for the op to encode its work (whatever keeps the value, such as
 * a tape, holds a view of its own), and never left behind, whether the op succeeds or throws.
 */
export function asTensor(v: Operand, op: string, arg = 'x'): Tensor {
  if (typeof v !== 'number') return checkTensor(v, op, arg);
  const t = scalar(v);
  queueMicrotask(() => t.dispose());
  return t;
}

export function checkOperand(v: unknown, op: string, arg: string): Operand {
  if (typeof v === 'number') return v;
  return checkTensor(v, op, arg);
}
