// out[i] = x[Σ_d coord_d(i) · stride_d]: a strided gather that serves transpose (permuted
// strides) and broadcastTo (stride 0 on broadcast dimensions). The output is contiguous.

const WG: u32 = 64u;

struct Params {
  n: u32,
  rank: u32,
  shape: array<vec4u, 2>,       // output shape, up to rank 8
  strides: array<vec4u, 2>,     // input stride per output dimension
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

fn dim(v: array<vec4u, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  var src = 0u;
  var rem = i;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let size = dim(p.shape, u32(d));
    src += (rem % size) * dim(p.strides, u32(d));
    rem = rem / size;
  }
  out[i] = x[src];
}
