// 2-D convolution (NHWC) as an implicit GEMM in registers, for narrow outputs (N ≤ 8 channels) on
// CPU-like adapters: shaders/conv2d.wgsl (read its header for the geometry and the blocking) with
// 2 columns of C per invocation instead of 4 or 8, so a quad spans 8 columns, not 16. With 8
// channels, conv2d.wgsl's quads throw half their products away; here none.
//   C[m][c] = Σ_(ky,kx) Σ_d  S[n][sy / divY][sx / divX][d] · B[(ky,kx)][d][c]   (+ bias, activation)
// Requirements: 'subgroups', WG_X a multiple of 4. Rows and columns past the edge are clamped for
// loading and skipped when storing.
// Dispatch: (ceil(N / (2·WG_X)), ceil(M / (4·ROW_GROUPS·WG_Y))) workgroups.
enable subgroups;
// Quads wholly past the edge leave early (see main); the quad swaps are uniform within a quad by construction.
diagnostic(off, subgroup_uniformity);

struct Params {
  M: u32,            // rows of C: pixels of the row grid, N·rowsH·rowsW
  N: u32,            // columns of C: channels
  depth: u32,        // channels of S summed at each tap
  kernelH: u32,
  kernelW: u32,
  rowsH: u32,        // the row grid: row m is pixel (n, y, x) with m = (n·rowsH + y)·rowsW + x
  rowsW: u32,
  srcH: u32,         // S is [N, srcH, srcW, depth]
  srcW: u32,
  strideY: i32,
  strideX: i32,
  stepY: i32,
  stepX: i32,
  offsetY: i32,
  offsetX: i32,
  divY: i32,
  divX: i32,
  bTapStride: u32,   // B's element (tap, d, c) sits at tap·bTapStride + d·bDepthStride + c·bColStride
  bDepthStride: u32,
  bColStride: u32,
  kRows: u32,        // filter gradient only (conv2d_filter.wgsl, conv2d_direct.wgsl)
  totalRows: u32,    // filter gradient only
  groupOffsetX: u32, // added to workgroup_id: a grid dimension holds at most 65535 workgroups
  groupOffsetY: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>; // [M][N]
// Added to every row of C when HAS_BIAS; the caller binds any storage buffer otherwise.
@group(0) @binding(4) var<storage, read> bias: array<f32>; // [N]

override HAS_BIAS: bool = false;
override WG_X: u32 = 8;
override WG_Y: u32 = 4;
override ROW_GROUPS: u32 = 4; // 1..4: rows per invocation = 4·ROW_GROUPS
// unary_f of unary_math.wgsl (appended) by the codes of src/kernels/unary.ts; 0 is the identity.
// Only activations whose derivative can be read off the output are fused (src/ops/conv.ts).
override ACTIVATION: u32 = 0u;
override ALPHA: f32 = 0.0;
// Whether divY or divX exceeds 1 (the input gradient of a strided convolution). Off, the taps
// skip two integer divisions each, which a CPU adapter runs per lane and which cost more there
// than the tap's loads.
override DIVIDE: bool = false;
// One loop over all of K rather than a loop per tap (see main); chosen for shallow inputs.
override FLAT: bool = false;

fn activate(v: vec2f) -> vec2f {
  return vec2f(unary_f(ACTIVATION, v.x, ALPHA, 0.0), unary_f(ACTIVATION, v.y, ALPHA, 0.0));
}

fn fromQuad(x: f32) -> vec4f {
  return vec4f(x, quadSwapX(x), quadSwapY(x), quadSwapDiagonal(x));
}

fn rank1(acc: mat4x2f, a: vec4f, b: vec2f) -> mat4x2f {
  return mat4x2f(
    fma(vec2f(a.x), b, acc[0]),
    fma(vec2f(a.y), b, acc[1]),
    fma(vec2f(a.z), b, acc[2]),
    fma(vec2f(a.w), b, acc[3]),
  );
}

// Row m's pixel as (n·srcH, y·strideY + offsetY, x·strideX + offsetX): the tap adds ky·stepY, kx·stepX.
fn rowOrigin(m: u32) -> vec3i {
  let x = m % p.rowsW;
  let t = m / p.rowsW;
  return vec3i(i32((t / p.rowsH) * p.srcH), i32(t % p.rowsH) * p.strideY + p.offsetY, i32(x) * p.strideX + p.offsetX);
}

// Where the row at `origin` reads S at tap (ky, kx): the offset of its channel 0 in .x, and in .y
// 1 if it reads there, 0 if that tap falls outside S or between its rows (then .x is 0, in bounds).
// Written without short-circuit operators: each one would be a branch, and SwiftShader runs both
// sides of a branch for the whole quad.
fn tapAt(origin: vec3i, ky: i32, kx: i32) -> vec2u {
  var sy = origin.y + ky * p.stepY;
  var sx = origin.z + kx * p.stepX;
  var exact = true;
  if (DIVIDE) {
    let qy = sy / p.divY;
    let qx = sx / p.divX;
    exact = (sy >= 0) & (sx >= 0) & (qy * p.divY == sy) & (qx * p.divX == sx);
    sy = qy;
    sx = qx;
  }
  let inside = exact & (u32(sy) < p.srcH) & (u32(sx) < p.srcW);
  return select(vec2u(0u, 0u), vec2u((u32(origin.x + sy) * p.srcW + u32(sx)) * p.depth, 1u), inside);
}

// Channel d of the pixel a tap reads, or 0 where it reads none.
fn readS(tap: vec2u, d: u32) -> f32 {
  return select(0.0, S[tap.x + d], tap.y == 1u);
}

// The block of C an invocation accumulates: c{j}[r] holds C[row0 + 4j + (q ^ r)][col0 .. col0 + 1].
struct Block {
  c0: mat4x2f,
  c1: mat4x2f,
  c2: mat4x2f,
  c3: mat4x2f,
}

// One k of the GEMM: the block plus the outer product of the quad's S values for channel d of the
// taps and B's row bK at the lane's two columns.
fn step(acc: Block, tap0: vec2u, tap1: vec2u, tap2: vec2u, tap3: vec2u, d: u32, bK: u32, bCol: vec2u) -> Block {
  var c = acc;
  let b = vec2f(B[bK + bCol.x], B[bK + bCol.y]);
  c.c0 = rank1(c.c0, fromQuad(readS(tap0, d)), b);
  if (ROW_GROUPS > 1u) { c.c1 = rank1(c.c1, fromQuad(readS(tap1, d)), b); }
  if (ROW_GROUPS > 2u) { c.c2 = rank1(c.c2, fromQuad(readS(tap2, d)), b); }
  if (ROW_GROUPS > 3u) { c.c3 = rank1(c.c3, fromQuad(readS(tap3, d)), b); }
  return c;
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
  @builtin(subgroup_invocation_id) lane: u32,
) {
  let group = wid.xy + vec2u(p.groupOffsetX, p.groupOffsetY);
  let row0 = (group.y * WG_Y + lid.y) * 4u * ROW_GROUPS;
  let col0 = (group.x * WG_X + lid.x) * 2u;
  let q = lane % 4u;
  let quadCol0 = (group.x * WG_X + (lid.x & ~3u)) * 2u;
  if (row0 >= p.M || quadCol0 >= p.N) { return; }

  // This lane loads rows 4j + q of its block.
  let lastRow = p.M - 1u;
  let origin0 = rowOrigin(min(row0 + q, lastRow));
  let origin1 = rowOrigin(min(row0 + 4u + q, lastRow));
  let origin2 = rowOrigin(min(row0 + 8u + q, lastRow));
  let origin3 = rowOrigin(min(row0 + 12u + q, lastRow));
  let bCol = min(vec2u(col0) + vec2u(0u, 1u), vec2u(p.N - 1u)) * p.bColStride;

  var acc = Block();
  var ky = 0;
  var kx = 0;
  if (FLAT) {
    // K = taps·depth in one loop, the taps worked out again whenever d wraps to 0: for shallow
    // inputs (a first layer's 1 or 3 channels), where a loop per tap costs more than its work.
    var d = 0u;
    var tap0 = vec2u();
    var tap1 = vec2u();
    var tap2 = vec2u();
    var tap3 = vec2u();
    var bK = 0u;
    let K = p.kernelH * p.kernelW * p.depth;
    for (var k = 0u; k < K; k++) {
      if (d == 0u) {
        tap0 = tapAt(origin0, ky, kx);
        tap1 = tapAt(origin1, ky, kx);
        tap2 = tapAt(origin2, ky, kx);
        tap3 = tapAt(origin3, ky, kx);
        bK = u32(ky * i32(p.kernelW) + kx) * p.bTapStride;
      }
      acc = step(acc, tap0, tap1, tap2, tap3, d, bK, bCol);
      bK += p.bDepthStride;
      d++;
      if (d == p.depth) {
        d = 0u;
        kx++;
        if (kx == i32(p.kernelW)) {
          kx = 0;
          ky++;
        }
      }
    }
  } else {
    // A loop over the taps around a plain loop over the channels, like the matmul's K loop.
    let taps = p.kernelH * p.kernelW;
    for (var t = 0u; t < taps; t++) {
      let tap0 = tapAt(origin0, ky, kx);
      let tap1 = tapAt(origin1, ky, kx);
      let tap2 = tapAt(origin2, ky, kx);
      let tap3 = tapAt(origin3, ky, kx);
      var bK = t * p.bTapStride;
      for (var d = 0u; d < p.depth; d++) {
        acc = step(acc, tap0, tap1, tap2, tap3, d, bK, bCol);
        bK += p.bDepthStride;
      }
      kx++;
      if (kx == i32(p.kernelW)) {
        kx = 0;
        ky++;
      }
    }
  }

  storeBlock(row0, col0, q, acc.c0);
  if (ROW_GROUPS > 1u) { storeBlock(row0 + 4u, col0, q, acc.c1); }
  if (ROW_GROUPS > 2u) { storeBlock(row0 + 8u, col0, q, acc.c2); }
  if (ROW_GROUPS > 3u) { storeBlock(row0 + 12u, col0, q, acc.c3); }
}

// Writes a 4×2 block of C whose column r holds row `row + (q ^ r)`, from column `col` on,
// skipping what lies outside C.
fn storeBlock(row: u32, col: u32, q: u32, block: mat4x2f) {
  var add = vec2f();
  if (HAS_BIAS) {
    let last = p.N - 1u;
    add = vec2f(bias[min(col, last)], bias[min(col + 1u, last)]);
  }
  storeRow(row + q, col, activate(block[0] + add));
  storeRow(row + (q ^ 1u), col, activate(block[1] + add));
  storeRow(row + (q ^ 2u), col, activate(block[2] + add));
  storeRow(row + (q ^ 3u), col, activate(block[3] + add));
}

fn storeRow(row: u32, col: u32, v: vec2f) {
  if (row >= p.M) { return; }
  let at = row * p.N + col;
  if (col < p.N) { C[at] = v.x; }
  if (col + 1u < p.N) { C[at + 1u] = v.y; }
}
