// Register-tiled matmul for CPU-like adapters (SwiftShader):
//   C[b] = op(A[b]) · op(B[b]) (+ bias),   op = identity or transpose, read in place.
//
// Why this shape. SwiftShader runs 4 invocations as one 4-wide SIMD quad. Arithmetic costs one
// SIMD instruction per vector component, but a storage load whose address differs per invocation
// becomes 4 scalar loads, each behind its own branch (an emulated gather), and a barrier is a
// coroutine switch. So loads set the speed, and this kernel is built to need few:
//   * no workgroup memory and no barriers: every invocation keeps a block of
//     (4·ROW_GROUPS) rows × (4·COL_VECS) columns of C in registers for the whole K loop;
//   * the 4 invocations of a quad own the same rows and neighbouring columns. For each k, lane q
//     loads A only for rows q, 4+q, 8+q, 12+q of the block, and three quad swaps hand each value
//     to the other lanes, so a quad loads every A value once rather than four times;
//   * each lane loads its own 4·COL_VECS values of B's row k.
// Per k and invocation: ROW_GROUPS + 4·COL_VECS loads and 3·ROW_GROUPS swaps feed
// 16·ROW_GROUPS·COL_VECS multiply-adds. A swap costs about two thirds of a load there, and a
// bigger block costs register spills; bench/README.md has the measurements behind 16 × 8.
//
// Requirements: the 'subgroups' feature, and quads made of 4 consecutive invocations along x
// (WG_X a multiple of 4), which is how SwiftShader and NVIDIA (checked on an H100) number lanes.
// Any M, N ≥ 1 and K ≥ 0 work: rows and columns past the edge are clamped for loading and skipped
// when storing, so no bounds tests sit inside the K loop.
//
// Dispatch: (ceil(N / (4·COL_VECS·WG_X)), ceil(M / (4·ROW_GROUPS·WG_Y)), slices·batch) workgroups.
enable subgroups;
// The early exit of whole quads in main (see there) makes the control flow of the quad swaps depend
// on the invocation's position, which WGSL cannot prove uniform within a quad; it is, by construction.
diagnostic(off, subgroup_uniformity);

