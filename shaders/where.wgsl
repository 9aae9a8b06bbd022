// out = cond ≠ 0 ? a : b, elementwise with NumPy broadcasting: each operand is read through
// strides that are 0 on its broadcast dimensions. The unchosen operand never reaches the output,
// so a NaN or infinity there does no harm (its gradient is 0 too, see src/ops/where.ts).
// A condition is true unless ±0, NaN included (as casting it to bool does in TensorFlow.js): a
// test of its bits, since a compiler that assumes finite math may make NaN ≠ 0 false.

const WG: u32 = 64u;

struct Params {
  n: u32,
  rank: u32,
  shape: array<vec4u, 2>,       // output shape, up to rank 8
  c_strides: array<vec4u, 2>,
  a_strides: array<vec4u, 2>,
  b_strides: array<vec4u, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> cond: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

fn dim(v: array<vec4u, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  var ic = 0u;
  var ia = 0u;
  var ib = 0u;
  var rem = i;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let size = dim(p.shape, u32(d));
    let c = rem % size;
    rem = rem / size;
    ic += c * dim(p.c_strides, u32(d));
    ia += c * dim(p.a_strides, u32(d));
    ib += c * dim(p.b_strides, u32(d));
  }
  out[i] = select(b[ib], a[ia], (bitcast<u32>(cond[ic]) & 0x7fffffffu) != 0u);
}
