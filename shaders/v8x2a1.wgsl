struct Params { M: u32, N: u32, K: u32, aBatchStride: u32, bBatchStride: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<vec4f>;
@group(0) @binding(2) var<storage, read> B: array<vec4f>;
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
  let col0 = gid.x * 8;
  let n4 = p.N / 4u;
  let k4 = p.K / 4u;

  var a0 = min(row0 + 0u, p.M - 1u) * k4;
  var a1 = min(row0 + 1u, p.M - 1u) * k4;
  var a2 = min(row0 + 2u, p.M - 1u) * k4;
  var a3 = min(row0 + 3u, p.M - 1u) * k4;
  var a4 = min(row0 + 4u, p.M - 1u) * k4;
  var a5 = min(row0 + 5u, p.M - 1u) * k4;
  var a6 = min(row0 + 6u, p.M - 1u) * k4;
  var a7 = min(row0 + 7u, p.M - 1u) * k4;
  var b0 = min(col0 / 4u + 0u, n4 - 1u);
  var b1 = min(col0 / 4u + 1u, n4 - 1u);
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
  for (var k = 0u; k < k4; k++) {
    let av0 = A[a0]; a0 += 1u;
    let av1 = A[a1]; a1 += 1u;
    let av2 = A[a2]; a2 += 1u;
    let av3 = A[a3]; a3 += 1u;
    let av4 = A[a4]; a4 += 1u;
    let av5 = A[a5]; a5 += 1u;
    let av6 = A[a6]; a6 += 1u;
    let av7 = A[a7]; a7 += 1u;
    let bv0_0 = B[b0]; b0 += n4;
    let bv1_0 = B[b1]; b1 += n4;
    c00 = fma(vec4f(av0[0]), bv0_0, c00);
    c01 = fma(vec4f(av0[0]), bv1_0, c01);
    c10 = fma(vec4f(av1[0]), bv0_0, c10);
    c11 = fma(vec4f(av1[0]), bv1_0, c11);
    c20 = fma(vec4f(av2[0]), bv0_0, c20);
    c21 = fma(vec4f(av2[0]), bv1_0, c21);
    c30 = fma(vec4f(av3[0]), bv0_0, c30);
    c31 = fma(vec4f(av3[0]), bv1_0, c31);
    c40 = fma(vec4f(av4[0]), bv0_0, c40);
    c41 = fma(vec4f(av4[0]), bv1_0, c41);
    c50 = fma(vec4f(av5[0]), bv0_0, c50);
    c51 = fma(vec4f(av5[0]), bv1_0, c51);
    c60 = fma(vec4f(av6[0]), bv0_0, c60);
    c61 = fma(vec4f(av6[0]), bv1_0, c61);
    c70 = fma(vec4f(av7[0]), bv0_0, c70);
    c71 = fma(vec4f(av7[0]), bv1_0, c71);
    let bv0_1 = B[b0]; b0 += n4;
    let bv1_1 = B[b1]; b1 += n4;
    c00 = fma(vec4f(av0[1]), bv0_1, c00);
    c01 = fma(vec4f(av0[1]), bv1_1, c01);
    c10 = fma(vec4f(av1[1]), bv0_1, c10);
    c11 = fma(vec4f(av1[1]), bv1_1, c11);
    c20 = fma(vec4f(av2[1]), bv0_1, c20);
    c21 = fma(vec4f(av2[1]), bv1_1, c21);
    c30 = fma(vec4f(av3[1]), bv0_1, c30);
    c31 = fma(vec4f(av3[1]), bv1_1, c31);
    c40 = fma(vec4f(av4[1]), bv0_1, c40);
    c41 = fma(vec4f(av4[1]), bv1_1, c41);
    c50 = fma(vec4f(av5[1]), bv0_1, c50);
    c51 = fma(vec4f(av5[1]), bv1_1, c51);
    c60 = fma(vec4f(av6[1]), bv0_1, c60);
    c61 = fma(vec4f(av6[1]), bv1_1, c61);
    c70 = fma(vec4f(av7[1]), bv0_1, c70);
    c71 = fma(vec4f(av7[1]), bv1_1, c71);
    let bv0_2 = B[b0]; b0 += n4;
    let bv1_2 = B[b1]; b1 += n4;
    c00 = fma(vec4f(av0[2]), bv0_2, c00);
    c01 = fma(vec4f(av0[2]), bv1_2, c01);
    c10 = fma(vec4f(av1[2]), bv0_2, c10);
    c11 = fma(vec4f(av1[2]), bv1_2, c11);
    c20 = fma(vec4f(av2[2]), bv0_2, c20);
    c21 = fma(vec4f(av2[2]), bv1_2, c21);
    c30 = fma(vec4f(av3[2]), bv0_2, c30);
    c31 = fma(vec4f(av3[2]), bv1_2, c31);
    c40 = fma(vec4f(av4[2]), bv0_2, c40);
    c41 = fma(vec4f(av4[2]), bv1_2, c41);
    c50 = fma(vec4f(av5[2]), bv0_2, c50);
    c51 = fma(vec4f(av5[2]), bv1_2, c51);
    c60 = fma(vec4f(av6[2]), bv0_2, c60);
    c61 = fma(vec4f(av6[2]), bv1_2, c61);
    c70 = fma(vec4f(av7[2]), bv0_2, c70);
    c71 = fma(vec4f(av7[2]), bv1_2, c71);
    let bv0_3 = B[b0]; b0 += n4;
    let bv1_3 = B[b1]; b1 += n4;
    c00 = fma(vec4f(av0[3]), bv0_3, c00);
    c01 = fma(vec4f(av0[3]), bv1_3, c01);
    c10 = fma(vec4f(av1[3]), bv0_3, c10);
    c11 = fma(vec4f(av1[3]), bv1_3, c11);
    c20 = fma(vec4f(av2[3]), bv0_3, c20);
    c21 = fma(vec4f(av2[3]), bv1_3, c21);
    c30 = fma(vec4f(av3[3]), bv0_3, c30);
    c31 = fma(vec4f(av3[3]), bv1_3, c31);
    c40 = fma(vec4f(av4[3]), bv0_3, c40);
    c41 = fma(vec4f(av4[3]), bv1_3, c41);
    c50 = fma(vec4f(av5[3]), bv0_3, c50);
    c51 = fma(vec4f(av5[3]), bv1_3, c51);
    c60 = fma(vec4f(av6[3]), bv0_3, c60);
    c61 = fma(vec4f(av6[3]), bv1_3, c61);
    c70 = fma(vec4f(av7[3]), bv0_3, c70);
    c71 = fma(vec4f(av7[3]), bv1_3, c71);
  }
  if (row0 + 0u < p.M && col0 + 0u < p.N) { C[(row0 + 0u) * p.N + col0 + 0u] = c00[0]; }
  if (row0 + 0u < p.M && col0 + 1u < p.N) { C[(row0 + 0u) * p.N + col0 + 1u] = c00[1]; }
  if (row0 + 0u < p.M && col0 + 2u < p.N) { C[(row0 + 0u) * p.N + col0 + 2u] = c00[2]; }
  if (row0 + 0u < p.M && col0 + 3u < p.N) { C[(row0 + 0u) * p.N + col0 + 3u] = c00[3]; }
  if (row0 + 0u < p.M && col0 + 4u < p.N) { C[(row0 + 0u) * p.N + col0 + 4u] = c01[0]; }
  if (row0 + 0u < p.M && col0 + 5u < p.N) { C[(row0 + 0u) * p.N + col0 + 5u] = c01[1]; }
  if (row0 + 0u < p.M && col0 + 6u < p.N) { C[(row0 + 0u) * p.N + col0 + 6u] = c01[2]; }
  if (row0 + 0u < p.M && col0 + 7u < p.N) { C[(row0 + 0u) * p.N + col0 + 7u] = c01[3]; }
  if (row0 + 1u < p.M && col0 + 0u < p.N) { C[(row0 + 1u) * p.N + col0 + 0u] = c10[0]; }
  if (row0 + 1u < p.M && col0 + 1u < p.N) { C[(row0 + 1u) * p.N + col0 + 1u] = c10[1]; }
  if (row0 + 1u < p.M && col0 + 2u < p.N) { C[(row0 + 1u) * p.N + col0 + 2u] = c10[2]; }
  if (row0 + 1u < p.M && col0 + 3u < p.N) { C[(row0 + 1u) * p.N + col0 + 3u] = c10[3]; }
  if (row0 + 1u < p.M && col0 + 4u < p.N) { C[(row0 + 1u) * p.N + col0 + 4u] = c11[0]; }
  if (row0 + 1u < p.M && col0 + 5u < p.N) { C[(row0 + 1u) * p.N + col0 + 5u] = c11[1]; }
  if (row0 + 1u < p.M && col0 + 6u < p.N) { C[(row0 + 1u) * p.N + col0 + 6u] = c11[2]; }
  if (row0 + 1u < p.M && col0 + 7u < p.N) { C[(row0 + 1u) * p.N + col0 + 7u] = c11[3]; }
  if (row0 + 2u < p.M && col0 + 0u < p.N) { C[(row0 + 2u) * p.N + col0 + 0u] = c20[0]; }
  if (row0 + 2u < p.M && col0 + 1u < p.N) { C[(row0 + 2u) * p.N + col0 + 1u] = c20[1]; }
  if (row0 + 2u < p.M && col0 + 2u < p.N) { C[(row0 + 2u) * p.N + col0 + 2u] = c20[2]; }
  if (row0 + 2u < p.M && col0 + 3u < p.N) { C[(row0 + 2u) * p.N + col0 + 3u] = c20[3]; }
  if (row0 + 2u < p.M && col0 + 4u < p.N) { C[(row0 + 2u) * p.N + col0 + 4u] = c21[0]; }
  if (row0 + 2u < p.M && col0 + 5u < p.N) { C[(row0 + 2u) * p.N + col0 + 5u] = c21[1]; }
  if (row0 + 2u < p.M && col0 + 6u < p.N) { C[(row0 + 2u) * p.N + col0 + 6u] = c21[2]; }
  if (row0 + 2u < p.M && col0 + 7u < p.N) { C[(row0 + 2u) * p.N + col0 + 7u] = c21[3]; }
  if (row0 + 3u < p.M && col0 + 0u < p.N) { C[(row0 + 3u) * p.N + col0 + 0u] = c30[0]; }
  if (row0 + 3u < p.M && col0 + 1u < p.N) { C[(row0 + 3u) * p.N + col0 + 1u] = c30[1]; }
  if (row0 + 3u < p.M && col0 + 2u < p.N) { C[(row0 + 3u) * p.N + col0 + 2u] = c30[2]; }
  if (row0 + 3u < p.M && col0 + 3u < p.N) { C[(row0 + 3u) * p.N + col0 + 3u] = c30[3]; }
  if (row0 + 3u < p.M && col0 + 4u < p.N) { C[(row0 + 3u) * p.N + col0 + 4u] = c31[0]; }
  if (row0 + 3u < p.M && col0 + 5u < p.N) { C[(row0 + 3u) * p.N + col0 + 5u] = c31[1]; }
  if (row0 + 3u < p.M && col0 + 6u < p.N) { C[(row0 + 3u) * p.N + col0 + 6u] = c31[2]; }
  if (row0 + 3u < p.M && col0 + 7u < p.N) { C[(row0 + 3u) * p.N + col0 + 7u] = c31[3]; }
  if (row0 + 4u < p.M && col0 + 0u < p.N) { C[(row0 + 4u) * p.N + col0 + 0u] = c40[0]; }
  if (row0 + 4u < p.M && col0 + 1u < p.N) { C[(row0 + 4u) * p.N + col0 + 1u] = c40[1]; }
  if (row0 + 4u < p.M && col0 + 2u < p.N) { C[(row0 + 4u) * p.N + col0 + 2u] = c40[2]; }
  if (row0 + 4u < p.M && col0 + 3u < p.N) { C[(row0 + 4u) * p.N + col0 + 3u] = c40[3]; }
  if (row0 + 4u < p.M && col0 + 4u < p.N) { C[(row0 + 4u) * p.N + col0 + 4u] = c41[0]; }
  if (row0 + 4u < p.M && col0 + 5u < p.N) { C[(row0 + 4u) * p.N + col0 + 5u] = c41[1]; }
  if (row0 + 4u < p.M && col0 + 6u < p.N) { C[(row0 + 4u) * p.N + col0 + 6u] = c41[2]; }
  if (row0 + 4u < p.M && col0 + 7u < p.N) { C[(row0 + 4u) * p.N + col0 + 7u] = c41[3]; }
  if (row0 + 5u < p.M && col0 + 0u < p.N) { C[(row0 + 5u) * p.N + col0 + 0u] = c50[0]; }
  if (row0 + 5u < p.M && col0 + 1u < p.N) { C[(row0 + 5u) * p.N + col0 + 1u] = c50[1]; }
  if (row0 + 5u < p.M && col0 + 2u < p.N) { C[(row0 + 5u) * p.N + col0 + 2u] = c50[2]; }
  if (row0 + 5u < p.M && col0 + 3u < p.N) { C[(row0 + 5u) * p.N + col0 + 3u] = c50[3]; }
  if (row0 + 5u < p.M && col0 + 4u < p.N) { C[(row0 + 5u) * p.N + col0 + 4u] = c51[0]; }
  if (row0 + 5u < p.M && col0 + 5u < p.N) { C[(row0 + 5u) * p.N + col0 + 5u] = c51[1]; }
  if (row0 + 5u < p.M && col0 + 6u < p.N) { C[(row0 + 5u) * p.N + col0 + 6u] = c51[2]; }
  if (row0 + 5u < p.M && col0 + 7u < p.N) { C[(row0 + 5u) * p.N + col0 + 7u] = c51[3]; }
  if (row0 + 6u < p.M && col0 + 0u < p.N) { C[(row0 + 6u) * p.N + col0 + 0u] = c60[0]; }
  if (row0 + 6u < p.M && col0 + 1u < p.N) { C[(row0 + 6u) * p.N + col0 + 1u] = c60[1]; }
  if (row0 + 6u < p.M && col0 + 2u < p.N) { C[(row0 + 6u) * p.N + col0 + 2u] = c60[2]; }
  if (row0 + 6u < p.M && col0 + 3u < p.N) { C[(row0 + 6u) * p.N + col0 + 3u] = c60[3]; }
  if (row0 + 6u < p.M && col0 + 4u < p.N) { C[(row0 + 6u) * p.N + col0 + 4u] = c61[0]; }
  if (row0 + 6u < p.M && col0 + 5u < p.N) { C[(row0 + 6u) * p.N + col0 + 5u] = c61[1]; }
  if (row0 + 6u < p.M && col0 + 6u < p.N) { C[(row0 + 6u) * p.N + col0 + 6u] = c61[2]; }
  if (row0 + 6u < p.M && col0 + 7u < p.N) { C[(row0 + 6u) * p.N + col0 + 7u] = c61[3]; }
  if (row0 + 7u < p.M && col0 + 0u < p.N) { C[(row0 + 7u) * p.N + col0 + 0u] = c70[0]; }
  if (row0 + 7u < p.M && col0 + 1u < p.N) { C[(row0 + 7u) * p.N + col0 + 1u] = c70[1]; }
  if (row0 + 7u < p.M && col0 + 2u < p.N) { C[(row0 + 7u) * p.N + col0 + 2u] = c70[2]; }
  if (row0 + 7u < p.M && col0 + 3u < p.N) { C[(row0 + 7u) * p.N + col0 + 3u] = c70[3]; }
  if (row0 + 7u < p.M && col0 + 4u < p.N) { C[(row0 + 7u) * p.N + col0 + 4u] = c71[0]; }
  if (row0 + 7u < p.M && col0 + 5u < p.N) { C[(row0 + 7u) * p.N + col0 + 5u] = c71[1]; }
  if (row0 + 7u < p.M && col0 + 6u < p.N) { C[(row0 + 7u) * p.N + col0 + 6u] = c71[2]; }
  if (row0 + 7u < p.M && col0 + 7u < p.N) { C[(row0 + 7u) * p.N + col0 + 7u] = c71[3]; }
}
