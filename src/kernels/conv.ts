import conv2dSource from '../../shaders/conv2d.wgsl';
import conv2dDirectSource from '../../shaders/conv2d_direct.wgsl';
import conv2dFilterSource from '../../shaders/conv2d_filter.wgsl';
import conv2dFilterNarrowSource from '../../shaders/conv2d_filter_narrow.wgsl';
import conv2dNarrowSource from '../../shaders/conv2d_narrow.wgsl';
import conv2dTiledSource from '../../shaders/conv2d_tiled.wgsl';
import depthwiseSource from '../../shaders/depthwise.wgsl';
import { epilogueKernels, plainEpilogue } from './epilogue';
import { defineKernel } from './kernel';

// Each convolution with an activation epilogue is declared plain and with the activation (epilogue.ts).

/**
 * The uniforms of every 2-D convolution kernel: a GEMM C [M, N] (sliced per split for the filter
 * gradient) whose A operand is the patches of an NHWC image S read in place. shaders/conv2d.wgsl
 * explains the geometry fields.
 */
const convUniforms = {
  M: 'u32',
  N: 'u32',
  depth: 'u32',
  kernelH: 'u32',
  kernelW: 'u32',
  rowsH: 'u32',
  rowsW: 'u32',
  srcH: 'u32',
  srcW: 'u32',
  strideY: 'i32',
  strideX: 'i32',
  stepY: 'i32',
  stepX: 'i32',
  offsetY: 'i32',
  offsetX: 'i32',
  divY: 'i32',
  divX: 'i32',
  bTapStride: 'u32',
  bDepthStride: 'u32',
  bColStride: 'u32',
  kRows: 'u32',
  totalRows: 'u32',
  groupOffsetX: 'u32',
  groupOffsetY: 'u32',
} as const;

const convBindings = {
  S: { access: 'read', dtype: 'float32' },
  B: { access: 'read', dtype: 'float32' },
  C: { access: 'read_write', dtype: 'float32' },
  bias: { access: 'read', dtype: 'float32' },
} as const;

const registerOverrides = { WG_X: 'u32', WG_Y: 'u32', ROW_GROUPS: 'u32', COL_VECS: 'u32' } as const;

/** Forward pass and input gradient as an implicit GEMM in registers, for CPU adapters (shaders/conv2d.wgsl). */
const register = {
  shader: 'conv2d',
  source: conv2dSource,
  uniforms: convUniforms,
  bindings: convBindings,
  workgroupSize: ['WG_X', 'WG_Y', 1],
  overrides: { HAS_BIAS: 'bool', ...registerOverrides, ACTIVATION: 'u32', ALPHA: 'f32', DIVIDE: 'bool', FLAT: 'bool' },
  entries: ['main'],
} as const;
export const [conv2dKernel, conv2dActivationKernel] = epilogueKernels(register);

/** The same for outputs of at most 8 channels, 2 columns per invocation (shaders/conv2d_narrow.wgsl). */
const narrow = {
  ...register,
  shader: 'conv2d_narrow',
  source: conv2dNarrowSource,
  overrides: { HAS_BIAS: 'bool', WG_X: 'u32', WG_Y: 'u32', ROW_GROUPS: 'u32', ACTIVATION: 'u32', ALPHA: 'f32', DIVIDE: 'bool', FLAT: 'bool' },
} as const;
export const [conv2dNarrowKernel, conv2dNarrowActivationKernel] = epilogueKernels(narrow);

/** The filter gradient, split over the batch, in registers (shaders/conv2d_filter.wgsl). */
export const conv2dFilterKernel = defineKernel({
  shader: 'conv2d_filter',
  source: conv2dFilterSource,
  uniforms: convUniforms,
  bindings: { S: convBindings.S, B: convBindings.B, C: convBindings.C },
  workgroupSize: ['WG_X', 'WG_Y', 1],
  overrides: registerOverrides,
  entries: ['main'],
});

