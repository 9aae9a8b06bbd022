// Gradient of the multi-tensor penalty, added into the gradients accumulated so far, in one pass
// over every packed tensor:  g += ct[s] · (l1·sign(w) + 2·l2·w)  for w in segment s,
// where ct[s] is the cotangent of that tensor's penalty. A chunk whose tensor has no gradient yet
// (has_prior = 0) writes instead of adding. sign(0) = 0, as for abs elsewhere.
// One workgroup per chunk, each lane a strided share of vec4s; no barriers. Table and the vec4
// layout: see penalty_partial.wgsl. Lanes past a tensor's end compute into the gap after it,
// which no tensor owns and which is never copied back.

const WG: u32 = 64u;

struct Params {
  chunks: u32,
  segments: u32,
  segment_base: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<u32>;
@group(0) @binding(2) var<storage, read> w: array<vec4f>;
@group(0) @binding(3) var<storage, read> ct: array<f32>;
@group(0) @binding(4) var<storage, read_write> g: array<vec4f>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let c = wid.x + wid.y * nwg.x;
  if (c >= p.chunks) { return; }
  let s = table[4u * c];
  let end = table[4u * c + 2u];
  let has_prior = table[4u * c + 3u] != 0u;
  let rec = p.segment_base + 4u * s;
  let l1 = ct[s] * bitcast<f32>(table[rec + 2u]);
  let l2x2 = 2.0 * ct[s] * bitcast<f32>(table[rec + 3u]);
  for (var j = table[4u * c + 1u] / 4u + lid; j < (end + 3u) / 4u; j += WG) {
    let v = w[j];
    let d = l1 * sign(v) + l2x2 * v;
    if (has_prior) { g[j] += d; } else { g[j] = d; }
  }
}
