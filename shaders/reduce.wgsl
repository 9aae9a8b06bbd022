// Reduces the middle axis of an input viewed as [outer, R, inner] to an output [outer, inner].
// OP: 0 = sum, 1 = max. Two entry points, chosen per call:
//  - main: one invocation per output walks its R elements (no barriers: best when there
//    are many outputs or R is short, and on CPU adapters where barriers are costly);
//  - wide: one workgroup per output; each lane sums a strided share of R, then a tree
//    reduction in workgroup memory (best for few outputs with long R, e.g. a full sum).
// Sums accumulate in f32 in both; the tree adds partial sums of similar size, which keeps the
// rounding error near O(log R) ulp rather than O(R).

override OP: u32 = 0u;
const WG: u32 = 64u;

struct Params {
  outer: u32,
  r: u32,
  inner: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

var<workgroup> partial: array<f32, WG>;

fn identity() -> f32 {
  if (OP == 1u) { return -3.4028234663852886e38; }
  return 0.0;
}

fn combine(acc: f32, v: f32) -> f32 {
  if (OP == 1u) { return max(acc, v); }
  return acc + v;
}

// One invocation per output.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = gid.x + gid.y * nwg.x * WG;
  if (o >= p.outer * p.inner) { return; }
  let base = (o / p.inner) * p.r * p.inner + o % p.inner;
  var acc = identity();
  for (var k = 0u; k < p.r; k++) {
    acc = combine(acc, x[base + k * p.inner]);
  }
  y[o] = acc;
}

// One workgroup per output.
@compute @workgroup_size(WG)
fn wide(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let o = wid.x + wid.y * nwg.x;          // the same for the whole workgroup
  let n_out = p.outer * p.inner;
  var acc = identity();
  if (o < n_out) {
    let base = (o / p.inner) * p.r * p.inner + o % p.inner;
    for (var k = lid; k < p.r; k += WG) {
      acc = combine(acc, x[base + k * p.inner]);
    }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { partial[lid] = combine(partial[lid], partial[lid + stride]); }
    workgroupBarrier();
  }
  if (lid == 0u && o < n_out) { y[o] = partial[0]; }
}
