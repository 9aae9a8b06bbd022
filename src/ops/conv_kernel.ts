import { engine } from '../device/engine';
import {
  conv2dActivationKernel,
  conv2dDirectActivationKernel,
  conv2dDirectFilterKernel,
  conv2dDirectKernel,
  conv2dFilterKernel,
  conv2dKernel,
  conv2dNarrowActivationKernel,
  conv2dNarrowKernel,
  conv2dTiledActivationKernel,
  conv2dTiledKernel,
  depthwiseActivationKernel,
  depthwiseFilterKernel,
  depthwiseKernel,
} from '../kernels/conv';
import type { UniformValues } from '../kernels/kernel';
import { zeros } from '../tensor/create';
import { emptyTensor, type Tensor } from '../tensor/tensor';
import type { Epilogue } from './matmul_kernel';
import { withoutRecording } from './primitive';
import { sum } from './reduce';
import type { WindowGeometry } from './window';

/** A convolution's shapes: x [batch, inH, inW, inC], y [batch, outH, outW, outC], and its window. */
export interface ConvDims extends WindowGeometry {
  batch: number;
  inC: number;
  outC: number;
}

type ConvKernelChoice = 'register' | 'tiled' | 'direct';
let forced: ConvKernelChoice | undefined;

/** Makes every 2-D convolution use one kernel family whatever the adapter (tests run each). */
export function forceConvKernel(kernel?: ConvKernelChoice): void {
  forced = kernel;
}

/**
 * The register-tiled kernels need quad swaps ('subgroups') numbered along x, which SwiftShader
 * gives, and suit CPU adapters; GPUs take the workgroup-memory tiles, as the matmul does
 * (src/ops/matmul_kernel.ts). The plain one-output-per-invocation kernel is the reference.
 */
function family(): ConvKernelChoice {
  if (forced) return forced;
  const e = engine();
  return e.info.isSwiftShader && e.features.has('subgroups') ? 'register' : 'tiled';
}

/** The uniforms every convolution kernel takes, with the fields a mode leaves unused at 0. */
type ConvUniforms = UniformValues<typeof conv2dKernel.decl.uniforms>;

/** Rows are output pixels; S is x, B the filter [taps, inC, outC]. */
const forwardUniforms = (d: ConvDims): ConvUniforms => ({
  M: d.batch * d.outH * d.outW,
  N: d.outC,
  depth: d.inC,
  kernelH: d.kernelH,
  kernelW: d.kernelW,
  rowsH: d.outH,
  rowsW: d.outW,
  srcH: d.inH,
  srcW: d.inW,
  strideY: d.strideH,
  strideX: d.strideW,
  stepY: d.dilationH,
  stepX: d.dilationW,
  offsetY: -d.padTop,
  offsetX: -d.padLeft,
  divY: 1,
  divX: 1,
  bTapStride: d.inC * d.outC,
  bDepthStride: d.outC,
  bColStride: 1,
  kRows: 0,
  totalRows: 0,
  groupOffsetX: 0,
  groupOffsetY: 0,
});

/**
 * Rows are input pixels (iy, ix); S is dy, B the filter read as [taps, outC, inC]. Input row iy
 * takes output row oy at tap ky where oy·sh + ky·dh − padTop = iy: oy = (iy + padTop − ky·dh) / sh.
 */
const inputGradUniforms = (d: ConvDims): ConvUniforms => ({
  ...forwardUniforms(d),
  M: d.batch * d.inH * d.inW,
  N: d.inC,
  depth: d.outC,
  rowsH: d.inH,
  rowsW: d.inW,
  srcH: d.outH,
  srcW: d.outW,
  strideY: 1,
  strideX: 1,
  stepY: -d.dilationH,
  stepX: -d.dilationW,
  offsetY: d.padTop,
  offsetX: d.padLeft,
  divY: d.strideH,
  divX: d.strideW,
  bDepthStride: 1,
  bColStride: d.outC,
});

