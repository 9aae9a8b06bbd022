// 2-D convolution (NHWC) as an implicit GEMM in workgroup-memory tiles, for GPUs, the way
// shaders/matmul_tiled.wgsl multiplies: C [M][N] = A [M][K] · B [K][N], where A is the patches
// of an image S read in place (no im2col buffer). Two modes (FILTER):
//   rows (forward pass and input gradient): A[m][k] = S at row m's pixel shifted by tap k / depth,
//     channel k % depth (0 where the tap falls outside S or between its rows), B[k][n] the filter
//     at (tap, d, n) through its strides; then bias and activation. The geometry is
//     shaders/conv2d.wgsl's (read its header): sy = y·strideY + ky·stepY + offsetY, a term only
//     where divY divides sy (likewise x).
//   filter gradient: A[m][k] = x at output pixel k of the split shifted by tap m / depth, channel
//     m % depth; B[k][n] = dy at that pixel, channel n. Workgroup z sums the output rows (n, oy)
//     in [z·kRows, (z+1)·kRows) into its slice C[z] of [splits][M][N]; a sum over z follows
//     (src/ops/conv_kernel.ts), as for shaders/conv2d_filter.wgsl.
// Each workgroup computes a TILE × TILE block of C: per step of TILE_K, its WG_X·WG_Y invocations
// stage A's and B's slabs in workgroup memory (each loads LOADS of each), then each accumulates a
// THREAD × THREAD block from them. Rows, columns and k past the edge load 0 and store nothing.
// Dispatch: (ceil(N / TILE), ceil(M / TILE), splits or 1) workgroups.

const WG_X: u32 = 16u;
const WG_Y: u32 = 16u;
const THREAD: u32 = 4u;
const TILE: u32 = 64u;      // WG_X·THREAD = WG_Y·THREAD
const TILE_K: u32 = 16u;
const LOADS: u32 = 4u;      // TILE·TILE_K / (WG_X·WG_Y) elements of each slab per invocation

