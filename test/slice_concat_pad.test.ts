import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../src';
import { checkGradients, expectClose, randomArray, size } from './helpers';
import { expectLikeTf, expectThrowsBeforeWork, hessianRowSums, input, secondDerivativeRowSums } from './tf_reference';

// slice, split, concat, pad, squeeze and expandDims: values and gradients against TensorFlow.js's
// CPU backend and central differences; which cases are buffer copies or views (no dispatch) and
// which one dispatch; typed errors before any GPU work.

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Dispatches encoded by `fn`. */
function dispatchesOf<T>(fn: () => T): { result: T; dispatches: number } {
  const before = wg.memory().numDispatches;
  const result = fn();
  return { result, dispatches: wg.memory().numDispatches - before };
}

describe('slice', () => {
  const shape = [3, 5, 7];
  const cases: Array<[string, number | number[], number | number[] | undefined]> = [
    ['an inner box of odd sizes', [1, 2, 3], [2, 3, 4]],
    ['size −1 runs to the end', [0, 1, 2], [-1, -1, 3]],
    ['a number begins the first dimension; the rest are whole', 1, undefined],
    ['short begin and size arrays', [2, 4], [1]],
    ['the last column', [0, 0, 6], [3, 5, 1]],
  ];
  for (const [what, begin, sz] of cases) {
    it(`${what}: value and gradient as TensorFlow.js`, async () => {
      await expectLikeTf((x) => wg.slice(x, begin, sz), (x) => tf.slice(x, begin, sz), [input(shape, 1)]);
    });
  }

  it('a box that is one run of memory is a buffer copy; the whole tensor is a view; any other box one dispatch', async () => {
    const values = randomArray(size(shape), 2);
    const x = wg.tensor(values, shape);
    const rows = dispatchesOf(() => wg.slice(x, [1, 0, 0], [2, -1, -1]));
    expect(rows.dispatches).toBe(0);
    expectClose(await rows.result.data(), values.slice(35, 105), 0, 0);
    const inRow = dispatchesOf(() => wg.slice(x, [2, 3, 0], [1, 2, 7]));
    expect(inRow.dispatches).toBe(0);
    expectClose(await inRow.result.data(), values.slice(70 + 21, 70 + 35), 0, 0);
    const whole = dispatchesOf(() => wg.slice(x, 0, -1));
    expect(whole.dispatches).toBe(0);
    expect(whole.result.storage).toBe(x.storage);
    const box = dispatchesOf(() => wg.slice(x, [0, 1, 1], [2, 2, 2]));
    expect(box.dispatches).toBe(1);
    for (const t of [x, rows.result, inRow.result, whole.result, box.result]) t.dispose();
  });

  it('gradients agree with central differences, and reach the input through a chained slice', async () => {
    const w = wg.tensor(randomArray(2 * 3 * 2, 3), [2, 3, 2]);
    await checkGradients((x) => wg.sum(wg.mul(wg.square(x.slice([1, 0, 4], [2, 3, 2])), w)), [randomArray(size(shape), 4)], [shape]);
  });

  it('slices int32 tensors, by copy and by dispatch', async () => {
    const x = wg.tensor(Int32Array.from({ length: 24 }, (_, i) => i - 7), [4, 6]);
    const rows = wg.slice(x, [1, 0], [2, 6]);
    const box = wg.slice(x, [1, 2], [3, 3]);
    expect([rows.dtype, box.dtype]).toEqual(['int32', 'int32']);
    expect(await rows.array()).toEqual([[-1, 0, 1, 2, 3, 4], [5, 6, 7, 8, 9, 10]]);
    expect(await box.array()).toEqual([[1, 2, 3], [7, 8, 9], [13, 14, 15]]);
  });

  it('zero-size slices are empty tensors of the right shape', async () => {
    const y = wg.slice(wg.ones([3, 4]), [1, 2], [0, 2]);
    expect(y.shape).toEqual([0, 2]);
    expect((await y.data()).length).toBe(0);
  });

  it('a box outside the tensor, negative begin or extra entries: ShapeError naming slice and the shape, before any work', () => {
    const x = wg.ones([3, 4]);
    expectThrowsBeforeWork(() => wg.slice(x, [2, 0], [2, 4]), wg.ShapeError, /slice: .*\[3,4\] \(dimension 0\)/);
    expectThrowsBeforeWork(() => wg.slice(x, [-1, 0], [1, 1]), wg.ShapeError, /slice/);
    expectThrowsBeforeWork(() => wg.slice(x, [0, 0], [1, -2]), wg.ShapeError, /slice/);
    expectThrowsBeforeWork(() => wg.slice(x, [0, 0, 0], [1, 1, 1]), wg.ShapeError, /more entries than \[3,4\]/);
    expectThrowsBeforeWork(() => wg.slice(x, [0.5, 0]), wg.ShapeError, /slice/);
    x.dispose();
  });
});