/** Output rows (n, oy) per workgroup slice of a filter gradient, and the number of slices. */
function splitBatch(d: ConvDims, tiles: number): { kRows: number; splits: number } {
  const totalRows = d.batch * d.outH;
  // Enough workgroups to keep every core busy, but at least MIN_PIXELS pixels per slice, so the
  // slices' sum stays small beside the products.
  const wanted = Math.min(Math.ceil(TARGET_WORKGROUPS / tiles), Math.ceil((totalRows * d.outW) / MIN_PIXELS));
  const kRows = Math.ceil(totalRows / Math.max(1, wanted));
  return { kRows, splits: Math.ceil(totalRows / kRows) };
}
const TARGET_WORKGROUPS = 64;
const MIN_PIXELS = 256;

/**
 * Register blocks and workgroup shape for a GEMM of M × N: the matmul's 16 × 8 blocks (bench/README.md),
 * but 16 × 4 up to 16 columns, since a quad spans 16·COL_VECS columns and computes those past N
 * for nothing (convolutions often have 8 or 16 channels).
 */
function registerTile(M: number, N: number) {
  const rowGroups = Math.min(4, Math.ceil(M / 4));
  const colVecs = N > 16 ? 2 : 1;
  const wgX = N > 16 * colVecs ? 8 : 4;
  const wgY = Math.min(4, 2 ** Math.ceil(Math.log2(Math.max(1, Math.ceil(M / (4 * rowGroups))))));
  return {
    constants: { ROW_GROUPS: rowGroups, COL_VECS: colVecs, WG_X: wgX, WG_Y: wgY },
    tileRows: 4 * rowGroups * wgY,
    tileCols: 4 * colVecs * wgX,
  };
}

/** Output channels up to which conv2d_narrow.wgsl (a quad spans 8 columns) replaces conv2d.wgsl (16). */
const NARROW_COLUMNS = 8;

/** conv2d_narrow.wgsl's blocking: registerTile's rows, 2 columns per invocation, one quad across. */
function narrowTile(M: number) {
  const { constants, tileRows } = registerTile(M, 1);
  return { constants: { ROW_GROUPS: constants.ROW_GROUPS, WG_X: 4, WG_Y: constants.WG_Y }, tileRows, tileCols: 8 };
}

/** The workgroup-memory kernel's tile of C (shaders/conv2d_tiled.wgsl). */
const TILE = conv2dTiledKernel.decl.consts!.TILE;
const TILED = { tileRows: TILE, tileCols: TILE };

/** Channels per tap below which conv2d.wgsl's single K loop beats its loop per tap (bench/README.md). */
const FLAT_BELOW_DEPTH = 8;

/** Launches a register kernel over a grid of tiles, in chunks of at most the per-dimension limit. */
function launchTiles(
  u: ConvUniforms,
  z: number,
  launch: (uniforms: ConvUniforms, groups: [number, number, number]) => void,
  tile: { tileRows: number; tileCols: number },
): void {
  const most = engine().info.limits.maxComputeWorkgroupsPerDimension ?? 65535;
  const gx = Math.ceil(u.N / tile.tileCols);
  const gy = Math.ceil(u.M / tile.tileRows);
  for (let y = 0; y < gy; y += most) {
    for (let x = 0; x < gx; x += most) {
      launch({ ...u, groupOffsetX: x, groupOffsetY: y }, [Math.min(most, gx - x), Math.min(most, gy - y), z]);
    }
  }
}

/** y = conv2d(x, filter) (+ bias, activation) into `out` [batch, outH, outW, outC]. */
export function encodeConvForward(op: string, x: Tensor, filter: Tensor, out: Tensor, d: ConvDims, bias?: Tensor, epilogue?: Epilogue): void {
  encodeRows(op, forwardUniforms(d), x, filter, out, bias, epilogue);
}

/** dx = the input gradient of conv2d, into `dx` [batch, inH, inW, inC]. */
export function encodeConvInputGrad(op: string, dy: Tensor, filter: Tensor, dx: Tensor, d: ConvDims): void {
  encodeRows(op, inputGradUniforms(d), dy, filter, dx);
}

