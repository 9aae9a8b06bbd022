// Chained forms of the ops (`a.add(b)`, `x.matmul(w).relu().sum()`), as in TensorFlow.js.
import { Tensor } from '../tensor/tensor';
import * as binary from './binary';
import { matmul, type MatmulOptions } from './matmul';
import { logSoftmax, softmax } from './nn';
import type { Operand } from './operand';
import { max, mean, sum } from './reduce';
import { broadcastTo, reshape, transpose } from './shape_ops';
import * as unary from './unary';

type Axis = number | readonly number[];

declare module '../tensor/tensor' {
  interface Tensor {
    add(b: Operand): Tensor;
    sub(b: Operand): Tensor;
    mul(b: Operand): Tensor;
    div(b: Operand): Tensor;
    maximum(b: Operand): Tensor;
    minimum(b: Operand): Tensor;
    greater(b: Operand): Tensor;
    greaterEqual(b: Operand): Tensor;
    less(b: Operand): Tensor;
    lessEqual(b: Operand): Tensor;
    equal(b: Operand): Tensor;
    pow(b: Operand): Tensor;
    neg(): Tensor;
    square(): Tensor;
    sqrt(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    abs(): Tensor;
    sign(): Tensor;
    relu(): Tensor;
    leakyRelu(alpha?: number): Tensor;
    elu(alpha?: number): Tensor;
    gelu(): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    softplus(): Tensor;
    rsqrt(): Tensor;
    clipByValue(lo: number, hi: number): Tensor;
    clone(): Tensor;
    matmul(b: Operand, opts?: MatmulOptions): Tensor;
    sum(axis?: Axis, keepDims?: boolean): Tensor;
    mean(axis?: Axis, keepDims?: boolean): Tensor;
    max(axis?: Axis, keepDims?: boolean): Tensor;
    reshape(shape: readonly number[]): Tensor;
    transpose(perm?: readonly number[]): Tensor;
    broadcastTo(shape: readonly number[]): Tensor;
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
  }
}

const proto = Tensor.prototype;
for (const name of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'greater', 'greaterEqual', 'less', 'lessEqual', 'equal', 'pow'] as const) {
  const f = binary[name];
  proto[name] = function (this: Tensor, b: Operand) {
    return f(this, b);
  };
}
for (const name of ['neg', 'square', 'sqrt', 'exp', 'log', 'abs', 'sign', 'relu', 'gelu', 'sigmoid', 'tanh', 'softplus', 'rsqrt', 'clone'] as const) {
  const f = unary[name];
  proto[name] = function (this: Tensor) {
    return f(this);
  };
}
proto.clipByValue = function (this: Tensor, lo: number, hi: number) {
  return unary.clipByValue(this, lo, hi);
};
proto.leakyRelu = function (this: Tensor, alpha?: number) {
  return unary.leakyRelu(this, alpha);
};
proto.elu = function (this: Tensor, alpha?: number) {
  return unary.elu(this, alpha);
};
proto.matmul = function (this: Tensor, b: Operand, opts?: MatmulOptions) {
  return matmul(this, b, opts);
};
proto.sum = function (this: Tensor, axis?: Axis, keepDims?: boolean) {
  return sum(this, axis, keepDims);
};
proto.mean = function (this: Tensor, axis?: Axis, keepDims?: boolean) {
  return mean(this, axis, keepDims);
};
proto.max = function (this: Tensor, axis?: Axis, keepDims?: boolean) {
  return max(this, axis, keepDims);
};
proto.reshape = function (this: Tensor, shape: readonly number[]) {
  return reshape(this, shape);
};
proto.transpose = function (this: Tensor, perm?: readonly number[]) {
  return transpose(this, perm);
};
proto.broadcastTo = function (this: Tensor, shape: readonly number[]) {
  return broadcastTo(this, shape);
};
proto.softmax = function (this: Tensor, axis?: number) {
  return softmax(this, axis);
};
proto.logSoftmax = function (this: Tensor, axis?: number) {
  return logSoftmax(this, axis);
};
