// Workgroup-memory tiled matmul for GPUs:
//   C[b] = op(A[b]) · op(B[b]) (+ bias),   op = identity or transpose, read in place.
//
// Why this shape. On a GPU the limit is memory traffic, not instructions. A workgroup owns a
// TILE_M × TILE_N block of C (TILE_M = WG_Y·THREAD_ROWS, TILE_N = 4·WG_X) and walks K in steps of
// TILE_K: the whole workgroup copies a TILE_M × TILE_K slab of op(A) and a TILE_K × TILE_N slab of
// op(B) into workgroup memory, consecutive invocations reading consecutive addresses of whichever
// layout the operand has (coalesced), and then each invocation multiplies its THREAD_ROWS × 4
// sub-block out of that shared copy. Each global value is read once per workgroup instead of once
// per invocation, and each shared value feeds THREAD_ROWS or 4 multiply-adds from registers.
// The sub-block lives in named registers, not in an indexed array, so CPU-like adapters that do
// not unroll loops (SwiftShader) need no memory for it either.
//
// Slabs past the edges of A and B are filled with zeros, which add nothing to the sums, and
// stores outside C are skipped; EDGE_CHECKS = false drops those tests when the caller knows that
// M, N and K are multiples of TILE_M, TILE_N and TILE_K.
//
// Two entry points. `main` reads and writes single floats and takes any shape. `main4` reads the
// slabs and writes C as vec4s, for shapes whose contiguous dimensions (K or M for A, N or K for
// B, N for C) are multiples of 4: a vec4 then lies wholly inside or wholly outside the matrix,
// so one test covers four values, and a GPU issues one 16-byte load where `main` issues four.
// Each binding is declared twice, as floats and as vec4s; an entry point may use only one of the
// two, which is why `main` and `main4` each spell out their K loop and their stores.
//
// Dispatch: (ceil(N / TILE_N), ceil(M / TILE_M), slices·batch) workgroups. A split's kSlice is a
// multiple of TILE_K, so only the last slice meets K's edge.

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
@group(0) @binding(1) var<storage, read> A4: array<vec4f>;
@group(0) @binding(2) var<storage, read> B4: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> C4: array<vec4f>;

override TRANSPOSE_A: bool = false;
override TRANSPOSE_B: bool = false;
override HAS_BIAS: bool = false;
override EDGE_CHECKS: bool = true;
override WG_X: u32 = 16;
override WG_Y: u32 = 16;
override THREAD_ROWS: u32 = 4; // 4 or 8
override TILE_K: u32 = 16;

override TILE_M = WG_Y * THREAD_ROWS;
override TILE_N = WG_X * 4u;

// The activation applied to C (+ bias) before it is stored: unary_f of unary_math.wgsl (appended
// to this file) with the codes of src/kernels/unary.ts; 0 is the identity. Only functions
// whose derivative can be read off their output are fused, so the backward pass needs C alone
// (see src/ops/matmul.ts).
override ACTIVATION: u32 = 0u;
override ALPHA: f32 = 0.0; // leakyRelu slope, elu scale

fn activate(v: vec4f) -> vec4f {
  // The plain product skips the call altogether (ACTIVATION is a constant once the pipeline is
  // built): measured in Chromium on SwiftShader, calling even the identity slowed 256² by a fifth.
  if (ACTIVATION == 0u) { return v; }
  return vec4f(unary_f(ACTIVATION, v.x, ALPHA, 0.0), unary_f(ACTIVATION, v.y, ALPHA, 0.0),
               unary_f(ACTIVATION, v.z, ALPHA, 0.0), unary_f(ACTIVATION, v.w, ALPHA, 0.0));
}

// Slabs stored k-major, four consecutive rows (columns) per vec4: tileA[k][m / 4][m % 4].
var<workgroup> tileA: array<vec4f, TILE_K * TILE_M / 4u>;
var<workgroup> tileB: array<vec4f, TILE_K * TILE_N / 4u>;

// Element (m, k) of op(A), or 0 outside it.
fn loadA(base: u32, m: u32, k: u32) -> f32 {
  if (EDGE_CHECKS && (m >= p.M || k >= p.K)) { return 0.0; }
  return A[base + select(m * p.K + k, k * p.M + m, TRANSPOSE_A)];
}

// Element (k, n) of op(B), or 0 outside it.
fn loadB(base: u32, k: u32, n: u32) -> f32 {
  if (EDGE_CHECKS && (k >= p.K || n >= p.N)) { return 0.0; }
  return B[base + select(k * p.N + n, n * p.K + k, TRANSPOSE_B)];
}

// acc{i} holds C[tileRow0 + lid.y·THREAD_ROWS + i][tileCol0 + 4·lid.x .. + 3].
var<private> acc0: vec4f;
var<private> acc1: vec4f;
var<private> acc2: vec4f;
var<private> acc3: vec4f;
var<private> acc4: vec4f;
var<private> acc5: vec4f;
var<private> acc6: vec4f;
var<private> acc7: vec4f;

