// The index of the largest value along one axis: x viewed as [outer, r, inner], out[o, i] is the
// first k at which x[o, k, i] is largest (ties go to the smallest index, as in TensorFlow). The
// walk starts from k = 0 and moves only on a strictly larger value, so a NaN is never chosen
// unless it comes first (TensorFlow.js's CPU kernel does the same). One invocation per output.

alias Element = f32;
const WG: u32 = 64u;

struct Params {
  outer: u32,
  r: u32,
  inner: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<Element>;
@group(0) @binding(2) var<storage, read_write> out: array<i32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = gid.x + gid.y * nwg.x * WG;
  if (o >= p.outer * p.inner) { return; }
  let base = (o / p.inner) * p.r * p.inner + o % p.inner;
  var best = x[base];
  var at = 0u;
  for (var k = 1u; k < p.r; k++) {
    let v = x[base + k * p.inner];
    if (v > best) {
      best = v;
      at = k;
    }
  }
  out[o] = i32(at);
}
