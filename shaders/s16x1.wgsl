enable subgroups;
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
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let row0 = gid.y * 16u;
  let col0 = gid.x * 4u;
  let q = lane % 4u;
  let aRowStride = select(p.K, 1u, TRANSPOSE_A);
  let aKStride = select(1u, p.M, TRANSPOSE_A);
  let bColStride = select(1u, p.K, TRANSPOSE_B);
  let bKStride = select(p.N, 1u, TRANSPOSE_B);
  let aBase = gid.z * p.aBatchStride;
  let bBase = gid.z * p.bBatchStride;

  var a0 = aBase + min(row0 + 0u + q, p.M - 1u) * aRowStride;
  var a1 = aBase + min(row0 + 4u + q, p.M - 1u) * aRowStride;
  var a2 = aBase + min(row0 + 8u + q, p.M - 1u) * aRowStride;
  var a3 = aBase + min(row0 + 12u + q, p.M - 1u) * aRowStride;
  var b00 = bBase + min(col0 + 0u, p.N - 1u) * bColStride;
  var b01 = bBase + min(col0 + 1u, p.N - 1u) * bColStride;
  var b02 = bBase + min(col0 + 2u, p.N - 1u) * bColStride;
  var b03 = bBase + min(col0 + 3u, p.N - 1u) * bColStride;
  var c00 = vec4f();
  var c10 = vec4f();
  var c20 = vec4f();
  var c30 = vec4f();
  var c40 = vec4f();
  var c50 = vec4f();
  var c60 = vec4f();
  var c70 = vec4f();
  var c80 = vec4f();
  var c90 = vec4f();
  var c100 = vec4f();
  var c110 = vec4f();
  var c120 = vec4f();
  var c130 = vec4f();
  var c140 = vec4f();
  var c150 = vec4f();
  for (var k = 0u; k < p.K; k++) {
    let bv0 = vec4f(B[b00], B[b01], B[b02], B[b03]);
    b00 += bKStride;
    b01 += bKStride;
    b02 += bKStride;
    b03 += bKStride;
    let aq0 = A[a0]; a0 += aKStride;
    let av0 = vec4f(quadBroadcast(aq0, 0u));
    c00 = fma(av0, bv0, c00);
    let av1 = vec4f(quadBroadcast(aq0, 1u));
    c10 = fma(av1, bv0, c10);
    let av2 = vec4f(quadBroadcast(aq0, 2u));
    c20 = fma(av2, bv0, c20);
    let av3 = vec4f(quadBroadcast(aq0, 3u));
    c30 = fma(av3, bv0, c30);
    let aq1 = A[a1]; a1 += aKStride;
    let av4 = vec4f(quadBroadcast(aq1, 0u));
    c40 = fma(av4, bv0, c40);
    let av5 = vec4f(quadBroadcast(aq1, 1u));
    c50 = fma(av5, bv0, c50);
    let av6 = vec4f(quadBroadcast(aq1, 2u));
    c60 = fma(av6, bv0, c60);
    let av7 = vec4f(quadBroadcast(aq1, 3u));
    c70 = fma(av7, bv0, c70);
    let aq2 = A[a2]; a2 += aKStride;
    let av8 = vec4f(quadBroadcast(aq2, 0u));
    c80 = fma(av8, bv0, c80);
    let av9 = vec4f(quadBroadcast(aq2, 1u));
    c90 = fma(av9, bv0, c90);
    let av10 = vec4f(quadBroadcast(aq2, 2u));
    c100 = fma(av10, bv0, c100);
    let av11 = vec4f(quadBroadcast(aq2, 3u));
    c110 = fma(av11, bv0, c110);
    let aq3 = A[a3]; a3 += aKStride;
    let av12 = vec4f(quadBroadcast(aq3, 0u));
    c120 = fma(av12, bv0, c120);
    let av13 = vec4f(quadBroadcast(aq3, 1u));
    c130 = fma(av13, bv0, c130);
    let av14 = vec4f(quadBroadcast(aq3, 2u));
    c140 = fma(av14, bv0, c140);
    let av15 = vec4f(quadBroadcast(aq3, 3u));
    c150 = fma(av15, bv0, c150);
  }
  let cBase = gid.z * p.M * p.N;
  if (row0 + 0u < p.M && col0 + 0u < p.N) { C[cBase + (row0 + 0u) * p.N + col0 + 0u] = c00[0]; }
  if (row0 + 0u < p.M && col0 + 1u < p.N) { C[cBase + (row0 + 0u) * p.N + col0 + 1u] = c00[1]; }
  if (row0 + 0u < p.M && col0 + 2u < p.N) { C[cBase + (row0 + 0u) * p.N + col0 + 2u] = c00[2]; }
  if (row0 + 0u < p.M && col0 + 3u < p.N) { C[cBase + (row0 + 0u) * p.N + col0 + 3u] = c00[3]; }
  if (row0 + 1u < p.M && col0 + 0u < p.N) { C[cBase + (row0 + 1u) * p.N + col0 + 0u] = c10[0]; }
  if (row0 + 1u < p.M && col0 + 1u < p.N) { C[cBase + (row0 + 1u) * p.N + col0 + 1u] = c10[1]; }
  if (row0 + 1u < p.M && col0 + 2u < p.N) { C[cBase + (row0 + 1u) * p.N + col0 + 2u] = c10[2]; }
  if (row0 + 1u < p.M && col0 + 3u < p.N) { C[cBase + (row0 + 1u) * p.N + col0 + 3u] = c10[3]; }
  if (row0 + 2u < p.M && col0 + 0u < p.N) { C[cBase + (row0 + 2u) * p.N + col0 + 0u] = c20[0]; }
  if (row0 + 2u < p.M && col0 + 1u < p.N) { C[cBase + (row0 + 2u) * p.N + col0 + 1u] = c20[1]; }
  if (row0 + 2u < p.M && col0 + 2u < p.N) { C[cBase + (row0 + 2u) * p.N + col0 + 2u] = c20[2]; }
  if (row0 + 2u < p.M && col0 + 3u < p.N) { C[cBase + (row0 + 2u) * p.N + col0 + 3u] = c20[3]; }
  if (row0 + 3u < p.M && col0 + 0u < p.N) { C[cBase + (row0 + 3u) * p.N + col0 + 0u] = c30[0]; }
  if (row0 + 3u < p.M && col0 + 1u < p.N) { C[cBase + (row0 + 3u) * p.N + col0 + 1u] = c30[1]; }
  if (row0 + 3u < p.M && col0 + 2u < p.N) { C[cBase + (row0 + 3u) * p.N + col0 + 2u] = c30[2]; }
  if (row0 + 3u < p.M && col0 + 3u < p.N) { C[cBase + (row0 + 3u) * p.N + col0 + 3u] = c30[3]; }
  if (row0 + 4u < p.M && col0 + 0u < p.N) { C[cBase + (row0 + 4u) * p.N + col0 + 0u] = c40[0]; }
  if (row0 + 4u < p.M && col0 + 1u < p.N) { C[cBase + (row0 + 4u) * p.N + col0 + 1u] = c40[1]; }
  if (row0 + 4u < p.M && col0 + 2u < p.N) { C[cBase + (row0 + 4u) * p.N + col0 + 2u] = c40[2]; }
  if (row0 + 4u < p.M && col0 + 3u < p.N) { C[cBase + (row0 + 4u) * p.N + col0 + 3u] = c40[3]; }
  if (row0 + 5u < p.M && col0 + 0u < p.N) { C[cBase + (row0 + 5u) * p.N + col0 + 0u] = c50[0]; }
  if (row0 + 5u < p.M && col0 + 1u < p.N) { C[cBase + (row0 + 5u) * p.N + col0 + 1u] = c50[1]; }
  if (row0 + 5u < p.M && col0 + 2u < p.N) { C[cBase + (row0 + 5u) * p.N + col0 + 2u] = c50[2]; }
  if (row0 + 5u < p.M && col0 + 3u < p.N) { C[cBase + (row0 + 5u) * p.N + col0 + 3u] = c50[3]; }
  if (row0 + 6u < p.M && col0 + 0u < p.N) { C[cBase + (row0 + 6u) * p.N + col0 + 0u] = c60[0]; }
  if (row0 + 6u < p.M && col0 + 1u < p.N) { C[cBase + (row0 + 6u) * p.N + col0 + 1u] = c60[1]; }
  if (row0 + 6u < p.M && col0 + 2u < p.N) { C[cBase + (row0 + 6u) * p.N + col0 + 2u] = c60[2]; }
  if (row0 + 6u < p.M && col0 + 3u < p.N) { C[cBase + (row0 + 6u) * p.N + col0 + 3u] = c60[3]; }
  if (row0 + 7u < p.M && col0 + 0u < p.N) { C[cBase + (row0 + 7u) * p.N + col0 + 0u] = c70[0]; }
  if (row0 + 7u < p.M && col0 + 1u < p.N) { C[cBase + (row0 + 7u) * p.N + col0 + 1u] = c70[1]; }
  if (row0 + 7u < p.M && col0 + 2u < p.N) { C[cBase + (row0 + 7u) * p.N + col0 + 2u] = c70[2]; }
  if (row0 + 7u < p.M && col0 + 3u < p.N) { C[cBase + (row0 + 7u) * p.N + col0 + 3u] = c70[3]; }
  if (row0 + 8u < p.M && col0 + 0u < p.N) { C[cBase + (row0 + 8u) * p.N + col0 + 0u] = c80[0]; }
  if (row0 + 8u < p.M && col0 + 1u < p.N) { C[cBase + (row0 + 8u) * p.N + col0 + 1u] = c80[1]; }
  if (row0 + 8u < p.M && col0 + 2u < p.N) { C[cBase + (row0 + 8u) * p.N + col0 + 2u] = c80[2]; }
  if (row0 + 8u < p.M && col0 + 3u < p.N) { C[cBase + (row0 + 8u) * p.N + col0 + 3u] = c80[3]; }
  if (row0 + 9u < p.M && col0 + 0u < p.N) { C[cBase + (row0 + 9u) * p.N + col0 + 0u] = c90[0]; }
  if (row0 + 9u < p.M && col0 + 1u < p.N) { C[cBase + (row0 + 9u) * p.N + col0 + 1u] = c90[1]; }
  if (row0 + 9u < p.M && col0 + 2u < p.N) { C[cBase + (row0 + 9u) * p.N + col0 + 2u] = c90[2]; }
  if (row0 + 9u < p.M && col0 + 3u < p.N) { C[cBase + (row0 + 9u) * p.N + col0 + 3u] = c90[3]; }
  if (row0 + 10u < p.M && col0 + 0u < p.N) { C[cBase + (row0 + 10u) * p.N + col0 + 0u] = c100[0]; }
  if (row0 + 10u < p.M && col0 + 1u < p.N) { C[cBase + (row0 + 10u) * p.N + col0 + 1u] = c100[1]; }
  if (row0 + 10u < p.M && col0 + 2u < p.N) { C[cBase + (row0 + 10u) * p.N + col0 + 2u] = c100[2]; }
  if (row0 + 10u < p.M && col0 + 3u < p.N) { C[cBase + (row0 + 10u) * p.N + col0 + 3u] = c100[3]; }
  if (row0 + 11u < p.M && col0 + 0u < p.N) { C[cBase + (row0 + 11u) * p.N + col0 + 0u] = c110[0]; }
  if (row0 + 11u < p.M && col0 + 1u < p.N) { C[cBase + (row0 + 11u) * p.N + col0 + 1u] = c110[1]; }
  if (row0 + 11u < p.M && col0 + 2u < p.N) { C[cBase + (row0 + 11u) * p.N + col0 + 2u] = c110[2]; }
  if (row0 + 11u < p.M && col0 + 3u < p.N) { C[cBase + (row0 + 11u) * p.N + col0 + 3u] = c110[3]; }
  if (row0 + 12u < p.M && col0 + 0u < p.N) { C[cBase + (row0 + 12u) * p.N + col0 + 0u] = c120[0]; }
  if (row0 + 12u < p.M && col0 + 1u < p.N) { C[cBase + (row0 + 12u) * p.N + col0 + 1u] = c120[1]; }
  if (row0 + 12u < p.M && col0 + 2u < p.N) { C[cBase + (row0 + 12u) * p.N + col0 + 2u] = c120[2]; }
  if (row0 + 12u < p.M && col0 + 3u < p.N) { C[cBase + (row0 + 12u) * p.N + col0 + 3u] = c120[3]; }
  if (row0 + 13u < p.M && col0 + 0u < p.N) { C[cBase + (row0 + 13u) * p.N + col0 + 0u] = c130[0]; }
  if (row0 + 13u < p.M && col0 + 1u < p.N) { C[cBase + (row0 + 13u) * p.N + col0 + 1u] = c130[1]; }
  if (row0 + 13u < p.M && col0 + 2u < p.N) { C[cBase + (row0 + 13u) * p.N + col0 + 2u] = c130[2]; }
  if (row0 + 13u < p.M && col0 + 3u < p.N) { C[cBase + (row0 + 13u) * p.N + col0 + 3u] = c130[3]; }
  if (row0 + 14u < p.M && col0 + 0u < p.N) { C[cBase + (row0 + 14u) * p.N + col0 + 0u] = c140[0]; }
  if (row0 + 14u < p.M && col0 + 1u < p.N) { C[cBase + (row0 + 14u) * p.N + col0 + 1u] = c140[1]; }
  if (row0 + 14u < p.M && col0 + 2u < p.N) { C[cBase + (row0 + 14u) * p.N + col0 + 2u] = c140[2]; }
  if (row0 + 14u < p.M && col0 + 3u < p.N) { C[cBase + (row0 + 14u) * p.N + col0 + 3u] = c140[3]; }
  if (row0 + 15u < p.M && col0 + 0u < p.N) { C[cBase + (row0 + 15u) * p.N + col0 + 0u] = c150[0]; }
  if (row0 + 15u < p.M && col0 + 1u < p.N) { C[cBase + (row0 + 15u) * p.N + col0 + 1u] = c150[1]; }
  if (row0 + 15u < p.M && col0 + 2u < p.N) { C[cBase + (row0 + 15u) * p.N + col0 + 2u] = c150[2]; }
  if (row0 + 15u < p.M && col0 + 3u < p.N) { C[cBase + (row0 + 15u) * p.N + col0 + 3u] = c150[3]; }
}
