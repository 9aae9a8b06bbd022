struct Params { M: u32, N: u32, K: u32, aBatchStride: u32, bBatchStride: u32, }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
override TRANSPOSE_A: bool = false;
override TRANSPOSE_B: bool = false;
@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= p.N || gid.y >= p.M) { return; }
  var s = 0.0;
  for (var k = 0u; k < p.K; k++) {
    let a = A[gid.z * p.aBatchStride + select(gid.y * p.K + k, k * p.M + gid.y, TRANSPOSE_A)];
    let b = B[gid.z * p.bBatchStride + select(k * p.N + gid.x, gid.x * p.K + k, TRANSPOSE_B)];
    s += a * b;
  }
  C[(gid.z * p.M + gid.y) * p.N + gid.x] = s;
}