function encodeRows(op: string, u: ConvUniforms, src: Tensor, b: Tensor, out: Tensor, bias?: Tensor, epilogue?: Epilogue): void {
  if (u.M === 0 || u.N === 0) return;
  const activation = { HAS_BIAS: bias ? 1 : 0, ACTIVATION: epilogue?.activation ?? 0, ALPHA: epilogue?.alpha ?? 0 };
  const bindings = { S: src, B: b, C: out, bias: bias ?? src };
  const kernels = family();
  if (kernels === 'tiled') {
    const kernel = epilogue ? conv2dTiledActivationKernel : conv2dTiledKernel;
    const constants = { ...activation, FILTER: false };
    launchTiles(u, 1, (uniforms, groups) => kernel.launch({ op, constants, uniforms, bindings, groups }), TILED);
  } else if (kernels === 'register') {
    const loop = { DIVIDE: u.divY > 1 || u.divX > 1 ? 1 : 0, FLAT: u.depth < FLAT_BELOW_DEPTH ? 1 : 0 };
    if (u.N <= NARROW_COLUMNS) {
      const kernel = epilogue ? conv2dNarrowActivationKernel : conv2dNarrowKernel;
      const tile = narrowTile(u.M);
      const constants = { ...tile.constants, ...activation, ...loop };
      launchTiles(u, 1, (uniforms, groups) => kernel.launch({ op, constants, uniforms, bindings, groups }), tile);
    } else {
      const kernel = epilogue ? conv2dActivationKernel : conv2dKernel;
      const tile = registerTile(u.M, u.N);
      const constants = { ...tile.constants, ...activation, ...loop };
      launchTiles(u, 1, (uniforms, groups) => kernel.launch({ op, constants, uniforms, bindings, groups }), tile);
    }
  } else {
    const kernel = epilogue ? conv2dDirectActivationKernel : conv2dDirectKernel;
    kernel.launch({ op, constants: activation, uniforms: u, bindings, groups: kernel.threads(u.M * u.N) });
  }
}

/**
 * dF = the filter gradient of conv2d, [kernelH, kernelW, inC, outC]: slices of the batch summed by
 * separate workgroups, then added up.
 */
export function encodeConvFilterGrad(op: string, x: Tensor, dy: Tensor, d: ConvDims): Tensor {
  const filterShape = [d.kernelH, d.kernelW, d.inC, d.outC];
  const base = { ...forwardUniforms(d), M: d.kernelH * d.kernelW * d.inC, N: d.outC, totalRows: d.batch * d.outH };
  if (base.M === 0 || base.N === 0 || base.totalRows * d.outW === 0) return zeros(filterShape);
  const kernels = family();
  const register = kernels === 'register' ? registerTile(base.M, base.N) : undefined;
  const tile = register ?? (kernels === 'tiled' ? TILED : undefined);
  const tiles = tile ? Math.ceil(base.M / tile.tileRows) * Math.ceil(base.N / tile.tileCols) : Math.ceil((base.M * base.N) / 64);
  const { kRows, splits } = splitBatch(d, tiles);
  const u = { ...base, kRows };
  const bindings = (C: Tensor) => ({ S: x, B: dy, C });
  return sumSlices(filterShape, splits, (slices) => {
    if (kernels === 'tiled') {
      const constants = { HAS_BIAS: false, ACTIVATION: 0, ALPHA: 0, FILTER: true };
      launchTiles(u, splits, (uniforms, groups) => conv2dTiledKernel.launch({ op, constants, uniforms, bindings: { ...bindings(slices), bias: x }, groups }), TILED);
    } else if (register) {
      launchTiles(u, splits, (uniforms, groups) => conv2dFilterKernel.launch({ op, constants: register.constants, uniforms, bindings: bindings(slices), groups }), register);
    } else {
      const [gx, gy] = conv2dDirectFilterKernel.threads(u.M * u.N);
      conv2dDirectFilterKernel.launch({ op, uniforms: u, bindings: bindings(slices), groups: [gx, gy, splits] });
    }
  });
}

