// Reduces the middle axis of an input viewed as [outer, R, inner] to an output [outer, inner].
// OP: 0 = sum, 1 = max. Two entry points, chosen per call:
//  - main: one invocation per output walks its R elements (no barriers: best when there
//    are many outputs or R is short, and on CPU adapters where barriers are costly);
//  - wide: one workgroup per output; each lane sums a strided share of R, then a tree
//    reduction in workgroup memory (best for few outputs with long R, e.g. a full sum).
// Sums accumulate in f32 in both; the tree adds partial sums of similar size, which keeps the
// rounding error near O(log R) ulp rather than O(R). Max starts from −∞ and gives NaN when any
// element is NaN, as TensorFlow.js does (max_or_nan and infinity are in float_bits.wgsl,
// appended to this file).

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
  if (OP == 1u) { return infinity(true); }
  return 0.0;
}

fn combine(acc: f32, v: f32) -> f32 {
  if (OP == 1u) { return max_or_nan(acc, v); }
  return acc + v;
}

// The reduction of elements first, first + step, ... (< R) of the column at `base`. Max keeps
// the largest magnitude bits seen on the side, cheaper than a NaN test per element: bits above
// those of ∞ mean a NaN was among them.
fn reduce_column(base: u32, first: u32, step: u32) -> f32 {
  var acc = identity();
  var widest = 0u;
  for (var k = first; k < p.r; k += step) {
    let v = x[base + k * p.inner];
    if (OP == 1u) {
      acc = max(acc, v);
      widest = max(widest, bitcast<u32>(v) & 0x7fffffffu);
    } else {
      acc += v;
    }
  }
  return select(acc, nan(), widest > 0x7f800000u);
}

// One invocation per output.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = gid.x + gid.y * nwg.x * WG;
  if (o >= p.outer * p.inner) { return; }
  y[o] = reduce_column((o / p.inner) * p.r * p.inner + o % p.inner, 0u, 1u);
}

// One workgroup per output.
@compute @workgroup_size(WG)
fn wide(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let o = wid.x + wid.y * nwg.x;          // the same for the whole workgroup
  let n_out = p.outer * p.inner;
  var acc = identity();
  if (o < n_out) { acc = reduce_column((o / p.inner) * p.r * p.inner + o % p.inner, lid, WG); }
  partial[lid] = acc;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { partial[lid] = combine(partial[lid], partial[lid + stride]); }
    workgroupBarrier();
  }
  if (lid == 0u && o < n_out) { y[o] = partial[0]; }
}
