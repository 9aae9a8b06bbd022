// out[i] = x[Σ_d coord_d(i) · stride_d]: a strided gather that serves transpose (permuted
// strides) and broadcastTo (stride 0 on broadcast dimensions). The output is contiguous.
// Two entry points: `main`, a float per invocation, for any strides; `main4`, for rank ≤ 4 (the
// shape padded with leading 1s) where the last output dimension is contiguous in x (stride 1)
// with a length and every other stride a multiple of 4 (attention's [batch, sequence, heads,
// size] ↔ [batch, heads, sequence, size]): it moves a vec4 per step, a block of BLOCK vec4s per
// workgroup, with the index arithmetic written out for four dimensions (SwiftShader runs a loop
// that indexes the uniform arrays several times slower).

const WG: u32 = 64u;
const BLOCK: u32 = 1024u;   // vec4s per workgroup of main4

struct Params {
  n: u32,
  rank: u32,
  shape: array<vec4u, 2>,       // output shape, up to rank 8
  strides: array<vec4u, 2>,     // input stride per output dimension
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> x4: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> out4: array<vec4f>;

fn dim(v: array<vec4u, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}

// The index in x of output element i.
fn source(i: u32) -> u32 {
  var src = 0u;
  var rem = i;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let size = dim(p.shape, u32(d));
    src += (rem % size) * dim(p.strides, u32(d));
    rem = rem / size;
  }
  return src;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  out[i] = x[source(i)];
}

@compute @workgroup_size(WG)
fn main4(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
         @builtin(num_workgroups) nwg: vec3u) {
  let first = (wid.x + wid.y * nwg.x) * BLOCK;
  let end = min(first + BLOCK, p.n / 4u);
  let shape = p.shape[0];
  let strides = p.strides[0];
  for (var i = first + lid; i < end; i += WG) {
    // Element 4i's coordinates (c0, c1, c2, c3); c3 is a multiple of 4 and contiguous in x.
    let e = 4u * i;
    let c3 = e % shape.w;
    let r2 = e / shape.w;
    let c2 = r2 % shape.z;
    let r1 = r2 / shape.z;
    let c1 = r1 % shape.y;
    let c0 = r1 / shape.y;
    out4[i] = x4[(c0 * strides.x + c1 * strides.y + c2 * strides.z + c3) / 4u];
  }
}