// Copies the slabs at k0 with single-float loads. Slot s of a slab is the s-th element in the
// operand's memory order (the contiguous index fastest), so invocation li reads the address after
// invocation li - 1's.
fn loadSlabs(aBase: u32, bBase: u32, tileRow0: u32, tileCol0: u32, k0: u32, li: u32) {
  let threads = WG_X * WG_Y;
  for (var s = li; s < TILE_M * TILE_K; s += threads) {
    let m = select(s / TILE_K, s % TILE_M, TRANSPOSE_A);
    let k = select(s % TILE_K, s / TILE_M, TRANSPOSE_A);
    tileA[(k * TILE_M + m) / 4u][m % 4u] = loadA(aBase, tileRow0 + m, k0 + k);
  }
  for (var s = li; s < TILE_K * TILE_N; s += threads) {
    let n = select(s % TILE_N, s / TILE_K, TRANSPOSE_B);
    let k = select(s / TILE_N, s % TILE_K, TRANSPOSE_B);
    tileB[(k * TILE_N + n) / 4u][n % 4u] = loadB(bBase, k0 + k, tileCol0 + n);
  }
}

// The same with vec4 loads (main4). Slot s is now the s-th vec4 in memory order. A vec4 along the
// slab's k dimension is spread over four k-rows of the k-major slab; one along m or n is stored
// whole.
fn loadSlabs4(aBase: u32, bBase: u32, tileRow0: u32, tileCol0: u32, k0: u32, li: u32) {
  let threads = WG_X * WG_Y;
  for (var s = li; s < TILE_M * TILE_K / 4u; s += threads) {
    if (TRANSPOSE_A) {                       // A is [K][M]: a vec4 holds rows m .. m+3 at one k
      let mv = s % (TILE_M / 4u);
      let k = s / (TILE_M / 4u);
      let m = tileRow0 + 4u * mv;
      var v = vec4f();
      if (!EDGE_CHECKS || (m < p.M && k0 + k < p.K)) { v = A4[(aBase + (k0 + k) * p.M + m) / 4u]; }
      tileA[k * (TILE_M / 4u) + mv] = v;
    } else {                                 // A is [M][K]: a vec4 holds k .. k+3 of one row
      let kv = s % (TILE_K / 4u);
      let m = s / (TILE_K / 4u);
      let k = 4u * kv;
      var v = vec4f();
      if (!EDGE_CHECKS || (tileRow0 + m < p.M && k0 + k < p.K)) { v = A4[(aBase + (tileRow0 + m) * p.K + k0 + k) / 4u]; }
      tileA[(k * TILE_M + m) / 4u][m % 4u] = v.x;
      tileA[((k + 1u) * TILE_M + m) / 4u][m % 4u] = v.y;
      tileA[((k + 2u) * TILE_M + m) / 4u][m % 4u] = v.z;
      tileA[((k + 3u) * TILE_M + m) / 4u][m % 4u] = v.w;
    }
  }
  for (var s = li; s < TILE_K * TILE_N / 4u; s += threads) {
    if (TRANSPOSE_B) {                       // B is [N][K]: a vec4 holds k .. k+3 of one column
      let kv = s % (TILE_K / 4u);
      let n = s / (TILE_K / 4u);
      let k = 4u * kv;
      var v = vec4f();
      if (!EDGE_CHECKS || (tileCol0 + n < p.N && k0 + k < p.K)) { v = B4[(bBase + (tileCol0 + n) * p.K + k0 + k) / 4u]; }
      tileB[(k * TILE_N + n) / 4u][n % 4u] = v.x;
      tileB[((k + 1u) * TILE_N + n) / 4u][n % 4u] = v.y;
      tileB[((k + 2u) * TILE_N + n) / 4u][n % 4u] = v.z;
      tileB[((k + 3u) * TILE_N + n) / 4u][n % 4u] = v.w;
    } else {                                 // B is [K][N]: a vec4 holds columns n .. n+3 at one k
      let nv = s % (TILE_N / 4u);
      let k = s / (TILE_N / 4u);
      let n = tileCol0 + 4u * nv;
      var v = vec4f();
      if (!EDGE_CHECKS || (n < p.N && k0 + k < p.K)) { v = B4[(bBase + (k0 + k) * p.N + n) / 4u]; }
      tileB[k * (TILE_N / 4u) + nv] = v;
    }
  }
}

// acc += this invocation's share of the product of the two slabs in workgroup memory.
fn multiplySlabs(lid: vec3u) {
  for (var k = 0u; k < TILE_K; k++) {
    let b = tileB[k * (TILE_N / 4u) + lid.x];
    let rows = k * (TILE_M / 4u) + lid.y * (THREAD_ROWS / 4u);
    let a = tileA[rows];
    acc0 = fma(vec4f(a.x), b, acc0);
    acc1 = fma(vec4f(a.y), b, acc1);
    acc2 = fma(vec4f(a.z), b, acc2);
    acc3 = fma(vec4f(a.w), b, acc3);
    if (THREAD_ROWS > 4u) {
      let a2 = tileA[rows + 1u];
      acc4 = fma(vec4f(a2.x), b, acc4);
      acc5 = fma(vec4f(a2.y), b, acc5);
      acc6 = fma(vec4f(a2.z), b, acc6);
      acc7 = fma(vec4f(a2.w), b, acc7);
    }
  }
}