struct Params {
  M: u32,
  N: u32,
  depth: u32,
  kernelH: u32,
  kernelW: u32,
  rowsH: u32,
  rowsW: u32,
  srcH: u32,
  srcW: u32,
  strideY: i32,
  strideX: i32,
  stepY: i32,
  stepX: i32,
  offsetY: i32,
  offsetX: i32,
  divY: i32,
  divX: i32,
  bTapStride: u32,
  bDepthStride: u32,
  bColStride: u32,
  kRows: u32,        // filter gradient: output rows (n, oy) per split
  totalRows: u32,    // filter gradient: batch·rowsH
  groupOffsetX: u32, // added to workgroup_id: a grid dimension holds at most 65535 workgroups
  groupOffsetY: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
// Added to every row of C when HAS_BIAS (rows mode); the caller binds any storage buffer otherwise.
@group(0) @binding(4) var<storage, read> bias: array<f32>;

override FILTER: bool = false;
override HAS_BIAS: bool = false;
// unary_f of the appended unary code by the codes of src/kernels/unary.ts; 0 is the identity.
override ACTIVATION: u32 = 0u;
override ALPHA: f32 = 0.0;

var<workgroup> tileA: array<array<f32, TILE>, TILE_K>; // [k][m]
var<workgroup> tileB: array<array<f32, TILE>, TILE_K>; // [k][n]

// Rows mode: row m's pixel as (n·srcH, y·strideY + offsetY, x·strideX + offsetX).
fn rowOrigin(m: u32) -> vec3i {
  let x = m % p.rowsW;
  let t = m / p.rowsW;
  return vec3i(i32((t / p.rowsH) * p.srcH), i32(t % p.rowsH) * p.strideY + p.offsetY, i32(x) * p.strideX + p.offsetX);
}

// S at the pixel (origin.x rows of images, sy, sx) divided by (divY, divX) where that divides
// exactly, channel d; 0 outside S.
fn readS(image: i32, sy0: i32, sx0: i32, d: u32) -> f32 {
  let qy = sy0 / p.divY;
  let qx = sx0 / p.divX;
  let inside = (sy0 >= 0) && (sx0 >= 0) && (qy * p.divY == sy0) && (qx * p.divX == sx0) && (u32(qy) < p.srcH) && (u32(qx) < p.srcW);
  if (!inside) { return 0.0; }
  return S[(u32(image + qy) * p.srcW + u32(qx)) * p.depth + d];
}

// Rows mode: A[m][k] for the row whose pixel origin is `origin`.
fn loadRowsA(origin: vec3i, k: u32) -> f32 {
  let tap = i32(k / p.depth);
  let ky = tap / i32(p.kernelW);
  let kx = tap % i32(p.kernelW);
  return readS(origin.x, origin.y + ky * p.stepY, origin.z + kx * p.stepX, k % p.depth);
}

// Filter mode: A[m][k] with k the pixel (row g of the batch's output rows, column ox), for the
// filter row m = (tap, channel) whose tap shifts by (offY, offX).
fn loadFilterA(g: u32, ox: u32, offY: i32, offX: i32, channel: u32) -> f32 {
  let n = g / p.rowsH;
  return readS(i32(n * p.srcH), i32(g % p.rowsH) * p.strideY + offY, i32(ox) * p.strideX + offX, channel);
}

fn activate(v: f32) -> f32 {
  return unary_f(ACTIVATION, v, ALPHA, 0.0);
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let group = wid.xy + vec2u(p.groupOffsetX, p.groupOffsetY);
  let row0 = group.y * TILE;
  let col0 = group.x * TILE;
  let flat = lid.y * WG_X + lid.x;

  // The A element an invocation stages: row loadRow of the tile, k columns loadK .. loadK + LOADS − 1.
  let loadRow = flat / (TILE_K / LOADS);
  let loadK = (flat % (TILE_K / LOADS)) * LOADS;
  let m = row0 + loadRow;
  // The B elements: k row bRow of the slab, columns bCol .. bCol + LOADS − 1.
  let bRow = flat / (TILE / LOADS);
  let bCol = (flat % (TILE / LOADS)) * LOADS;

  // K, and where it starts: the whole of taps·depth in rows mode; a split's pixels in filter mode.
  var K = p.kernelH * p.kernelW * p.depth;
  var firstPixel = 0u;
  var origin = vec3i();
  var offY = 0;
  var offX = 0;
  var channel = 0u;
  if (FILTER) {
    let firstRow = wid.z * p.kRows;
    K = (min(firstRow + p.kRows, p.totalRows) - firstRow) * p.rowsW;
    firstPixel = firstRow * p.rowsW;
    let tap = i32(min(m, p.M - 1u) / p.depth);
    channel = min(m, p.M - 1u) % p.depth;
    offY = (tap / i32(p.kernelW)) * p.stepY + p.offsetY;
    offX = (tap % i32(p.kernelW)) * p.stepX + p.offsetX;
  } else {
    origin = rowOrigin(min(m, p.M - 1u));
  }
  let sliceOffset = wid.z * p.M * p.N;

  var acc: array<array<f32, THREAD>, THREAD>;
  for (var k0 = 0u; k0 < K; k0 += TILE_K) {
    for (var i = 0u; i < LOADS; i++) {
      let k = k0 + loadK + i;
      var a = 0.0;
      if (m < p.M && k < K) {
        if (FILTER) {
          let pixel = firstPixel + k;
          a = loadFilterA(pixel / p.rowsW, pixel % p.rowsW, offY, offX, channel);
        } else {
          a = loadRowsA(origin, k);
        }
      }
      tileA[loadK + i][loadRow] = a;

      let kb = k0 + bRow;
      let n = col0 + bCol + i;
      var b = 0.0;
      if (kb < K && n < p.N) {
        if (FILTER) {
          b = B[(firstPixel + kb) * p.N + n];
        } else {
          b = B[(kb / p.depth) * p.bTapStride + (kb % p.depth) * p.bDepthStride + n * p.bColStride];
        }
      }
      tileB[bRow][bCol + i] = b;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      var a: array<f32, THREAD>;
      var b: array<f32, THREAD>;
      for (var i = 0u; i < THREAD; i++) {
        a[i] = tileA[kk][lid.y * THREAD + i];
        b[i] = tileB[kk][lid.x * THREAD + i];
      }
      for (var i = 0u; i < THREAD; i++) {
        for (var j = 0u; j < THREAD; j++) {
          acc[i][j] = fma(a[i], b[j], acc[i][j]);
        }
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < THREAD; i++) {
    let row = row0 + lid.y * THREAD + i;
    if (row >= p.M) { break; }
    for (var j = 0u; j < THREAD; j++) {
      let col = col0 + lid.x * THREAD + j;
      if (col >= p.N) { break; }
      var v = acc[i][j];
      if (!FILTER) {
        if (HAS_BIAS) { v += bias[col]; }
        v = activate(v);
      }
      C[sliceOffset + row * p.N + col] = v;
    }
  }
}
