// Register-tiled matmul for CPU-like adapters (SwiftShader):
//   C[b] = op(A[b]) · op(B[b]) (+ bias),   op = identity or transpose, read in place.
//
// Why this shape. SwiftShader runs 4 invocations as one 4-wide SIMD quad. Arithmetic costs one
// SIMD instruction per vector component, but a storage load whose address differs per invocation
// becomes 4 scalar loads, each behind its own branch (an emulated gather), and a barrier is a
// coroutine switch. So loads, not FLOPs, set the speed, and this kernel is built to need few:
//   * no workgroup memory and no barriers: every invocation keeps a block of
//     (4·ROW_GROUPS) rows × (4·COL_VECS) columns of C in registers for the whole K loop;
//   * the 4 invocations of a quad own the same rows and neighbouring columns. For each k, lane q
//     loads only the A values of rows q, 4+q, 8+q, 12+q, and quadBroadcast hands each to the
//     other three lanes, so a quad loads each A value once instead of four times;
//   * each lane loads its own 4·COL_VECS values of B's row k.
// Per k and invocation: ROW_GROUPS + 4·COL_VECS loads feed 16·ROW_GROUPS·COL_VECS multiply-adds.
// Measured on SwiftShader (bench/README.md): 16×8 blocks run ~1.6× faster per CPU second than
// 8×8 blocks without the broadcast; larger blocks lose again to register spills.
//
// Requirements: the 'subgroups' feature, and quads made of 4 consecutive invocations along x
// (WG_X a multiple of 4), which is how SwiftShader (and every GPU we know) numbers lanes.
// Any M, N, K ≥ 0 work: rows and columns past the edge are clamped for loading and skipped when
// storing, so no bounds checks sit inside the K loop.
//
// Dispatch: (ceil(N / (4·COL_VECS·WG_X)), ceil(M / (4·ROW_GROUPS·WG_Y)), batch) workgroups.
enable subgroups;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  aBatchStride: u32, // elements between consecutive A matrices; 0 broadcasts one A over the batch
  bBatchStride: u32, // likewise for B
  // Added to workgroup_id: a grid dimension holds at most 65535 workgroups, so a bigger
  // multiplication is dispatched in chunks.
  groupOffsetX: u32,
  groupOffsetY: u32,
  groupOffsetZ: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>; // [batch][M][K], or [batch][K][M] if TRANSPOSE_A
@group(0) @binding(2) var<storage, read> B: array<f32>; // [batch][K][N], or [batch][N][K] if TRANSPOSE_B
@group(0) @binding(3) var<storage, read_write> C: array<f32>; // [batch][M][N]
// Added to every row of C when HAS_BIAS; the caller binds any storage buffer (A will do) otherwise.
@group(0) @binding(4) var<storage, read> bias: array<f32>; // [N]

override TRANSPOSE_A: bool = false;
override TRANSPOSE_B: bool = false;
override HAS_BIAS: bool = false;
override WG_X: u32 = 8;
override WG_Y: u32 = 4;
override ROW_GROUPS: u32 = 4; // 1..4: rows per invocation = 4·ROW_GROUPS
override COL_VECS: u32 = 2; // 1..2: columns per invocation = 4·COL_VECS

// The rank-1 update a ⊗ b of a 4×4 block, one row per matrix column: column r = a[r] · b.
fn outer(a: vec4f, b: vec4f) -> mat4x4f {
  return mat4x4f(b * a.x, b * a.y, b * a.z, b * a.w);
}

// The four values a quad loaded, lane 0's first: rows 4j..4j+3 of A for the quad's lane-q loads.
fn quadValues(x: f32) -> vec4f {
  return vec4f(x, quadSwapX(x), quadSwapY(x), quadSwapDiagonal(x));
}


