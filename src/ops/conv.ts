// 2-D convolutions (NHWC): conv2d, conv1d (conv2d on a height-1 view) and depthwiseConv2d, with
// their input and filter gradients as ops of their own, so that gradients of gradients compose.
import { InvalidArgumentError, ShapeError, show } from '../errors';
import { unaryCodes } from '../kernels/unary';
import { fmt } from '../tensor/shape';
import { emptyTensor, type Tensor } from '../tensor/tensor';
import { type ConvDims, encodeConvFilterGrad, encodeConvForward, encodeConvInputGrad, encodeDepthwiseFilterGrad, encodeDepthwiseRows } from './conv_kernel';
import { checkTensor } from './operand';
import { emit, type VjpRule } from './primitive';
import { reshape } from './shape_ops';
import { activationGradFromOutput, type FusableActivation, fusableActivations, isFusable } from './unary';
import { type Padding, paddingOf, pairOf, windowGeometry } from './window';

/** How a convolution slides over its input: enough, with the shapes, to run it again. */
export interface ConvSpec {
  strides: [number, number];
  dilations: [number, number];
  padding: Padding;
}

export interface Conv2DOptions {
  /** Steps between windows, [height, width] or one number for both (default 1). */
  strides?: number | [number, number];
  /** 'valid' (windows inside the input, the default) or 'same' (output ⌈input / stride⌉, zero-padded as TensorFlow pads). */
  padding?: Padding;
  /** Spacing between filter taps (default 1); strides and dilations cannot both exceed 1, as in TensorFlow. */
  dilations?: number | [number, number];
  /** A vector of one entry per output channel, added in the same kernel. */
  bias?: Tensor;
  /**
   * An activation applied in the same kernel: 'relu', 'leakyRelu', 'elu', 'sigmoid' or 'tanh'
   * (those whose derivative can be read off the output), with `alpha` for leakyRelu and elu.
   */
  activation?: FusableActivation;
  alpha?: number;
}

export interface Conv1DOptions {
  stride?: number;
  padding?: Padding;
  dilation?: number;
  bias?: Tensor;
  activation?: FusableActivation;
  alpha?: number;
}

type Kind = 'conv2d' | 'depthwiseConv2d';

function optionsOf<T extends object>(op: string, opts: T | undefined): Partial<T> {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object') throw new InvalidArgumentError(`${op}: options must be an object.`);
  return opts;
}

function specOf(op: string, strides: unknown, dilations: unknown, padding: unknown): ConvSpec {
  const s = pairOf(op, 'strides', strides, 1);
  const d = pairOf(op, 'dilations', dilations, 1);
  if (Math.max(...s) > 1 && Math.max(...d) > 1) {
    throw new InvalidArgumentError(`${op}: strides [${s.join(',')}] and dilations [${d.join(',')}] cannot both exceed 1 (as in TensorFlow).`);
  }
  return { strides: s, dilations: d, padding: paddingOf(op, padding) };
}

/**
 * The shapes of a convolution of x [batch, H, W, C] by `filter` [kh, kw, C, outC] (depthwise:
 * [kh, kw, C, multiplier], outC = C·multiplier), checked: ranks, channels, a 'valid' window that fits.
 */
function convDims(
  op: string,
  kind: Kind,
  xShape: readonly number[],
  filterShape: readonly number[],
  spec: ConvSpec,
  describe = `x ${fmt(xShape)}, filter ${fmt(filterShape)}`,
): ConvDims {
  if (xShape.length !== 4) throw new ShapeError(`${op}: x must have rank 4 [batch, height, width, channels] (or 3 without the batch), got ${describe}.`);
  const filterLayout = kind === 'conv2d' ? '[height, width, inChannels, outChannels]' : '[height, width, channels, multiplier]';
  if (filterShape.length !== 4) throw new ShapeError(`${op}: the filter must have rank 4 ${filterLayout}, got ${describe}.`);
  const [batch, inH, inW, inC] = xShape;
  const [kernelH, kernelW, filterC, out] = filterShape;
  if (filterC !== inC) throw new ShapeError(`${op}: x has ${inC} channels but the filter expects ${filterC} (${describe}).`);
  const window = windowGeometry(op, describe, [inH, inW], [kernelH, kernelW], spec.strides, spec.dilations, spec.padding);
  return { ...window, batch, inC, outC: kind === 'conv2d' ? out : inC * out };
}

