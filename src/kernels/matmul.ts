import matmulSource from '../../shaders/matmul.wgsl';
import matmulTiledSource from '../../shaders/matmul_tiled.wgsl';
import { epilogueKernels } from './epilogue';

// Each matmul is declared plain and with an activation epilogue (epilogue.ts).

const matmulUniforms = {
  M: 'u32',
  N: 'u32',
  K: 'u32',
  aBatchStride: 'u32',
  bBatchStride: 'u32',
  groupOffsetX: 'u32',
  groupOffsetY: 'u32',
  groupOffsetZ: 'u32',
  batch: 'u32',
  kSlice: 'u32',
} as const;

const matmulBindings = {
  A: { access: 'read', dtype: 'float32' },
  B: { access: 'read', dtype: 'float32' },
  C: { access: 'read_write', dtype: 'float32' },
  bias: { access: 'read', dtype: 'float32' },
} as const;

/** The tiled kernel declares A, B and C also as vec4s, for its vec4 entry. */
const matmulTiledBindings = {
  A: { access: 'read', dtype: 'float32', vars: ['A', 'A4'] },
  B: { access: 'read', dtype: 'float32', vars: ['B', 'B4'] },
  C: { access: 'read_write', dtype: 'float32', vars: ['C', 'C4'] },
  bias: { access: 'read', dtype: 'float32' },
} as const;

/** C = op(A)·op(B) (+ bias) in registers, for CPU adapters (shaders/matmul.wgsl). */
const register = {
  shader: 'matmul',
  source: matmulSource,
  uniforms: matmulUniforms,
  bindings: matmulBindings,
  workgroupSize: ['WG_X', 'WG_Y', 1],
  overrides: {
    TRANSPOSE_A: 'bool',
    TRANSPOSE_B: 'bool',
    HAS_BIAS: 'bool',
    WG_X: 'u32',
    WG_Y: 'u32',
    ROW_GROUPS: 'u32',
    COL_VECS: 'u32',
    ACTIVATION: 'u32',
    ALPHA: 'f32',
  },
  entries: ['main'],
} as const;

/** The same product in workgroup-memory tiles, for GPUs (shaders/matmul_tiled.wgsl). */
const tiled = {
  shader: 'matmul_tiled',
  source: matmulTiledSource,
  uniforms: matmulUniforms,
  bindings: matmulTiledBindings,
  workgroupSize: ['WG_X', 'WG_Y', 1],
  overrides: {
    TRANSPOSE_A: 'bool',
    TRANSPOSE_B: 'bool',
    HAS_BIAS: 'bool',
    EDGE_CHECKS: 'bool',
    WG_X: 'u32',
    WG_Y: 'u32',
    THREAD_ROWS: 'u32',
    TILE_K: 'u32',
    TILE_M: 'u32',
    TILE_N: 'u32',
    ACTIVATION: 'u32',
    ALPHA: 'f32',
  },
  entries: ['main', 'main4'],
} as const;

export const [matmulRegisterKernel, matmulRegisterActivationKernel] = epilogueKernels(register);
export const [matmulTiledKernel, matmulTiledActivationKernel] = epilogueKernels(tiled);
