// Chained forms of the ops (`a.add(b)`, `x.matmul(w).relu().sum()`), as in TensorFlow.js.
import { Tensor } from '../tensor/tensor';
import * as binary from './binary';
import { expandDims, squeeze } from './dims';
import { gather } from './gather';
import { argMax, oneHot } from './indices';
import { matmul, type MatmulOptions } from './matmul';
import { logSoftmax, softmax } from './nn';
import type { Operand } from './operand';
import { max, mean, sum } from './reduce';
import { broadcastTo, reshape, transpose } from './shape_ops';
import { concat, pad, slice, split } from './slice';
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
    concat(tensors: Tensor | readonly Tensor[], axis?: number): Tensor;
    slice(begin: number | readonly number[], size?: number | readonly number[]): Tensor;
    split(numOrSizes: number | readonly number[], axis?: number): Tensor[];
    pad(paddings: ReadonlyArray<readonly [number, number]>, value?: number): Tensor;
    squeeze(axis?: number | readonly number[]): Tensor;
    expandDims(axis?: number): Tensor;
    gather(indices: Tensor | number[] | Float32Array | Int32Array, axis?: number): Tensor;
    oneHot(depth: number, onValue?: number, offValue?: number): Tensor;
    argMax(axis?: number): Tensor;
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
// `a.concat(b)` joins this tensor and those given, as TensorFlow.js's chained concat does.
proto.concat = function (this: Tensor, tensors: Tensor | readonly Tensor[], axis?: number) {
  return concat([this, ...(Array.isArray(tensors) ? tensors : [tensors as Tensor])], axis);
};
proto.slice = function (this: Tensor, begin: number | readonly number[], size?: number | readonly number[]) {
  return slice(this, begin, size);
};
proto.split = function (this: Tensor, numOrSizes: number | readonly number[], axis?: number) {
  return split(this, numOrSizes, axis);
};
proto.pad = function (this: Tensor, paddings: ReadonlyArray<readonly [number, number]>, value?: number) {
  return pad(this, paddings, value);
};
proto.squeeze = function (this: Tensor, axis?: number | readonly number[]) {
  return squeeze(this, axis);
};
proto.expandDims = function (this: Tensor, axis?: number) {
  return expandDims(this, axis);
};
proto.gather = function (this: Tensor, indices: Tensor | number[] | Float32Array | Int32Array, axis?: number) {
  return gather(this, indices, axis);
};
proto.oneHot = function (this: Tensor, depth: number, onValue?: number, offValue?: number) {
  return oneHot(this, depth, onValue, offValue);
};
proto.argMax = function (this: Tensor, axis?: number) {
  return argMax(this, axis);
};