describe('split', () => {
  it('into equal parts, and into sizes with a −1, along a negative axis: values and gradients as TensorFlow.js', async () => {
    const parts = (xs: wg.Tensor[], axis: number) => wg.concat(xs.map((t, i) => wg.mul(t, i + 1)), axis);
    await expectLikeTf(
      (x) => parts(wg.split(x, 3, -1), -1),
      (x) => tf.concat(tf.split(x, 3, -1).map((t, i) => tf.mul(t, i + 1)), -1),
      [input([2, 3, 6], 5)],
    );
    await expectLikeTf(
      (x) => parts(wg.split(x, [1, -1, 2], 1), 1),
      (x) => tf.concat(tf.split(x, [1, -1, 2], 1).map((t, i) => tf.mul(t, i + 1)), 1),
      [input([2, 7, 3], 6)],
    );
  });

  it('returns the parts with their shapes; splitting along the first axis dispatches nothing', () => {
    const x = wg.ones([5, 4]);
    const { result, dispatches } = dispatchesOf(() => x.split([2, 3]));
    expect(result.map((t) => t.shape)).toEqual([[2, 4], [3, 4]]);
    expect(dispatches).toBe(0);
  });

  it('parts that do not divide or add up, a bad axis: typed errors before any work', () => {
    const x = wg.ones([4, 6]);
    expectThrowsBeforeWork(() => wg.split(x, 4, 1), wg.ShapeError, /split: 4 equal parts do not divide axis 1 of \[4,6\]/);
    expectThrowsBeforeWork(() => wg.split(x, [2, 3], 1), wg.ShapeError, /do not add up/);
    expectThrowsBeforeWork(() => wg.split(x, [-1, -1]), wg.InvalidArgumentError, /at most one −1/);
    expectThrowsBeforeWork(() => wg.split(x, 2, 2), wg.InvalidArgumentError, /axis 2 is out of range/);
    x.dispose();
  });
});