/** A forward convolution, checked: its shapes, bias and fused activation. */
interface ConvPlan {
  d: ConvDims;
  bias: Tensor | undefined;
  activation: FusableActivation | null;
  alpha: number;
}

/** Every check of a forward convolution, before any tensor is made or any GPU work encoded. */
function planConv(op: string, kind: Kind, xShape: readonly number[], filterShape: readonly number[], spec: ConvSpec, opts: Partial<Conv2DOptions>, describe: string): ConvPlan {
  const d = convDims(op, kind, xShape, filterShape, spec, describe);
  const bias = opts.bias === undefined ? undefined : checkTensor(opts.bias, op, 'bias', 'float32');
  if (bias && !(bias.rank >= 1 && bias.shape.slice(0, -1).every((n) => n === 1) && bias.shape[bias.rank - 1] === d.outC)) {
    throw new ShapeError(`${op}: bias ${fmt(bias.shape)} must have one entry per output channel ([${d.outC}]) for ${describe}.`);
  }
  const activation = opts.activation ?? null;
  const alpha = opts.alpha ?? (activation === 'leakyRelu' ? 0.2 : activation === 'elu' ? 1 : 0);
  if (activation !== null && !isFusable(activation, alpha)) {
    throw new InvalidArgumentError(`${op}: activation '${String(activation)}' cannot be fused; use one of ${fusableActivations.join(', ')} (leakyRelu with alpha > 0).`);
  }
  return { d, bias, activation, alpha };
}

/** y = activation(conv(x, filter) + bias): the one forward kernel, and the op the tape records. */
function runConv(op: string, kind: Kind, x: Tensor, filter: Tensor, spec: ConvSpec, { d, bias, activation, alpha }: ConvPlan): Tensor {
  const out = emptyTensor([d.batch, d.outH, d.outW, d.outC]);
  const epilogue = activation ? { activation: unaryCodes[activation], alpha } : undefined;
  if (kind === 'conv2d') encodeConvForward(op, x, filter, out, d, bias, epilogue);
  else encodeDepthwiseRows(op, x, filter, out, d, false, bias, epilogue);
  return emit('conv2d', { conv: spec, depthwise: kind === 'depthwiseConv2d', bias: !!bias, activation, alpha }, bias ? [x, filter, bias] : [x, filter], out);
}

/** The forward convolution of rank-4 operands without bias or activation (the VJPs' form). */
function convolve(kind: Kind, x: Tensor, filter: Tensor, spec: ConvSpec): Tensor {
  return runConv(kind, kind, x, filter, spec, planConv(kind, kind, x.shape, filter.shape, spec, {}, `x ${fmt(x.shape)}, filter ${fmt(filter.shape)}`));
}

/** conv2d or depthwiseConv2d of x (rank 4, or 3 unbatched), giving the result x's rank. */
function convolveBatched(kind: Kind, x: unknown, filter: unknown, opts: Conv2DOptions | undefined): Tensor {
  const op = kind;
  const xt = checkTensor(x, op, 'x', 'float32');
  const ft = checkTensor(filter, op, 'filter', 'float32');
  const o = optionsOf(op, opts);
  const spec = specOf(op, o.strides, o.dilations, o.padding);
  const describe = `x ${fmt(xt.shape)}, filter ${fmt(ft.shape)}`;
  if (xt.rank !== 3 && xt.rank !== 4) throw new ShapeError(`${op}: x must have rank 4 [batch, height, width, channels] (or 3 without the batch), got ${describe}.`);
  const plan = planConv(op, kind, xt.rank === 3 ? [1, ...xt.shape] : xt.shape, ft.shape, spec, o, describe);
  if (xt.rank === 4) return runConv(op, kind, xt, ft, spec, plan);
  const x4 = reshape(xt, [1, ...xt.shape]);
  const y = runConv(op, kind, x4, ft, spec, plan);
  const unbatched = reshape(y, y.shape.slice(1));
  x4.dispose();
  y.dispose();
  return unbatched;
}

