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
  let row0 = (group.y * WG_Y + lid.y) * 8u;
  let col0 = (group.x * WG_X + lid.x) * 8u;
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
  let bCol0 = min(vec4u(col0) + vec4u(0u, 1u, 2u, 3u), lastCol) * bColStride;
  let bCol1 = min(vec4u(col0) + vec4u(4u, 5u, 6u, 7u), lastCol) * bColStride;
  var acc00 = mat4x4f();
  var acc01 = mat4x4f();
  var acc10 = mat4x4f();
  var acc11 = mat4x4f();
  var aK = batch * p.aBatchStride;
  var bK = batch * p.bBatchStride;
  for (var k = 0u; k < p.K; k++) {
    let b0 = vec4f(B[bK + bCol0.x], B[bK + bCol0.y], B[bK + bCol0.z], B[bK + bCol0.w]);
    let b1 = vec4f(B[bK + bCol1.x], B[bK + bCol1.y], B[bK + bCol1.z], B[bK + bCol1.w]);
    let a0 = quadValues(A[aK + aRow0]);
    acc00[0] = fma(vec4f(a0.x), b0, acc00[0]);
    acc00[1] = fma(vec4f(a0.y), b0, acc00[1]);
    acc00[2] = fma(vec4f(a0.z), b0, acc00[2]);
    acc00[3] = fma(vec4f(a0.w), b0, acc00[3]);
    acc01[0] = fma(vec4f(a0.x), b1, acc01[0]);
    acc01[1] = fma(vec4f(a0.y), b1, acc01[1]);
    acc01[2] = fma(vec4f(a0.z), b1, acc01[2]);
    acc01[3] = fma(vec4f(a0.w), b1, acc01[3]);
    let a1 = quadValues(A[aK + aRow1]);
    acc10[0] = fma(vec4f(a1.x), b0, acc10[0]);
    acc10[1] = fma(vec4f(a1.y), b0, acc10[1]);
    acc10[2] = fma(vec4f(a1.z), b0, acc10[2]);
    acc10[3] = fma(vec4f(a1.w), b0, acc10[3]);
    acc11[0] = fma(vec4f(a1.x), b1, acc11[0]);
    acc11[1] = fma(vec4f(a1.y), b1, acc11[1]);
    acc11[2] = fma(vec4f(a1.z), b1, acc11[2]);
    acc11[3] = fma(vec4f(a1.w), b1, acc11[3]);
    aK += aKStride;
    bK += bKStride;
  }
  storeBlock(batch, row0 + 0u, col0 + 0u, acc00);
  storeBlock(batch, row0 + 0u, col0 + 4u, acc01);
  storeBlock(batch, row0 + 4u, col0 + 0u, acc10);
  storeBlock(batch, row0 + 4u, col0 + 4u, acc11);
}
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