struct Params {
  M: u32,
  N: u32,
  K: u32,
  aBatchStride: u32, // elements between consecutive A matrices; 0 shares one A across the batch
  bBatchStride: u32, // likewise for B
  // Added to workgroup_id: a grid dimension holds at most 65535 workgroups, so a bigger
  // multiplication is dispatched in chunks.
  groupOffsetX: u32,
  groupOffsetY: u32,
  groupOffsetZ: u32,
  // Split-K: workgroup z = slice·batch + b sums k in [slice·kSlice, (slice+1)·kSlice) of batch b
  // into matrix z of C, [slices][batch][M][N]; a sum over the slices follows
  // (src/ops/matmul_kernel.ts). Without a split, kSlice = K and z = b.
  batch: u32,
  kSlice: u32,
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

// The activation applied to C (+ bias) before it is stored: unary_f of unary_math.wgsl (appended
// to this file) with the codes of src/kernels/unary.ts; 0 is the identity. Only functions
// whose derivative can be read off their output are fused, so the backward pass needs C alone
// (see src/ops/matmul.ts).
override ACTIVATION: u32 = 0u;
override ALPHA: f32 = 0.0; // leakyRelu slope, elu scale

fn activate(v: vec4f) -> vec4f {
  return vec4f(unary_f(ACTIVATION, v.x, ALPHA, 0.0), unary_f(ACTIVATION, v.y, ALPHA, 0.0),
               unary_f(ACTIVATION, v.z, ALPHA, 0.0), unary_f(ACTIVATION, v.w, ALPHA, 0.0));
}

// The value x of lane q, then those of lanes q^1, q^2, q^3 of the same quad.
fn fromQuad(x: f32) -> vec4f {
  return vec4f(x, quadSwapX(x), quadSwapY(x), quadSwapDiagonal(x));
}

// acc + a ⊗ b, one block row per matrix column: column r gains a[r] · b.
fn rank1(acc: mat4x4f, a: vec4f, b: vec4f) -> mat4x4f {
  return mat4x4f(
    fma(vec4f(a.x), b, acc[0]),
    fma(vec4f(a.y), b, acc[1]),
    fma(vec4f(a.z), b, acc[2]),
    fma(vec4f(a.w), b, acc[3]),
  );
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
  let batch = group.z % p.batch;
  let kBegin = (group.z / p.batch) * p.kSlice;
  let kEnd = min(kBegin + p.kSlice, p.K);
  let q = lane % 4u;
  // A quad whose rows all lie past M, or whose columns all lie past N, has nothing to store; it
  // leaves at once, and with it the work of the edge tiles that fall outside C. (Its 4 lanes share
  // their rows, and the quad's columns start at its lane 0's, so the whole quad leaves together and
  // no swap below misses a partner.)
  let quadCol0 = (group.x * WG_X + (lid.x & ~3u)) * 4u * COL_VECS;
  if (row0 >= p.M || quadCol0 >= p.N) { return; }

  // Element (m, k) of op(A) sits at m·aRowStride + k·aKStride, likewise for op(B).
  let aRowStride = select(p.K, 1u, TRANSPOSE_A);
  let aKStride = select(1u, p.M, TRANSPOSE_A);
  let bColStride = select(1u, p.K, TRANSPOSE_B);
  let bKStride = select(p.N, 1u, TRANSPOSE_B);

  // This lane loads row 4j + q of row group j; the columns are its own.
  let lastRow = p.M - 1u;
  let aRow0 = min(row0 + q, lastRow) * aRowStride;
  let aRow1 = min(row0 + 4u + q, lastRow) * aRowStride;
  let aRow2 = min(row0 + 8u + q, lastRow) * aRowStride;
  let aRow3 = min(row0 + 12u + q, lastRow) * aRowStride;
  let lastCol = vec4u(p.N - 1u);
  let bCol0 = min(vec4u(col0) + vec4u(0u, 1u, 2u, 3u), lastCol) * bColStride;
  let bCol1 = min(vec4u(col0) + vec4u(4u, 5u, 6u, 7u), lastCol) * bColStride;

  // acc{j}{v}[r] holds C[row0 + 4j + (q ^ r)][col0 + 4v .. col0 + 4v + 3].
  var acc00 = mat4x4f();
  var acc01 = mat4x4f();
  var acc10 = mat4x4f();
  var acc11 = mat4x4f();
  var acc20 = mat4x4f();
  var acc21 = mat4x4f();
  var acc30 = mat4x4f();
  var acc31 = mat4x4f();

  var aK = batch * p.aBatchStride + kBegin * aKStride;
  var bK = batch * p.bBatchStride + kBegin * bKStride;
  for (var k = kBegin; k < kEnd; k++) {
    let b0 = vec4f(B[bK + bCol0.x], B[bK + bCol0.y], B[bK + bCol0.z], B[bK + bCol0.w]);
    var b1 = vec4f();
    if (COL_VECS > 1u) {
      b1 = vec4f(B[bK + bCol1.x], B[bK + bCol1.y], B[bK + bCol1.z], B[bK + bCol1.w]);
    }
    let a0 = fromQuad(A[aK + aRow0]);
    acc00 = rank1(acc00, a0, b0);
    if (COL_VECS > 1u) { acc01 = rank1(acc01, a0, b1); }
    if (ROW_GROUPS > 1u) {
      let a1 = fromQuad(A[aK + aRow1]);
      acc10 = rank1(acc10, a1, b0);
      if (COL_VECS > 1u) { acc11 = rank1(acc11, a1, b1); }
    }
    if (ROW_GROUPS > 2u) {
      let a2 = fromQuad(A[aK + aRow2]);
      acc20 = rank1(acc20, a2, b0);
      if (COL_VECS > 1u) { acc21 = rank1(acc21, a2, b1); }
    }
    if (ROW_GROUPS > 3u) {
      let a3 = fromQuad(A[aK + aRow3]);
      acc30 = rank1(acc30, a3, b0);
      if (COL_VECS > 1u) { acc31 = rank1(acc31, a3, b1); }
    }
    aK += aKStride;
    bK += bKStride;
  }

  storeBlock(group.z, row0, col0, q, acc00);
  if (COL_VECS > 1u) { storeBlock(group.z, row0, col0 + 4u, q, acc01); }
  if (ROW_GROUPS > 1u) {
    storeBlock(group.z, row0 + 4u, col0, q, acc10);
    if (COL_VECS > 1u) { storeBlock(group.z, row0 + 4u, col0 + 4u, q, acc11); }
  }
  if (ROW_GROUPS > 2u) {
    storeBlock(group.z, row0 + 8u, col0, q, acc20);
    if (COL_VECS > 1u) { storeBlock(group.z, row0 + 8u, col0 + 4u, q, acc21); }
  }
  if (ROW_GROUPS > 3u) {
    storeBlock(group.z, row0 + 12u, col0, q, acc30);
    if (COL_VECS > 1u) { storeBlock(group.z, row0 + 12u, col0 + 4u, q, acc31); }
  }
}

// Writes a 4×4 block of matrix `matrix` of C whose column r holds row `row + (q ^ r)`, from
// column `col` on, skipping what lies outside C.
fn storeBlock(matrix: u32, row: u32, col: u32, q: u32, block: mat4x4f) {
  var add = vec4f();
  if (HAS_BIAS) {
    let last = p.N - 1u;
    add = vec4f(bias[min(col, last)], bias[min(col + 1u, last)], bias[min(col + 2u, last)], bias[min(col + 3u, last)]);
  }
  storeRow(matrix, row + q, col, activate(block[0] + add));
  storeRow(matrix, row + (q ^ 1u), col, activate(block[1] + add));
  storeRow(matrix, row + (q ^ 2u), col, activate(block[2] + add));
  storeRow(matrix, row + (q ^ 3u), col, activate(block[3] + add));
}

fn storeRow(matrix: u32, row: u32, col: u32, v: vec4f) {
  if (row >= p.M) { return; }
  let at = (matrix * p.M + row) * p.N + col;
  if (col < p.N) { C[at] = v.x; }
  if (col + 1u < p.N) { C[at + 1u] = v.y; }
  if (col + 2u < p.N) { C[at + 2u] = v.z; }
  if (col + 3u < p.N) { C[at + 3u] = v.w; }
}
