import { engine } from '../device/engine';
import { type AnyKernel, fitsBinding } from '../kernels/kernel';
import { matmulRegisterActivationKernel, matmulRegisterKernel, matmulTiledActivationKernel, matmulTiledKernel } from '../kernels/matmul';
import { reduceKernel } from '../kernels/shape';
import { emptyTensor, type Tensor } from '../tensor/tensor';

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
  /** Entry point; `main` when absent. */
  entry?: 'main' | 'main4';
  constants: Record<string, number>;
  /** Rows and columns of C that one workgroup covers. */
  tile: [number, number];
  /** K per step of the kernel's loop: a split's slices are multiples of it. */
  kStep: number;
}

/** Makes every matmul use one kernel whatever the adapter (tests run both kernels this way). */
export function forceMatmulKernel(kernel?: Launch['shader']): void {
  engine().matmulKernel = kernel;
}

/** Makes every plain matmul split K into (at most) this many slices; undefined restores the choice by shape. */
export function forceMatmulSlices(slices?: number): void {
  engine().matmulSlices = slices;
}

/**
 * Encodes C = op(A) · op(B) (+ `bias`, a length-N vector added to every row). Kernel and tile come
 * from the adapter and the shape; the figures behind these choices are in bench/README.md.
 */
/** An activation applied in the kernel's epilogue: a code of src/kernels/unary.ts and its alpha. */
export interface Epilogue {
  activation: number;
  alpha: number;
}

export function encodeMatmul(a: Tensor, b: Tensor, out: Tensor, d: MatmulDims, bias?: Tensor, epilogue?: Epilogue): void {
  if (d.batch === 0 || d.M === 0 || d.N === 0) return;
  const e = engine();
  const forced = e.matmulKernel;
  const registers = forced ? forced === 'matmul' : e.info.isSwiftShader && e.features.has('subgroups');
  const launch = registers ? registerTiled(d) : workgroupTiled(d);
  const constants = {
    ...launch.constants,
    TRANSPOSE_A: d.transposeA ? 1 : 0,
    TRANSPOSE_B: d.transposeB ? 1 : 0,
    HAS_BIAS: bias ? 1 : 0,
    ...(epilogue ? { ACTIVATION: epilogue.activation, ALPHA: epilogue.alpha } : {}),
  };
  // A plain product runs the declaration that carries no elementwise code (see src/kernels/matmul.ts).
  const kernel: AnyKernel =
    launch.shader === 'matmul'
      ? epilogue ? matmulRegisterActivationKernel : matmulRegisterKernel
      : epilogue ? matmulTiledActivationKernel : matmulTiledKernel;
  const [tilesX, tilesY] = [Math.ceil(d.N / launch.tile[1]), Math.ceil(d.M / launch.tile[0])];
  // Only a plain product is split: the bias and activation would have to wait for the sum.
  const split = bias || epilogue ? undefined : splitK(d, tilesX * tilesY * d.batch, launch.kStep);
  const slices = split?.slices ?? 1;
  const partials = split ? emptyTensor([slices, d.batch, d.M, d.N]) : out;
  // An unused bias binding still needs a buffer: A is bound in its place (read-only aliasing is fine).
  const bindings = { A: a, B: b, C: partials, bias: bias ?? a };
  const groups = [tilesX, tilesY, slices * d.batch];
  // A grid dimension holds at most maxComputeWorkgroupsPerDimension workgroups; larger ones go in
  // chunks, each told its offset.
  const most = e.info.limits.maxComputeWorkgroupsPerDimension ?? 65535;
  for (let z = 0; z < groups[2]; z += most) {
    for (let y = 0; y < groups[1]; y += most) {
      for (let x = 0; x < groups[0]; x += most) {
        kernel.launch({
          op: 'matmul',
          entry: launch.entry,
          constants,
          uniforms: {
            M: d.M, N: d.N, K: d.K, aBatchStride: d.aBatchStride, bBatchStride: d.bBatchStride,
            groupOffsetX: x, groupOffsetY: y, groupOffsetZ: z, batch: d.batch, kSlice: split?.kSlice ?? d.K,
          },
          bindings,
          groups: [Math.min(most, groups[0] - x), Math.min(most, groups[1] - y), Math.min(most, groups[2] - z)],
        });
      }
    }
  }
  if (partials === out) return;
  // C = Σ_s partials[s]: shaders/reduce.wgsl's invocation-per-output entry over [slices, batch·M·N].
  const outputs = d.batch * d.M * d.N;
  reduceKernel.launch({
    op: 'matmul',
    entry: 'main',
    constants: { OP: 0 },
    uniforms: { outer: 1, r: slices, inner: outputs },
    bindings: { x: partials, y: out },
    groups: reduceKernel.threads(outputs),
  });
  partials.dispose();
}

