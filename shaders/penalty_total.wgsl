// Multi-tensor penalty, pass 2 of 2: one invocation per penalized tensor (segment) adds the
// partials of its chunks (64 per chunk, one per lane of penalty_partial) and applies its factors:
//   out[s] = l1·Σ|w| + l2·Σw².
// The partials are read two at a time into two independent sums, so that a GPU overlaps the loads.
// A zero factor drops its term entirely, as Keras does, so an infinite weight under an L2-only
// penalty gives +inf rather than 0·inf = NaN. Table layout: see penalty_partial.wgsl.

const WG: u32 = 64u;

struct Params {
  chunks: u32,
  segments: u32,
  segment_base: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<u32>;
@group(0) @binding(2) var<storage, read> partials: array<vec4f>;  // two (Σ|w|, Σw²) per vec4
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let s = gid.x + gid.y * nwg.x * WG;
  if (s >= p.segments) { return; }
  let rec = p.segment_base + 4u * s;
  var a = vec4f(0.0);
  var b = vec4f(0.0);
  let end = table[rec + 1u] * (WG / 2u);   // WG partials per chunk, two per vec4
  var i = table[rec] * (WG / 2u);
  for (; i + 1u < end; i += 2u) {
    a += partials[i];
    b += partials[i + 1u];
  }
  if (i < end) { a += partials[i]; }
  let sum = a.xy + a.zw + b.xy + b.zw;
  let l1 = bitcast<f32>(table[rec + 2u]);
  let l2 = bitcast<f32>(table[rec + 3u]);
  out[s] = select(0.0, l1 * sum.x, l1 != 0.0) + select(0.0, l2 * sum.y, l2 != 0.0);
}
