// EXPERIMENT v0: loop form with arrays
struct Params {
  M: u32,
  N: u32,
  K: u32,
  aBatchStride: u32,
  bBatchStride: u32,
}

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

const MAX_ROWS = 8u;
const MAX_COL_VECS = 4u;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let row0 = gid.y * ROWS;
  let col0 = gid.x * COL_VECS * 4u;
  let aRowStride = select(p.K, 1u, TRANSPOSE_A);
  let aKStride = select(1u, p.M, TRANSPOSE_A);
  let bColStride = select(1u, p.K, TRANSPOSE_B);
  let bKStride = select(p.N, 1u, TRANSPOSE_B);
  let aBase = gid.z * p.aBatchStride;
  let bBase = gid.z * p.bBatchStride;

  var aOff: array<u32, MAX_ROWS>;
  for (var i = 0u; i < ROWS; i++) {
    aOff[i] = aBase + min(row0 + i, p.M - 1u) * aRowStride;
  }
  var bOff: array<vec4u, MAX_COL_VECS>;
  for (var v = 0u; v < COL_VECS; v++) {
    let c = min(vec4u(col0 + 4u * v) + vec4u(0u, 1u, 2u, 3u), vec4u(p.N - 1u));
    bOff[v] = vec4u(bBase) + c * bColStride;
  }
  var acc: array<array<vec4f, MAX_COL_VECS>, MAX_ROWS>;
  for (var k = 0u; k < p.K; k++) {
    var a: array<f32, MAX_ROWS>;
    for (var i = 0u; i < ROWS; i++) {
      a[i] = A[aOff[i] + k * aKStride];
    }
    for (var v = 0u; v < COL_VECS; v++) {
      let o = bOff[v] + vec4u(k * bKStride);
      let b = vec4f(B[o.x], B[o.y], B[o.z], B[o.w]);
      for (var i = 0u; i < ROWS; i++) {
        acc[i][v] = fma(vec4f(a[i]), b, acc[i][v]);
      }
    }
  }
  let cBase = gid.z * p.M * p.N;
  for (var i = 0u; i < ROWS; i++) {
    let row = row0 + i;
    if (row >= p.M) { break; }
    for (var v = 0u; v < COL_VECS; v++) {
      for (var j = 0u; j < 4u; j++) {
        let col = col0 + 4u * v + j;
        if (col < p.N) { C[cBase + row * p.N + col] = acc[i][v][j]; }
      }
    }
  }
}