@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
  @builtin(subgroup_invocation_id) lane: u32,
) {
  let group = wid + vec3u(p.groupOffsetX, p.groupOffsetY, p.groupOffsetZ);
  let row0 = (group.y * WG_Y + lid.y) * 4u * ROW_GROUPS;
  let col0 = (group.x * WG_X + lid.x) * 4u * COL_VECS;
  let batch = group.z;
  let q = lane % 4u;
  quadLane = q;
  let aRowStride = select(p.K, 1u, TRANSPOSE_A);
  let aKStride = select(1u, p.M, TRANSPOSE_A);
  let bColStride = select(1u, p.K, TRANSPOSE_B);
  let bKStride = select(p.N, 1u, TRANSPOSE_B);
  let lastRow = p.M - 1u;
  let lastCol = vec4u(p.N - 1u);
  let aRow0 = min(row0 + 0u + q, lastRow) * aRowStride;
  let aRow1 = min(row0 + 4u + q, lastRow) * aRowStride;
  let aRow2 = min(row0 + 8u + q, lastRow) * aRowStride;
  let aRow3 = min(row0 + 12u + q, lastRow) * aRowStride;
  let bCol0 = min(vec4u(col0) + vec4u(0u, 1u, 2u, 3u), lastCol) * bColStride;
  let bCol1 = min(vec4u(col0) + vec4u(4u, 5u, 6u, 7u), lastCol) * bColStride;
  var acc00_0 = vec4f();
  var acc00_1 = vec4f();
  var acc00_2 = vec4f();
  var acc00_3 = vec4f();
  var acc01_0 = vec4f();
  var acc01_1 = vec4f();
  var acc01_2 = vec4f();
  var acc01_3 = vec4f();
  var acc10_0 = vec4f();
  var acc10_1 = vec4f();
  var acc10_2 = vec4f();
  var acc10_3 = vec4f();
  var acc11_0 = vec4f();
  var acc11_1 = vec4f();
  var acc11_2 = vec4f();
  var acc11_3 = vec4f();
  var acc20_0 = vec4f();
  var acc20_1 = vec4f();
  var acc20_2 = vec4f();
  var acc20_3 = vec4f();
  var acc21_0 = vec4f();
  var acc21_1 = vec4f();
  var acc21_2 = vec4f();
  var acc21_3 = vec4f();
  var acc30_0 = vec4f();
  var acc30_1 = vec4f();
  var acc30_2 = vec4f();
  var acc30_3 = vec4f();
  var acc31_0 = vec4f();
  var acc31_1 = vec4f();
  var acc31_2 = vec4f();
  var acc31_3 = vec4f();
  var aK = batch * p.aBatchStride;
  var bK = batch * p.bBatchStride;
  var k = 0u;
  for (; k < p.K; k++) {
    let b0_0 = vec4f(B[bK + bCol0.x], B[bK + bCol0.y], B[bK + bCol0.z], B[bK + bCol0.w]);
    let b1_0 = vec4f(B[bK + bCol1.x], B[bK + bCol1.y], B[bK + bCol1.z], B[bK + bCol1.w]);
    let a0_0 = quadValues(A[aK + aRow0]);
    let a1_0 = quadValues(A[aK + aRow1]);
    let a2_0 = quadValues(A[aK + aRow2]);
    let a3_0 = quadValues(A[aK + aRow3]);
    acc00_0 = fma(vec4f(a0_0.x), b0_0, acc00_0);
    acc00_1 = fma(vec4f(a0_0.y), b0_0, acc00_1);
    acc00_2 = fma(vec4f(a0_0.z), b0_0, acc00_2);
    acc00_3 = fma(vec4f(a0_0.w), b0_0, acc00_3);
    acc01_0 = fma(vec4f(a0_0.x), b1_0, acc01_0);
    acc01_1 = fma(vec4f(a0_0.y), b1_0, acc01_1);
    acc01_2 = fma(vec4f(a0_0.z), b1_0, acc01_2);
    acc01_3 = fma(vec4f(a0_0.w), b1_0, acc01_3);
    acc10_0 = fma(vec4f(a1_0.x), b0_0, acc10_0);
    acc10_1 = fma(vec4f(a1_0.y), b0_0, acc10_1);
    acc10_2 = fma(vec4f(a1_0.z), b0_0, acc10_2);
    acc10_3 = fma(vec4f(a1_0.w), b0_0, acc10_3);
    acc11_0 = fma(vec4f(a1_0.x), b1_0, acc11_0);
    acc11_1 = fma(vec4f(a1_0.y), b1_0, acc11_1);
    acc11_2 = fma(vec4f(a1_0.z), b1_0, acc11_2);
    acc11_3 = fma(vec4f(a1_0.w), b1_0, acc11_3);
    acc20_0 = fma(vec4f(a2_0.x), b0_0, acc20_0);
    acc20_1 = fma(vec4f(a2_0.y), b0_0, acc20_1);
    acc20_2 = fma(vec4f(a2_0.z), b0_0, acc20_2);
    acc20_3 = fma(vec4f(a2_0.w), b0_0, acc20_3);
    acc21_0 = fma(vec4f(a2_0.x), b1_0, acc21_0);
    acc21_1 = fma(vec4f(a2_0.y), b1_0, acc21_1);
    acc21_2 = fma(vec4f(a2_0.z), b1_0, acc21_2);
    acc21_3 = fma(vec4f(a2_0.w), b1_0, acc21_3);
    acc30_0 = fma(vec4f(a3_0.x), b0_0, acc30_0);
    acc30_1 = fma(vec4f(a3_0.y), b0_0, acc30_1);
    acc30_2 = fma(vec4f(a3_0.z), b0_0, acc30_2);
    acc30_3 = fma(vec4f(a3_0.w), b0_0, acc30_3);
    acc31_0 = fma(vec4f(a3_0.x), b1_0, acc31_0);
    acc31_1 = fma(vec4f(a3_0.y), b1_0, acc31_1);
    acc31_2 = fma(vec4f(a3_0.z), b1_0, acc31_2);
    acc31_3 = fma(vec4f(a3_0.w), b1_0, acc31_3);
    aK += 1u * aKStride;
    bK += 1u * bKStride;
  }
  storeBlock(batch, row0 + 0u, col0 + 0u, mat4x4f(acc00_0, acc00_1, acc00_2, acc00_3));
  storeBlock(batch, row0 + 0u, col0 + 4u, mat4x4f(acc01_0, acc01_1, acc01_2, acc01_3));
  storeBlock(batch, row0 + 4u, col0 + 0u, mat4x4f(acc10_0, acc10_1, acc10_2, acc10_3));
  storeBlock(batch, row0 + 4u, col0 + 4u, mat4x4f(acc11_0, acc11_1, acc11_2, acc11_3));
  storeBlock(batch, row0 + 8u, col0 + 0u, mat4x4f(acc20_0, acc20_1, acc20_2, acc20_3));
  storeBlock(batch, row0 + 8u, col0 + 4u, mat4x4f(acc21_0, acc21_1, acc21_2, acc21_3));
  storeBlock(batch, row0 + 12u, col0 + 0u, mat4x4f(acc30_0, acc30_1, acc30_2, acc30_3));
  storeBlock(batch, row0 + 12u, col0 + 4u, mat4x4f(acc31_0, acc31_1, acc31_2, acc31_3));
}
// Writes the 4×4 block whose top-left element is C[batch][row][col], skipping what lies outside C.
var<private> quadLane: u32;
fn lane4() -> u32 { return quadLane; }
fn storeBlock(batch: u32, row: u32, col: u32, block: mat4x4f) {
  var add = vec4f();
  if (HAS_BIAS) {
    let last = p.N - 1u;
    add = vec4f(bias[min(col, last)], bias[min(col + 1u, last)], bias[min(col + 2u, last)], bias[min(col + 3u, last)]);
  }
  let q = lane4();
  storeRow(batch, row + q, col, block[0] + add);
  storeRow(batch, row + (q ^ 1u), col, block[1] + add);
  storeRow(batch, row + (q ^ 2u), col, block[2] + add);
  storeRow(batch, row + (q ^ 3u), col, block[3] + add);
}

fn storeRow(batch: u32, row: u32, col: u32, v: vec4f) {
  if (row >= p.M) { return; }
  let at = (batch * p.M + row) * p.N + col;
  if (col < p.N) { C[at] = v.x; }
  if (col + 1u < p.N) { C[at + 1u] = v.y; }
  if (col + 2u < p.N) { C[at + 2u] = v.z; }
  if (col + 3u < p.N) { C[at + 3u] = v.w; }
}