// The bias of columns col .. col+3 (zeros without one).
fn biasAt(col: u32) -> vec4f {
  if (!HAS_BIAS) { return vec4f(); }
  let last = p.N - 1u;
  return vec4f(bias[min(col, last)], bias[min(col + 1u, last)], bias[min(col + 2u, last)], bias[min(col + 3u, last)]);
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let group = wid + vec3u(p.groupOffsetX, p.groupOffsetY, p.groupOffsetZ);
  let tileRow0 = group.y * TILE_M;
  let tileCol0 = group.x * TILE_N;
  let batch = group.z % p.batch;
  let kBegin = (group.z / p.batch) * p.kSlice;
  let kEnd = min(kBegin + p.kSlice, p.K);
  for (var k0 = kBegin; k0 < kEnd; k0 += TILE_K) {
    loadSlabs(batch * p.aBatchStride, batch * p.bBatchStride, tileRow0, tileCol0, k0, li);
    workgroupBarrier();
    multiplySlabs(lid);
    workgroupBarrier();
  }
  let row0 = tileRow0 + lid.y * THREAD_ROWS;
  let col = tileCol0 + 4u * lid.x;
  let add = biasAt(col);
  let cBase = group.z * p.M * p.N;
  storeRow(cBase, row0, col, activate(acc0 + add));
  storeRow(cBase, row0 + 1u, col, activate(acc1 + add));
  storeRow(cBase, row0 + 2u, col, activate(acc2 + add));
  storeRow(cBase, row0 + 3u, col, activate(acc3 + add));
  if (THREAD_ROWS > 4u) {
    storeRow(cBase, row0 + 4u, col, activate(acc4 + add));
    storeRow(cBase, row0 + 5u, col, activate(acc5 + add));
    storeRow(cBase, row0 + 6u, col, activate(acc6 + add));
    storeRow(cBase, row0 + 7u, col, activate(acc7 + add));
  }
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main4(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let group = wid + vec3u(p.groupOffsetX, p.groupOffsetY, p.groupOffsetZ);
  let tileRow0 = group.y * TILE_M;
  let tileCol0 = group.x * TILE_N;
  let batch = group.z % p.batch;
  let kBegin = (group.z / p.batch) * p.kSlice;
  let kEnd = min(kBegin + p.kSlice, p.K);
  for (var k0 = kBegin; k0 < kEnd; k0 += TILE_K) {
    loadSlabs4(batch * p.aBatchStride, batch * p.bBatchStride, tileRow0, tileCol0, k0, li);
    workgroupBarrier();
    multiplySlabs(lid);
    workgroupBarrier();
  }
  let row0 = tileRow0 + lid.y * THREAD_ROWS;
  let col = tileCol0 + 4u * lid.x;
  let add = biasAt(col);
  let cBase = group.z * p.M * p.N;
  storeRow4(cBase, row0, col, activate(acc0 + add));
  storeRow4(cBase, row0 + 1u, col, activate(acc1 + add));
  storeRow4(cBase, row0 + 2u, col, activate(acc2 + add));
  storeRow4(cBase, row0 + 3u, col, activate(acc3 + add));
  if (THREAD_ROWS > 4u) {
    storeRow4(cBase, row0 + 4u, col, activate(acc4 + add));
    storeRow4(cBase, row0 + 5u, col, activate(acc5 + add));
    storeRow4(cBase, row0 + 6u, col, activate(acc6 + add));
    storeRow4(cBase, row0 + 7u, col, activate(acc7 + add));
  }
}

// A row's four values as one vec4 (N a multiple of 4, so col .. col+3 are all in or all out).
fn storeRow4(cBase: u32, row: u32, col: u32, v: vec4f) {
  if (EDGE_CHECKS && (row >= p.M || col >= p.N)) { return; }
  C4[(cBase + row * p.N + col) / 4u] = v;
}

fn storeRow(cBase: u32, row: u32, col: u32, v: vec4f) {
  let at = cBase + row * p.N + col;
  if (!EDGE_CHECKS) {
    C[at] = v.x;
    C[at + 1u] = v.y;
    C[at + 2u] = v.z;
    C[at + 3u] = v.w;
    return;
  }
  if (row >= p.M) { return; }
  if (col < p.N) { C[at] = v.x; }
  if (col + 1u < p.N) { C[at + 1u] = v.y; }
  if (col + 2u < p.N) { C[at + 2u] = v.z; }
  if (col + 3u < p.N) { C[at + 3u] = v.w; }
}