describe('concat', () => {
  it('along each axis, negative ones included, of inputs with different sizes there: value and gradients as TensorFlow.js', async () => {
    for (const [axis, shapes] of [
      [0, [[2, 3, 5], [1, 3, 5], [4, 3, 5]]],
      [1, [[2, 1, 5], [2, 4, 5]]],
      [-1, [[2, 3, 1], [2, 3, 3], [2, 3, 2]]],
      [-2, [[3, 2, 1], [3, 5, 1]]],
    ] as Array<[number, number[][]]>) {
      await expectLikeTf((...xs) => wg.concat(xs, axis), (...xs) => tf.concat(xs, axis), shapes.map((s, i) => input(s, 10 + i)));
    }
  });

  it('inputs that follow each other in memory are buffer copies; otherwise one dispatch per input', async () => {
    const [a, b] = [wg.tensor(randomArray(6, 1), [2, 3]), wg.tensor(randomArray(9, 2), [3, 3])];
    expect(dispatchesOf(() => wg.concat([a, b], 0)).dispatches).toBe(0);
    const [c, d] = [wg.tensor(randomArray(6, 3), [1, 2, 3]), wg.tensor(randomArray(4, 4), [1, 2, 2])];
    expect(dispatchesOf(() => wg.concat([c, d], -1)).dispatches).toBe(2);
    const lead = dispatchesOf(() => wg.concat([wg.reshape(a, [1, 2, 3]), wg.reshape(b, [1, 3, 3])], 1));
    expect(lead.dispatches).toBe(0);
    expect(lead.result.shape).toEqual([1, 5, 3]);
  });

  it('chains as a.concat(b) and a.concat([b, c]); a single tensor is a view', async () => {
    const a = wg.tensor([[1, 2]]);
    const b = wg.tensor([[3, 4]]);
    expect(await a.concat(b).array()).toEqual([[1, 2], [3, 4]]);
    expect(await a.concat([b, a], 1).array()).toEqual([[1, 2, 3, 4, 1, 2]]);
    expect(wg.concat([a]).storage).toBe(a.storage);
  });

  it('joins int32 tensors', async () => {
    const a = wg.tensor([[1], [2]], undefined, 'int32');
    const b = wg.tensor([[3, 4], [5, 6]], undefined, 'int32');
    const y = wg.concat([a, b], 1);
    expect(y.dtype).toBe('int32');
    expect(await y.array()).toEqual([[1, 3, 4], [2, 5, 6]]);
  });

  it('gradients agree with central differences', async () => {
    const w = wg.tensor(randomArray(3 * 7, 7), [3, 7]);
    await checkGradients(
      (x, y) => wg.sum(wg.mul(wg.square(wg.concat([x, y, x], 1)), w)),
      [randomArray(6, 8), randomArray(9, 9)],
      [[3, 2], [3, 3]],
    );
  });

  it('mismatched shapes, ranks or dtypes, scalars, a bad axis, no tensors: typed errors before any work', () => {
    const a = wg.ones([2, 3]);
    const b = wg.ones([2, 4]);
    const c = wg.ones([2, 3, 1]);
    expectThrowsBeforeWork(() => wg.concat([a, b], 0), wg.ShapeError, /concat: along axis 0, .*\[2,3\], \[2,4\]/);
    expectThrowsBeforeWork(() => wg.concat([a, c], 1), wg.ShapeError, /concat/);
    const i = wg.tensor([[1, 2, 3]], undefined, 'int32');
    expectThrowsBeforeWork(() => wg.concat([a, i]), wg.InvalidArgumentError, /one dtype/);
    const s = wg.scalar(1);
    expectThrowsBeforeWork(() => wg.concat([s, s]), wg.ShapeError, /scalars/);
    expectThrowsBeforeWork(() => wg.concat([a, a], 2), wg.InvalidArgumentError, /axis 2 is out of range/);
    expectThrowsBeforeWork(() => wg.concat([]), wg.InvalidArgumentError);
  });
});

describe('pad', () => {
  it('asymmetric borders on odd shapes, with a value: value and gradient as TensorFlow.js', async () => {
    await expectLikeTf((x) => wg.pad(x, [[1, 2], [0, 3], [2, 0]], -1.5), (x) => tf.pad(x, [[1, 2], [0, 3], [2, 0]], -1.5), [input([3, 1, 5], 20)]);
    await expectLikeTf((x) => x.pad([[3, 1]]), (x) => x.pad([[3, 1]]), [input([7], 21)]);
  });

  it('is one dispatch; no padding at all is a view', () => {
    const x = wg.ones([3, 4]);
    expect(dispatchesOf(() => wg.pad(x, [[0, 1], [2, 2]])).dispatches).toBe(1);
    const same = dispatchesOf(() => wg.pad(x, [[0, 0], [0, 0]]));
    expect(same.dispatches).toBe(0);
    expect(same.result.storage).toBe(x.storage);
  });

  it('pads an empty tensor with the value, and int32 tensors with an integer', async () => {
    expect(await wg.pad(wg.zeros([0, 2]), [[1, 1], [0, 0]], 7).array()).toEqual([[7, 7], [7, 7]]);
    const y = wg.pad(wg.tensor([1, 2], [2], 'int32'), [[1, 0]], -3);
    expect(y.dtype).toBe('int32');
    expect(await y.array()).toEqual([-3, 1, 2]);
  });

  it('gradients agree with central differences', async () => {
    const w = wg.tensor(randomArray(4 * 6, 22), [4, 6]);
    await checkGradients((x) => wg.sum(wg.mul(wg.square(wg.pad(x, [[1, 0], [2, 1]], 0.5)), w)), [randomArray(9, 23)], [[3, 3]]);
  });

  it('wrong paddings or value: InvalidArgumentError naming pad and the shape, before any work', () => {
    const x = wg.ones([2, 3]);
    expectThrowsBeforeWork(() => wg.pad(x, [[1, 1]]), wg.InvalidArgumentError, /pad: .*per dimension of \[2,3\]/);
    expectThrowsBeforeWork(() => wg.pad(x, [[1, 1], [-1, 0]]), wg.InvalidArgumentError, /pad/);
    expectThrowsBeforeWork(() => wg.pad(x, [[1, 1], [0.5, 0]]), wg.InvalidArgumentError, /pad/);
    const i = wg.tensor([1], [1], 'int32');
    expectThrowsBeforeWork(() => wg.pad(i, [[1, 0]], 0.5), wg.InvalidArgumentError, /integer value/);
    x.dispose();
  });
});

