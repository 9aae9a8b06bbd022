enable subgroups;
struct Params { M: u32, N: u32, K: u32, aBatchStride: u32, bBatchStride: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
override TRANSPOSE_A: bool = false;
override TRANSPOSE_B: bool = false;
override HAS_BIAS: bool = false;
override WG_X: u32 = 8;
override WG_Y: u32 = 8;
override ROWS: u32 = 4;
override COL_VECS: u32 = 1;
fn outer(a: vec4f, b: vec4f) -> mat4x4f { return mat4x4f(b * a.x, b * a.y, b * a.z, b * a.w); }
fn quadRows(x: f32) -> vec4f { return vec4f(quadBroadcast(x, 0u), quadBroadcast(x, 1u), quadBroadcast(x, 2u), quadBroadcast(x, 3u)); }
@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let row0 = gid.y * 4u;
  let col0 = gid.x * 8u;
  let q = lane % 4u;
  let aRowStride = select(p.K, 1u, TRANSPOSE_A);
  let aKStride = select(1u, p.M, TRANSPOSE_A);
  let bColStride = select(1u, p.K, TRANSPOSE_B);
  let bKStride = select(p.N, 1u, TRANSPOSE_B);
  var aOff = gid.z * p.aBatchStride;
  var bOff = gid.z * p.bBatchStride;

  let ar0 = min(row0 + 0u + q, p.M - 1u) * aRowStride;
  let bc0 = min(vec4u(col0 + 0u) + vec4u(0u, 1u, 2u, 3u), vec4u(p.N - 1u)) * bColStride;
  let bc1 = min(vec4u(col0 + 4u) + vec4u(0u, 1u, 2u, 3u), vec4u(p.N - 1u)) * bColStride;
  var c00 = mat4x4f();
  var c01 = mat4x4f();
  for (var k = 0u; k < p.K; k++) {
    let b0 = vec4f(B[bOff + bc0.x], B[bOff + bc0.y], B[bOff + bc0.z], B[bOff + bc0.w]);
    let b1 = vec4f(B[bOff + bc1.x], B[bOff + bc1.y], B[bOff + bc1.z], B[bOff + bc1.w]);
    let a0 = quadRows(A[aOff + ar0]);
    c00 += outer(a0, b0);
    c01 += outer(a0, b1);
    aOff += aKStride;
    bOff += bKStride;
  }
  let cBase = gid.z * p.M * p.N;
  let bias0 = select(vec4f(), vec4f(bias[min(col0 + 0u, p.N - 1u)], bias[min(col0 + 1u, p.N - 1u)], bias[min(col0 + 2u, p.N - 1u)], bias[min(col0 + 3u, p.N - 1u)]), HAS_BIAS);
  let bias1 = select(vec4f(), vec4f(bias[min(col0 + 4u, p.N - 1u)], bias[min(col0 + 5u, p.N - 1u)], bias[min(col0 + 6u, p.N - 1u)], bias[min(col0 + 7u, p.N - 1u)]), HAS_BIAS);
  store(cBase, row0 + 0u, col0 + 0u, c00[0] + bias0);
  store(cBase, row0 + 0u, col0 + 4u, c01[0] + bias1);
  store(cBase, row0 + 1u, col0 + 0u, c00[1] + bias0);
  store(cBase, row0 + 1u, col0 + 4u, c01[1] + bias1);
  store(cBase, row0 + 2u, col0 + 0u, c00[2] + bias0);
  store(cBase, row0 + 2u, col0 + 4u, c01[2] + bias1);
  store(cBase, row0 + 3u, col0 + 0u, c00[3] + bias0);
  store(cBase, row0 + 3u, col0 + 4u, c01[3] + bias1);
}
fn store(cBase: u32, row: u32, col: u32, value: vec4f) {
  if (row >= p.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    if (col + j < p.N) { C[cBase + row * p.N + col + j] = value[j]; }
  }
}
