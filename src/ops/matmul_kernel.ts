import { adapterProfile, dispatch, Params } from '../device/kernels';

/**
 * C[b] = op(A[b]) · op(B[b]) (+ bias) for contiguous row-major f32 buffers: A is [batch, M, K]
 * ([batch, K, M] when transposeA), B is [batch, K, N] ([batch, N, K] when transposeB), C is
 * [batch, M, N]. A batch stride of 0 shares one matrix across the batch.
 */
export interface MatmulDims {
  batch: number;
  M: number;
  N: number;
  K: number;
  transposeA: boolean;
  transposeB: boolean;
  aBatchStride: number;
  bBatchStride: number;
}

interface Launch {
  shader: 'matmul' | 'matmul_tiled';
  constants: Record<string, number>;
  /** Rows and columns of C that one workgroup covers. */
  tile: [number, number];
}

let forced: Launch['shader'] | undefined;

/** Makes every matmul use one kernel whatever the adapter (tests run both kernels this way). */
export function forceMatmulKernel(kernel?: Launch['shader']): void {
  forced = kernel;
}

/**
 * Encodes C = op(A) · op(B) (+ `bias`, a length-N vector added to every row). Kernel and tile come
 * from the adapter and the shape; the figures behind these choices are in bench/README.md.
 */
/** An activation applied in the kernel's epilogue: a code of src/ops/unary.ts and its alpha. */
export interface Epilogue {
  activation: number;
  alpha: number;
}

export function encodeMatmul(a: GPUBuffer, b: GPUBuffer, out: GPUBuffer, d: MatmulDims, bias?: GPUBuffer, epilogue?: Epilogue): void {
  if (d.batch === 0 || d.M === 0 || d.N === 0) return;
  const profile = adapterProfile();
  const registers = forced ? forced === 'matmul' : profile.isSwiftShader && profile.features.has('subgroups');
  const launch = registers ? registerTiled(d) : workgroupTiled(d);
  const constants = {
    ...launch.constants,
    TRANSPOSE_A: d.transposeA ? 1 : 0,
    TRANSPOSE_B: d.transposeB ? 1 : 0,
    HAS_BIAS: bias ? 1 : 0,
    ...(epilogue ? { ACTIVATION: epilogue.activation, ALPHA: epilogue.alpha } : {}),
  };
  // An unused bias binding still needs a buffer: A is bound in its place (read-only aliasing is fine).
  const buffers = [a, b, out, bias ?? a];
  const groups = [Math.ceil(d.N / launch.tile[1]), Math.ceil(d.M / launch.tile[0]), d.batch];
  // A grid dimension holds at most maxComputeWorkgroupsPerDimension workgroups; larger ones go in
  // chunks, each told its offset.
  const most = profile.limits.maxComputeWorkgroupsPerDimension ?? 65535;
  for (let z = 0; z < groups[2]; z += most) {
    for (let y = 0; y < groups[1]; y += most) {
      for (let x = 0; x < groups[0]; x += most) {
        dispatch(
          { shader: launch.shader, constants },
          new Params().u32(d.M, d.N, d.K, d.aBatchStride, d.bBatchStride, x, y, z),
          buffers,
          [Math.min(most, groups[0] - x), Math.min(most, groups[1] - y), Math.min(most, groups[2] - z)],
        );
      }
    }
  }
}

/**
 * SwiftShader: shaders/matmul.wgsl. Each invocation holds a (4·ROW_GROUPS) × (4·COL_VECS) block
 * of C; 16×8 was fastest per CPU second, so that is the block whenever M and N are large enough,
 * and thin shapes get thinner blocks rather than computing rows and columns that are thrown away.
 * Workgroup shape barely matters there; small workgroups keep many of them for the CPU's threads.
 */
function registerTiled(d: MatmulDims): Launch {
  const rowGroups = Math.min(4, Math.ceil(d.M / 4));
  const colVecs = d.N > 4 ? 2 : 1;
  const wgX = d.N > 16 * colVecs ? 8 : 4;
  const wgY = Math.min(4, pow2AtLeast(Math.ceil(d.M / (4 * rowGroups))));
  return {
    shader: 'matmul',
    constants: { ROW_GROUPS: rowGroups, COL_VECS: colVecs, WG_X: wgX, WG_Y: wgY },
    tile: [4 * rowGroups * wgY, 4 * colVecs * wgX],
  };
}

interface TiledConfig {
  threadRows: number;
  wgX: number;
  wgY: number;
  tileK: number;
}

/**
 * Measured on an H100 (bench/README.md): 128 × 64 tiles lead from 2048² on (19–23 TFLOP/s),
 * 64 × 64 tiles up to 1024² (10–11 TFLOP/s there), and beat 32 × 32 even at 256². Both fit the
 * limits every WebGPU device has (256 invocations, 16 KiB of workgroup memory).
 */
const bigTile: TiledConfig = { threadRows: 8, wgX: 16, wgY: 16, tileK: 8 }; // 128 × 64
const smallTile: TiledConfig = { threadRows: 4, wgX: 16, wgY: 16, tileK: 16 }; // 64 × 64

/** Workgroups below which 128 × 64 tiles leave a large GPU underused (an H100 has 132 SMs). */
const BIG_TILE_MIN_WORKGROUPS = 256;

/**
 * GPUs: shaders/matmul_tiled.wgsl, with the bigger tile once it still makes enough workgroups.
 * EDGE_CHECKS goes off when the tiles fit the matrices exactly.
 */
function workgroupTiled(d: MatmulDims): Launch {
  const tileOf = (c: TiledConfig): [number, number] => [c.threadRows * c.wgY, 4 * c.wgX];
  const [bm, bn] = tileOf(bigTile);
  const c = Math.ceil(d.M / bm) * Math.ceil(d.N / bn) * d.batch >= BIG_TILE_MIN_WORKGROUPS ? bigTile : smallTile;
  const tile = tileOf(c);
  const exact = d.M % tile[0] === 0 && d.N % tile[1] === 0 && d.K % c.tileK === 0;
  return {
    shader: 'matmul_tiled',
    constants: {
      THREAD_ROWS: c.threadRows,
      WG_X: c.wgX,
      WG_Y: c.wgY,
      TILE_K: c.tileK,
      EDGE_CHECKS: exact ? 0 : 1,
    },
    tile,
  };
}

function pow2AtLeast(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)));
}
