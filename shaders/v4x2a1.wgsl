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
  let row0 = gid.y * 4;
  let col0 = gid.x * 8;
  let n4 = p.N / 4u;
  let k4 = p.K / 4u;

  var a0 = min(row0 + 0u, p.M - 1u) * k4;
  var a1 = min(row0 + 1u, p.M - 1u) * k4;
  var a2 = min(row0 + 2u, p.M - 1u) * k4;
  var a3 = min(row0 + 3u, p.M - 1u) * k4;
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
  for (var k = 0u; k < k4; k++) {
    let av0 = A[a0]; a0 += 1u;
    let av1 = A[a1]; a1 += 1u;
    let av2 = A[a2]; a2 += 1u;
    let av3 = A[a3]; a3 += 1u;
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
}