/**
 * 2-D convolution, channels last: x [batch, height, width, inChannels] (or without the batch),
 * filter [filterHeight, filterWidth, inChannels, outChannels]; y [batch, outHeight, outWidth, outChannels].
 */
export function conv2d(x: Tensor, filter: Tensor, opts?: Conv2DOptions): Tensor {
  return convolveBatched('conv2d', x, filter, opts);
}

/**
 * Depthwise 2-D convolution: each input channel c is convolved with its own `multiplier` filters,
 * giving output channels c·multiplier … c·multiplier + multiplier − 1. filter [kh, kw, inChannels, multiplier].
 */
export function depthwiseConv2d(x: Tensor, filter: Tensor, opts?: Conv2DOptions): Tensor {
  return convolveBatched('depthwiseConv2d', x, filter, opts);
}

/**
 * 1-D convolution: x [batch, width, inChannels] (or without the batch), filter [filterWidth,
 * inChannels, outChannels]; y [batch, outWidth, outChannels]. Runs as conv2d on a height-1 view.
 */
export function conv1d(x: Tensor, filter: Tensor, opts?: Conv1DOptions): Tensor {
  const op = 'conv1d';
  const xt = checkTensor(x, op, 'x', 'float32');
  const ft = checkTensor(filter, op, 'filter', 'float32');
  const o = optionsOf(op, opts);
  const describe = `x ${fmt(xt.shape)}, filter ${fmt(ft.shape)}`;
  if (xt.rank !== 2 && xt.rank !== 3) throw new ShapeError(`${op}: x must have rank 3 [batch, width, channels] (or 2 without the batch), got ${describe}.`);
  if (ft.rank !== 3) throw new ShapeError(`${op}: the filter must have rank 3 [width, inChannels, outChannels], got ${describe}.`);
  const [width, inC] = xt.shape.slice(-2);
  if (ft.shape[1] !== inC) throw new ShapeError(`${op}: x has ${inC} channels but the filter expects ${ft.shape[1]} (${describe}).`);
  for (const [name, v] of [['stride', o.stride], ['dilation', o.dilation]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new InvalidArgumentError(`${op}: ${name} must be a positive integer, got ${show(v)}.`);
  }
  const stride = o.stride ?? 1;
  const dilation = o.dilation ?? 1;
  const spec = specOf(op, [1, stride], [1, dilation], o.padding);
  const span = (ft.shape[0] - 1) * dilation + 1;
  if (spec.padding === 'valid' && span > width) {
    throw new ShapeError(`${op}: the filter spans ${span} steps, more than the input's ${width} with padding 'valid' (${describe}).`);
  }
  const batch = xt.rank === 3 ? xt.shape[0] : 1;
  const plan = planConv(op, 'conv2d', [batch, 1, width, inC], [1, ...ft.shape], spec, o, describe);
  const x4 = reshape(xt, [batch, 1, width, inC]);
  const f4 = reshape(ft, [1, ...ft.shape]);
  const y4 = runConv(op, 'conv2d', x4, f4, spec, plan);
  const y = reshape(y4, xt.rank === 3 ? [batch, y4.shape[2], y4.shape[3]] : [y4.shape[2], y4.shape[3]]);
  for (const t of [x4, f4, y4]) t.dispose();
  return y;
}

const kindOf = (depthwise: boolean): Kind => (depthwise ? 'depthwiseConv2d' : 'conv2d');

/** The input gradient of a convolution: dx [inputShape] from dy and the filter (an op with its own VJP). */
export function conv2dBackpropInput(dy: Tensor, filter: Tensor, inputShape: readonly number[], spec: ConvSpec, depthwise: boolean): Tensor {
  const op = depthwise ? 'depthwiseConv2d (input gradient)' : 'conv2d (input gradient)';
  const d = convDims(op, kindOf(depthwise), inputShape, filter.shape, spec);
  checkDy(op, dy, d);
  const dx = emptyTensor(inputShape);
  if (depthwise) encodeDepthwiseRows(op, dy, filter, dx, d, true);
  else encodeConvInputGrad(op, dy, filter, dx, d);
  return emit('conv2dBackpropInput', { conv: spec, depthwise, inputShape: [...inputShape] }, [dy, filter], dx);
}

/** The filter gradient of a convolution: dF [filterShape] from x and dy (an op with its own VJP). */
export function conv2dBackpropFilter(x: Tensor, dy: Tensor, filterShape: readonly number[], spec: ConvSpec, depthwise: boolean): Tensor {
  const op = depthwise ? 'depthwiseConv2d (filter gradient)' : 'conv2d (filter gradient)';
  const d = convDims(op, kindOf(depthwise), x.shape, filterShape, spec);
  checkDy(op, dy, d);
  const df = depthwise ? encodeDepthwiseFilterGrad(op, x, dy, d) : encodeConvFilterGrad(op, x, dy, d);
  return emit('conv2dBackpropFilter', { conv: spec, depthwise, filterShape: [...filterShape] }, [x, dy], df);
}

function checkDy(op: string, dy: Tensor, d: ConvDims): void {
  const want = [d.batch, d.outH, d.outW, d.outC];
  if (dy.rank !== 4 || dy.shape.some((n, i) => n !== want[i])) throw new ShapeError(`${op}: dy ${fmt(dy.shape)} must have the output's shape ${fmt(want)}.`);
}

/**
 * y = f(conv(x, F) + b) with cotangent G: first G·f'(y) (f from the output alone, as the matmul's
 * epilogue), then dx = conv2dBackpropInput(G, F), dF = conv2dBackpropFilter(x, G), db = G
 * (summed to the bias's shape by the tape).
 */
export const conv2dVjp: VjpRule<'conv2d'> = (ct, { inputs: [x, filter], output, needs, params: { conv, depthwise, activation, alpha } }) => {
  const g = activation ? activationGradFromOutput(activation, alpha, output, ct) : ct;
  const grads = [
    needs[0] ? conv2dBackpropInput(g, filter, x.shape, conv, depthwise) : null,
    needs[1] ? conv2dBackpropFilter(x, g, filter.shape, conv, depthwise) : null,
    ...(needs[2] ? [g] : []),
  ];
  if (g !== ct && !needs[2]) g.dispose();
  return grads;
};

/**
 * dx = Σ dy·F is linear in each: its adjoint in dy is the forward convolution of the cotangent,
 * in F the filter gradient with the cotangent in x's place.
 */
export const conv2dBackpropInputVjp: VjpRule<'conv2dBackpropInput'> = (ct, { inputs: [dy, filter], needs, params: { conv, depthwise } }) => [
  needs[0] ? convolve(kindOf(depthwise), ct, filter, conv) : null,
  needs[1] ? conv2dBackpropFilter(ct, dy, filter.shape, conv, depthwise) : null,
];

/** dF = Σ x·dy: its adjoint in x is the input gradient with the cotangent as the filter, in dy the forward convolution by it. */
export const conv2dBackpropFilterVjp: VjpRule<'conv2dBackpropFilter'> = (ct, { inputs: [x, dy], needs, params: { conv, depthwise } }) => [
  needs[0] ? conv2dBackpropInput(dy, ct, x.shape, conv, depthwise) : null,
  needs[1] ? convolve(kindOf(depthwise), x, ct, conv) : null,
];