/** The filter gradient of at most 8 output channels, 2 columns per invocation (shaders/conv2d_filter_narrow.wgsl). */
export const conv2dFilterNarrowKernel = defineKernel({
  shader: 'conv2d_filter_narrow',
  source: conv2dFilterNarrowSource,
  uniforms: convUniforms,
  bindings: { S: convBindings.S, B: convBindings.B, C: convBindings.C },
  workgroupSize: ['WG_X', 'WG_Y', 1],
  overrides: { WG_X: 'u32', WG_Y: 'u32', ROW_GROUPS: 'u32' },
  entries: ['main'],
});

/**
 * Forward pass, input gradient (FILTER off) and filter gradient (FILTER on) in workgroup-memory
 * tiles of TILE × TILE, for GPUs (shaders/conv2d_tiled.wgsl). Every mode binds a bias buffer.
 */
const tiled = {
  shader: 'conv2d_tiled',
  source: conv2dTiledSource,
  uniforms: convUniforms,
  bindings: convBindings,
  workgroupSize: [16, 16, 1],
  overrides: { FILTER: 'bool', HAS_BIAS: 'bool', ACTIVATION: 'u32', ALPHA: 'f32' },
  consts: { TILE: 64 },
  entries: ['main'],
} as const;
export const [conv2dTiledKernel, conv2dTiledActivationKernel] = epilogueKernels(tiled);

// An entry's bind group holds exactly the bindings it names, so each entry has its own declaration.

/** Forward pass and input gradient, one output element per invocation: the plain path (shaders/conv2d_direct.wgsl). */
const direct = {
  shader: 'conv2d_direct',
  source: conv2dDirectSource,
  uniforms: convUniforms,
  bindings: convBindings,
  workgroupSize: [64],
  overrides: { HAS_BIAS: 'bool', ACTIVATION: 'u32', ALPHA: 'f32' },
  entries: ['main'],
} as const;
export const [conv2dDirectKernel, conv2dDirectActivationKernel] = epilogueKernels(direct);

/** The filter gradient on the plain path, split over the batch. */
export const conv2dDirectFilterKernel = defineKernel({
  ...direct,
  includes: plainEpilogue,
  bindings: { S: convBindings.S, B: convBindings.B, C: convBindings.C },
  entries: ['filterGrad'],
});

const depthwiseBindings = {
  S: { access: 'read', dtype: 'float32' },
  F: { access: 'read', dtype: 'float32' },
  C: { access: 'read_write', dtype: 'float32' },
  bias: { access: 'read', dtype: 'float32' },
} as const;

/** Depthwise convolution: forward and input gradient (shaders/depthwise.wgsl). */
const depthwise = {
  shader: 'depthwise',
  source: depthwiseSource,
  uniforms: {
    M: 'u32',
    N: 'u32',
    kernelH: 'u32',
    kernelW: 'u32',
    rowsH: 'u32',
    rowsW: 'u32',
    srcH: 'u32',
    srcW: 'u32',
    srcC: 'u32',
    strideY: 'i32',
    strideX: 'i32',
    stepY: 'i32',
    stepX: 'i32',
    offsetY: 'i32',
    offsetX: 'i32',
    divY: 'i32',
    divX: 'i32',
    sums: 'u32',
    ratio: 'u32',
    filterCols: 'u32',
    kRows: 'u32',
    totalRows: 'u32',
  },
  bindings: depthwiseBindings,
  workgroupSize: [64],
  overrides: { HAS_BIAS: 'bool', ACTIVATION: 'u32', ALPHA: 'f32' },
  entries: ['main'],
} as const;
export const [depthwiseKernel, depthwiseActivationKernel] = epilogueKernels(depthwise);

/** The depthwise filter gradient, split over the batch. */
export const depthwiseFilterKernel = defineKernel({
  ...depthwise,
  includes: plainEpilogue,
  bindings: { S: depthwiseBindings.S, F: depthwiseBindings.F, C: depthwiseBindings.C },
  entries: ['filterGrad'],
});