/** Runs `fill` on [splits, ...shape] and returns the sum over the splits (or the one slice as it is). */
function sumSlices(shape: number[], splits: number, fill: (slices: Tensor) => void): Tensor {
  if (splits === 1) {
    const out = emptyTensor(shape);
    fill(out);
    return out;
  }
  const slices = emptyTensor([splits, ...shape]);
  fill(slices);
  const out = withoutRecording(() => sum(slices, 0));
  slices.dispose();
  return out;
}

/** shaders/depthwise.wgsl's uniforms: for the forward pass, or for the input gradient (rows over x's pixels, reading dy). */
function depthwiseUniforms(d: ConvDims, inputGrad: boolean) {
  const multiplier = d.outC / d.inC;
  const forward = {
    M: d.batch * d.outH * d.outW,
    N: d.outC,
    kernelH: d.kernelH,
    kernelW: d.kernelW,
    rowsH: d.outH,
    rowsW: d.outW,
    srcH: d.inH,
    srcW: d.inW,
    srcC: d.inC,
    strideY: d.strideH,
    strideX: d.strideW,
    stepY: d.dilationH,
    stepX: d.dilationW,
    offsetY: -d.padTop,
    offsetX: -d.padLeft,
    divY: 1,
    divX: 1,
    sums: 1,
    ratio: multiplier,
    filterCols: d.outC,
    kRows: 0,
    totalRows: 0,
  };
  if (!inputGrad) return forward;
  return {
    ...forward,
    M: d.batch * d.inH * d.inW,
    N: d.inC,
    rowsH: d.inH,
    rowsW: d.inW,
    srcH: d.outH,
    srcW: d.outW,
    srcC: d.outC,
    strideY: 1,
    strideX: 1,
    stepY: -d.dilationH,
    stepX: -d.dilationW,
    offsetY: d.padTop,
    offsetX: d.padLeft,
    divY: d.strideH,
    divX: d.strideW,
    sums: multiplier,
    ratio: 1,
  };
}

/** Depthwise forward (+ bias, activation) into `out`, or its input gradient into `out` from dy. */
export function encodeDepthwiseRows(op: string, src: Tensor, filter: Tensor, out: Tensor, d: ConvDims, inputGrad: boolean, bias?: Tensor, epilogue?: Epilogue): void {
  const u = depthwiseUniforms(d, inputGrad);
  if (u.M === 0 || u.N === 0) return;
  const kernel = epilogue ? depthwiseActivationKernel : depthwiseKernel;
  kernel.launch({
    op,
    constants: { HAS_BIAS: bias ? 1 : 0, ACTIVATION: epilogue?.activation ?? 0, ALPHA: epilogue?.alpha ?? 0 },
    uniforms: u,
    bindings: { S: src, F: filter, C: out, bias: bias ?? src },
    groups: kernel.threads(u.M * u.N),
  });
}

/** The depthwise filter gradient [kernelH, kernelW, inC, multiplier], split over the batch. */
export function encodeDepthwiseFilterGrad(op: string, x: Tensor, dy: Tensor, d: ConvDims): Tensor {
  const filterShape = [d.kernelH, d.kernelW, d.inC, d.outC / d.inC];
  const taps = d.kernelH * d.kernelW;
  if (taps * d.outC === 0 || d.batch * d.outH * d.outW === 0) return zeros(filterShape);
  const { kRows, splits } = splitBatch(d, Math.ceil((taps * d.outC) / 64));
  const u = { ...depthwiseUniforms(d, false), M: taps, kRows, totalRows: d.batch * d.outH };
  return sumSlices(filterShape, splits, (slices) => {
    const [gx, gy] = depthwiseFilterKernel.threads(taps * d.outC);
    depthwiseFilterKernel.launch({ op, uniforms: u, bindings: { S: x, F: dy, C: slices }, groups: [gx, gy, splits] });
  });
}

