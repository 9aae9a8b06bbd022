import { InvalidArgumentError } from '../errors';
import { scalar } from '../tensor/create';
import { Tensor } from '../tensor/tensor';

export type Operand = Tensor | number;

/** Checks that `v` is a live tensor, naming the op and argument when it is not. */
export function checkTensor(v: unknown, op: string, arg = 'x'): Tensor {
  if (!(v instanceof Tensor)) {
    throw new InvalidArgumentError(`${op}: argument '${arg}' must be a Tensor, got ${v === null ? 'null' : typeof v}.`);
  }
  v.assertUsable(op);
  return v;
}

/** Accepts a tensor or a JS number (made a scalar tensor). */
export function asTensor(v: Operand, op: string, arg = 'x'): Tensor {
  if (typeof v === 'number') return scalar(v);
  return checkTensor(v, op, arg);
}

export function checkOperand(v: unknown, op: string, arg: string): Operand {
  if (typeof v === 'number') return v;
  return checkTensor(v, op, arg);
}