/**
 * Split-K: a product whose C makes few workgroups leaves most of the adapter idle while each of
 * them walks the whole of K (a weight gradient xᵀ·dy of 64 × 64 over K = 1024 rows is one
 * workgroup). Its K is then cut into slices that separate workgroups sum into a partials buffer
 * [slices][batch][M][N], and a second dispatch adds the slices. Slices cover a multiple of the
 * kernel's K step (the tiled kernel's edge tests then only meet K at the last one) and at least
 * MIN_SLICE_K rows, so the sum (slices·M·N reads, plus a dispatch) stays small beside the product;
 * the partials must fit one binding.
 *
 * How many workgroups keep the adapter busy: SwiftShader runs workgroups on one worker thread per
 * CPU core (and cuts a dispatch into at most 16 tasks), so workgroups beyond the core count only
 * add slices to sum; a GPU has tens to hundreds of compute units (an H100 132 SMs) that each want
 * a workgroup or two. A product splits only while its tiles fill at most half that target.
 */
function splitK(d: MatmulDims, tiles: number, kStep: number): { slices: number; kSlice: number } | undefined {
  const e = engine();
  let wanted: number;
  if (e.matmulSlices !== undefined) wanted = e.matmulSlices;
  else {
    const target = e.info.isSwiftShader ? Math.min(16, cpuCores()) : GPU_WORKGROUPS;
    if (2 * tiles > target) return undefined;
    wanted = Math.min(Math.ceil(target / tiles), Math.floor(d.K / MIN_SLICE_K));
  }
  while (wanted > 1 && !fitsBinding(wanted * d.batch * d.M * d.N)) wanted = Math.floor(wanted / 2);
  if (wanted < 2 || d.K < 2) return undefined;
  const kSlice = kStep * Math.ceil(d.K / wanted / kStep);
  const slices = Math.ceil(d.K / kSlice);
  return slices > 1 ? { slices, kSlice } : undefined;
}
const GPU_WORKGROUPS = 256;
const MIN_SLICE_K = 128;

/** The CPU's hardware threads where the platform says (browsers, Node 21 and later), else 4. */
function cpuCores(): number {
  return (typeof navigator === 'undefined' ? undefined : navigator.hardwareConcurrency) || 4;
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
    kStep: 1,
  };
}

interface TiledConfig {
  threadRows: number;
  wgX: number;
  wgY: number;
  tileK: number;
}

/**
 * Measured on an H100 (bench/README.md). With vec4 loads (`main4`, every contiguous dimension a
 * multiple of 4), 64 × 64 tiles lead at every size: 25–27 TFLOP/s from 2048² to 4096², 25 at
 * 3000²; a K step of 32 instead of 16 helps only while there are few tiles (512²: 6.4 against
 * 5.6 TFLOP/s). With float loads (`main`, any shape), 128 × 64 tiles lead from 2048² on and
 * 64 × 64 below. All fit the limits every WebGPU device has (256 invocations, 16 KiB of
 * workgroup memory).
 */
const bigTile: TiledConfig = { threadRows: 8, wgX: 16, wgY: 16, tileK: 8 }; // 128 × 64
const smallTile: TiledConfig = { threadRows: 4, wgX: 16, wgY: 16, tileK: 16 }; // 64 × 64
const fewTilesTile: TiledConfig = { ...smallTile, tileK: 32 };

/** Workgroups below which 128 × 64 tiles leave a large GPU underused (an H100 has 132 SMs). */
const BIG_TILE_MIN_WORKGROUPS = 256;
/** 64 × 64 tiles below which the vec4 kernel takes the longer K step. */
const FEW_TILES = 128;

/**
 * GPUs: shaders/matmul_tiled.wgsl, its vec4 entry where the shape allows, with the tile that
 * measured best for it. EDGE_CHECKS goes off when the tiles fit the matrices exactly.
 */
function workgroupTiled(d: MatmulDims): Launch {
  const tileOf = (c: TiledConfig): [number, number] => [c.threadRows * c.wgY, 4 * c.wgX];
  const tiles = (c: TiledConfig) => Math.ceil(d.M / tileOf(c)[0]) * Math.ceil(d.N / tileOf(c)[1]) * d.batch;
  // vec4 loads and stores need each operand's contiguous dimension, and C's rows, in whole vec4s.
  const vec4 = (d.transposeA ? d.M : d.K) % 4 === 0 && (d.transposeB ? d.K : d.N) % 4 === 0 && d.N % 4 === 0;
  let c: TiledConfig;
  if (vec4) c = tiles(smallTile) < FEW_TILES ? fewTilesTile : smallTile;
  else c = tiles(bigTile) >= BIG_TILE_MIN_WORKGROUPS ? bigTile : smallTile;
  const tile = tileOf(c);
  const exact = d.M % tile[0] === 0 && d.N % tile[1] === 0 && d.K % c.tileK === 0;
  return {
    shader: 'matmul_tiled',
    entry: vec4 ? 'main4' : 'main',
    constants: {
      THREAD_ROWS: c.threadRows,
      WG_X: c.wgX,
      WG_Y: c.wgY,
      TILE_K: c.tileK,
      EDGE_CHECKS: exact ? 0 : 1,
    },
    tile,
    kStep: c.tileK,
  };
}

function pow2AtLeast(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)));
}