describe('squeeze and expandDims', () => {
  it('match TensorFlow.js in shape, value and gradient, negative axes included', async () => {
    await expectLikeTf((x) => wg.squeeze(x), (x) => tf.squeeze(x), [input([1, 3, 1, 2], 30)]);
    await expectLikeTf((x) => wg.squeeze(x, [-2]), (x) => tf.squeeze(x, [-2]), [input([1, 3, 1, 2], 31)]);
    await expectLikeTf((x) => x.squeeze([0, 2]), (x) => x.squeeze([0, 2]), [input([1, 3, 1, 2], 32)]);
    for (const axis of [0, 1, 2, -1, -3]) {
      await expectLikeTf((x) => wg.expandDims(x, axis), (x) => tf.expandDims(x, axis), [input([3, 2], 33)]);
    }
    await expectLikeTf((x) => x.expandDims(), (x) => x.expandDims(), [input([4], 34)]);
  });

  it('are views: no GPU work', () => {
    const x = wg.ones([1, 3, 1]);
    const { result, dispatches } = dispatchesOf(() => wg.expandDims(wg.squeeze(x), -1));
    expect(dispatches).toBe(0);
    expect(result.shape).toEqual([3, 1]);
    expect(result.storage).toBe(x.storage);
  });

  it('an axis that is not 1 or out of range: typed errors before any work', () => {
    const x = wg.ones([1, 3]);
    expectThrowsBeforeWork(() => wg.squeeze(x, 1), wg.ShapeError, /squeeze: axis 1 of \[1,3\] has size 3/);
    expectThrowsBeforeWork(() => wg.squeeze(x, 2), wg.InvalidArgumentError, /squeeze/);
    expectThrowsBeforeWork(() => wg.expandDims(x, 3), wg.InvalidArgumentError, /expandDims: axis 3 is out of range/);
    expectThrowsBeforeWork(() => wg.expandDims(x, -4), wg.InvalidArgumentError, /expandDims/);
    x.dispose();
  });
});

describe('gradients of gradients through slice, pad and concat', () => {
  // f(x) = Σ w · (concat of a slice of x and x padded)³: a composition whose second derivative is
  // known from float64 central differences of the same function.
  it('as central differences of the float64 function', async () => {
    const x = randomArray(6, 40, -1, 1);
    const w = Array.from(randomArray(3 + 10, 41));
    const f = (v: wg.Tensor) => {
      const parts = wg.concat([wg.slice(v, [1], [3]), wg.pad(wg.slice(v, [2], [4]), [[2, 4]], 0.3)]);
      return wg.sum(wg.mul(wg.mul(wg.square(parts), parts), wg.tensor(w)));
    };
    const reference = (v: number[]) => {
      const parts = [...v.slice(1, 4), 0.3, 0.3, ...v.slice(2, 6), 0.3, 0.3, 0.3, 0.3];
      return parts.reduce((acc, p, i) => acc + w[i] * p ** 3, 0);
    };
    expectClose(await secondDerivativeRowSums(f, x, [6]), hessianRowSums(reference, x), 1e-3, 1e-3);
  });
});
