struct Params { M: u32, N: u32, K: u32, aBatchStride: u32, bBatchStride: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
override TRANSPOSE_A: bool = false;
override TRANSPOSE_B: bool = false;
override WG_X: u32 = 8;
override WG_Y: u32 = 8;
override ROWS: u32 = 4;
override COL_VECS: u32 = 1;
@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let row0 = gid.y * 8;
  let col0 = (gid.x / WG_X) * WG_X * 8 + gid.x % WG_X;
  let aRowStride = select(p.K, 1u, TRANSPOSE_A);
  let aKStride = select(1u, p.M, TRANSPOSE_A);
  let bColStride = select(1u, p.K, TRANSPOSE_B);
  let bKStride = select(p.N, 1u, TRANSPOSE_B);
  let aBase = gid.z * p.aBatchStride;
  let bBase = gid.z * p.bBatchStride;

  var a0 = aBase + min(row0 + 0u, p.M - 1u) * aRowStride;
  var a1 = aBase + min(row0 + 1u, p.M - 1u) * aRowStride;
  var a2 = aBase + min(row0 + 2u, p.M - 1u) * aRowStride;
  var a3 = aBase + min(row0 + 3u, p.M - 1u) * aRowStride;
  var a4 = aBase + min(row0 + 4u, p.M - 1u) * aRowStride;
  var a5 = aBase + min(row0 + 5u, p.M - 1u) * aRowStride;
  var a6 = aBase + min(row0 + 6u, p.M - 1u) * aRowStride;
  var a7 = aBase + min(row0 + 7u, p.M - 1u) * aRowStride;
  var b00 = bBase + min(col0 + 0u * WG_X, p.N - 1u) * bColStride;
  var b01 = bBase + min(col0 + 1u * WG_X, p.N - 1u) * bColStride;
  var b02 = bBase + min(col0 + 2u * WG_X, p.N - 1u) * bColStride;
  var b03 = bBase + min(col0 + 3u * WG_X, p.N - 1u) * bColStride;
  var b10 = bBase + min(col0 + 4u * WG_X, p.N - 1u) * bColStride;
  var b11 = bBase + min(col0 + 5u * WG_X, p.N - 1u) * bColStride;
  var b12 = bBase + min(col0 + 6u * WG_X, p.N - 1u) * bColStride;
  var b13 = bBase + min(col0 + 7u * WG_X, p.N - 1u) * bColStride;
  var c00 = vec4f();
  var c01 = vec4f();
  var c10 = vec4f();
  var c11 = vec4f();
  var c20 = vec4f();
  var c21 = vec4f();
  var c30 = vec4f();
  var c31 = vec4f();
  var c40 = vec4f();
  var c41 = vec4f();
  var c50 = vec4f();
  var c51 = vec4f();
  var c60 = vec4f();
  var c61 = vec4f();
  var c70 = vec4f();
  var c71 = vec4f();
  for (var k = 0u; k < p.K; k++) {
    let bv0 = vec4f(B[b00], B[b01], B[b02], B[b03]);
    b00 += bKStride;
    b01 += bKStride;
    b02 += bKStride;
    b03 += bKStride;
    let bv1 = vec4f(B[b10], B[b11], B[b12], B[b13]);
    b10 += bKStride;
    b11 += bKStride;
    b12 += bKStride;
    b13 += bKStride;
    let av0 = A[a0]; a0 += aKStride;
    c00 = fma(vec4f(av0), bv0, c00);
    c01 = fma(vec4f(av0), bv1, c01);
    let av1 = A[a1]; a1 += aKStride;
    c10 = fma(vec4f(av1), bv0, c10);
    c11 = fma(vec4f(av1), bv1, c11);
    let av2 = A[a2]; a2 += aKStride;
    c20 = fma(vec4f(av2), bv0, c20);
    c21 = fma(vec4f(av2), bv1, c21);
    let av3 = A[a3]; a3 += aKStride;
    c30 = fma(vec4f(av3), bv0, c30);
    c31 = fma(vec4f(av3), bv1, c31);
    let av4 = A[a4]; a4 += aKStride;
    c40 = fma(vec4f(av4), bv0, c40);
    c41 = fma(vec4f(av4), bv1, c41);
    let av5 = A[a5]; a5 += aKStride;
    c50 = fma(vec4f(av5), bv0, c50);
    c51 = fma(vec4f(av5), bv1, c51);
    let av6 = A[a6]; a6 += aKStride;
    c60 = fma(vec4f(av6), bv0, c60);
    c61 = fma(vec4f(av6), bv1, c61);
    let av7 = A[a7]; a7 += aKStride;
    c70 = fma(vec4f(av7), bv0, c70);
    c71 = fma(vec4f(av7), bv1, c71);
  }
  let cBase = gid.z * p.M * p.N;
  if (row0 + 0u < p.M && col0 + 0u * WG_X < p.N) { C[cBase + (row0 + 0u) * p.N + col0 + 0u * WG_X] = c00[0]; }
  if (row0 + 0u < p.M && col0 + 1u * WG_X < p.N) { C[cBase + (row0 + 0u) * p.N + col0 + 1u * WG_X] = c00[1]; }
  if (row0 + 0u < p.M && col0 + 2u * WG_X < p.N) { C[cBase + (row0 + 0u) * p.N + col0 + 2u * WG_X] = c00[2]; }
  if (row0 + 0u < p.M && col0 + 3u * WG_X < p.N) { C[cBase + (row0 + 0u) * p.N + col0 + 3u * WG_X] = c00[3]; }
  if (row0 + 0u < p.M && col0 + 4u * WG_X < p.N) { C[cBase + (row0 + 0u) * p.N + col0 + 4u * WG_X] = c01[0]; }
  if (row0 + 0u < p.M && col0 + 5u * WG_X < p.N) { C[cBase + (row0 + 0u) * p.N + col0 + 5u * WG_X] = c01[1]; }
  if (row0 + 0u < p.M && col0 + 6u * WG_X < p.N) { C[cBase + (row0 + 0u) * p.N + col0 + 6u * WG_X] = c01[2]; }
  if (row0 + 0u < p.M && col0 + 7u * WG_X < p.N) { C[cBase + (row0 + 0u) * p.N + col0 + 7u * WG_X] = c01[3]; }
  if (row0 + 1u < p.M && col0 + 0u * WG_X < p.N) { C[cBase + (row0 + 1u) * p.N + col0 + 0u * WG_X] = c10[0]; }
  if (row0 + 1u < p.M && col0 + 1u * WG_X < p.N) { C[cBase + (row0 + 1u) * p.N + col0 + 1u * WG_X] = c10[1]; }
  if (row0 + 1u < p.M && col0 + 2u * WG_X < p.N) { C[cBase + (row0 + 1u) * p.N + col0 + 2u * WG_X] = c10[2]; }
  if (row0 + 1u < p.M && col0 + 3u * WG_X < p.N) { C[cBase + (row0 + 1u) * p.N + col0 + 3u * WG_X] = c10[3]; }
  if (row0 + 1u < p.M && col0 + 4u * WG_X < p.N) { C[cBase + (row0 + 1u) * p.N + col0 + 4u * WG_X] = c11[0]; }
  if (row0 + 1u < p.M && col0 + 5u * WG_X < p.N) { C[cBase + (row0 + 1u) * p.N + col0 + 5u * WG_X] = c11[1]; }
  if (row0 + 1u < p.M && col0 + 6u * WG_X < p.N) { C[cBase + (row0 + 1u) * p.N + col0 + 6u * WG_X] = c11[2]; }
  if (row0 + 1u < p.M && col0 + 7u * WG_X < p.N) { C[cBase + (row0 + 1u) * p.N + col0 + 7u * WG_X] = c11[3]; }
  if (row0 + 2u < p.M && col0 + 0u * WG_X < p.N) { C[cBase + (row0 + 2u) * p.N + col0 + 0u * WG_X] = c20[0]; }
  if (row0 + 2u < p.M && col0 + 1u * WG_X < p.N) { C[cBase + (row0 + 2u) * p.N + col0 + 1u * WG_X] = c20[1]; }
  if (row0 + 2u < p.M && col0 + 2u * WG_X < p.N) { C[cBase + (row0 + 2u) * p.N + col0 + 2u * WG_X] = c20[2]; }
  if (row0 + 2u < p.M && col0 + 3u * WG_X < p.N) { C[cBase + (row0 + 2u) * p.N + col0 + 3u * WG_X] = c20[3]; }
  if (row0 + 2u < p.M && col0 + 4u * WG_X < p.N) { C[cBase + (row0 + 2u) * p.N + col0 + 4u * WG_X] = c21[0]; }
  if (row0 + 2u < p.M && col0 + 5u * WG_X < p.N) { C[cBase + (row0 + 2u) * p.N + col0 + 5u * WG_X] = c21[1]; }
  if (row0 + 2u < p.M && col0 + 6u * WG_X < p.N) { C[cBase + (row0 + 2u) * p.N + col0 + 6u * WG_X] = c21[2]; }
  if (row0 + 2u < p.M && col0 + 7u * WG_X < p.N) { C[cBase + (row0 + 2u) * p.N + col0 + 7u * WG_X] = c21[3]; }
  if (row0 + 3u < p.M && col0 + 0u * WG_X < p.N) { C[cBase + (row0 + 3u) * p.N + col0 + 0u * WG_X] = c30[0]; }
  if (row0 + 3u < p.M && col0 + 1u * WG_X < p.N) { C[cBase + (row0 + 3u) * p.N + col0 + 1u * WG_X] = c30[1]; }
  if (row0 + 3u < p.M && col0 + 2u * WG_X < p.N) { C[cBase + (row0 + 3u) * p.N + col0 + 2u * WG_X] = c30[2]; }
  if (row0 + 3u < p.M && col0 + 3u * WG_X < p.N) { C[cBase + (row0 + 3u) * p.N + col0 + 3u * WG_X] = c30[3]; }
  if (row0 + 3u < p.M && col0 + 4u * WG_X < p.N) { C[cBase + (row0 + 3u) * p.N + col0 + 4u * WG_X] = c31[0]; }
  if (row0 + 3u < p.M && col0 + 5u * WG_X < p.N) { C[cBase + (row0 + 3u) * p.N + col0 + 5u * WG_X] = c31[1]; }
  if (row0 + 3u < p.M && col0 + 6u * WG_X < p.N) { C[cBase + (row0 + 3u) * p.N + col0 + 6u * WG_X] = c31[2]; }
  if (row0 + 3u < p.M && col0 + 7u * WG_X < p.N) { C[cBase + (row0 + 3u) * p.N + col0 + 7u * WG_X] = c31[3]; }
  if (row0 + 4u < p.M && col0 + 0u * WG_X < p.N) { C[cBase + (row0 + 4u) * p.N + col0 + 0u * WG_X] = c40[0]; }
  if (row0 + 4u < p.M && col0 + 1u * WG_X < p.N) { C[cBase + (row0 + 4u) * p.N + col0 + 1u * WG_X] = c40[1]; }
  if (row0 + 4u < p.M && col0 + 2u * WG_X < p.N) { C[cBase + (row0 + 4u) * p.N + col0 + 2u * WG_X] = c40[2]; }
  if (row0 + 4u < p.M && col0 + 3u * WG_X < p.N) { C[cBase + (row0 + 4u) * p.N + col0 + 3u * WG_X] = c40[3]; }
  if (row0 + 4u < p.M && col0 + 4u * WG_X < p.N) { C[cBase + (row0 + 4u) * p.N + col0 + 4u * WG_X] = c41[0]; }
  if (row0 + 4u < p.M && col0 + 5u * WG_X < p.N) { C[cBase + (row0 + 4u) * p.N + col0 + 5u * WG_X] = c41[1]; }
  if (row0 + 4u < p.M && col0 + 6u * WG_X < p.N) { C[cBase + (row0 + 4u) * p.N + col0 + 6u * WG_X] = c41[2]; }
  if (row0 + 4u < p.M && col0 + 7u * WG_X < p.N) { C[cBase + (row0 + 4u) * p.N + col0 + 7u * WG_X] = c41[3]; }
  if (row0 + 5u < p.M && col0 + 0u * WG_X < p.N) { C[cBase + (row0 + 5u) * p.N + col0 + 0u * WG_X] = c50[0]; }
  if (row0 + 5u < p.M && col0 + 1u * WG_X < p.N) { C[cBase + (row0 + 5u) * p.N + col0 + 1u * WG_X] = c50[1]; }
  if (row0 + 5u < p.M && col0 + 2u * WG_X < p.N) { C[cBase + (row0 + 5u) * p.N + col0 + 2u * WG_X] = c50[2]; }
  if (row0 + 5u < p.M && col0 + 3u * WG_X < p.N) { C[cBase + (row0 + 5u) * p.N + col0 + 3u * WG_X] = c50[3]; }
  if (row0 + 5u < p.M && col0 + 4u * WG_X < p.N) { C[cBase + (row0 + 5u) * p.N + col0 + 4u * WG_X] = c51[0]; }
  if (row0 + 5u < p.M && col0 + 5u * WG_X < p.N) { C[cBase + (row0 + 5u) * p.N + col0 + 5u * WG_X] = c51[1]; }
  if (row0 + 5u < p.M && col0 + 6u * WG_X < p.N) { C[cBase + (row0 + 5u) * p.N + col0 + 6u * WG_X] = c51[2]; }
  if (row0 + 5u < p.M && col0 + 7u * WG_X < p.N) { C[cBase + (row0 + 5u) * p.N + col0 + 7u * WG_X] = c51[3]; }
  if (row0 + 6u < p.M && col0 + 0u * WG_X < p.N) { C[cBase + (row0 + 6u) * p.N + col0 + 0u * WG_X] = c60[0]; }
  if (row0 + 6u < p.M && col0 + 1u * WG_X < p.N) { C[cBase + (row0 + 6u) * p.N + col0 + 1u * WG_X] = c60[1]; }
  if (row0 + 6u < p.M && col0 + 2u * WG_X < p.N) { C[cBase + (row0 + 6u) * p.N + col0 + 2u * WG_X] = c60[2]; }
  if (row0 + 6u < p.M && col0 + 3u * WG_X < p.N) { C[cBase + (row0 + 6u) * p.N + col0 + 3u * WG_X] = c60[3]; }
  if (row0 + 6u < p.M && col0 + 4u * WG_X < p.N) { C[cBase + (row0 + 6u) * p.N + col0 + 4u * WG_X] = c61[0]; }
  if (row0 + 6u < p.M && col0 + 5u * WG_X < p.N) { C[cBase + (row0 + 6u) * p.N + col0 + 5u * WG_X] = c61[1]; }
  if (row0 + 6u < p.M && col0 + 6u * WG_X < p.N) { C[cBase + (row0 + 6u) * p.N + col0 + 6u * WG_X] = c61[2]; }
  if (row0 + 6u < p.M && col0 + 7u * WG_X < p.N) { C[cBase + (row0 + 6u) * p.N + col0 + 7u * WG_X] = c61[3]; }
  if (row0 + 7u < p.M && col0 + 0u * WG_X < p.N) { C[cBase + (row0 + 7u) * p.N + col0 + 0u * WG_X] = c70[0]; }
  if (row0 + 7u < p.M && col0 + 1u * WG_X < p.N) { C[cBase + (row0 + 7u) * p.N + col0 + 1u * WG_X] = c70[1]; }
  if (row0 + 7u < p.M && col0 + 2u * WG_X < p.N) { C[cBase + (row0 + 7u) * p.N + col0 + 2u * WG_X] = c70[2]; }
  if (row0 + 7u < p.M && col0 + 3u * WG_X < p.N) { C[cBase + (row0 + 7u) * p.N + col0 + 3u * WG_X] = c70[3]; }
  if (row0 + 7u < p.M && col0 + 4u * WG_X < p.N) { C[cBase + (row0 + 7u) * p.N + col0 + 4u * WG_X] = c71[0]; }
  if (row0 + 7u < p.M && col0 + 5u * WG_X < p.N) { C[cBase + (row0 + 7u) * p.N + col0 + 5u * WG_X] = c71[1]; }
  if (row0 + 7u < p.M && col0 + 6u * WG_X < p.N) { C[cBase + (row0 + 7u) * p.N + col0 + 6u * WG_X] = c71[2]; }
  if (row0 + 7u < p.M && col0 + 7u * WG_X < p.N) { C[cBase + (row0 + 7u) * p.N + col0 + 7u * WG_X] = c71[3]; }
}
