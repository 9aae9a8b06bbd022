// Multi-tensor penalty, pass 1 of 2: per-lane partial sums of |w| and w².
// Every penalized tensor is packed, by copies, into one buffer `w`, and cut into chunks that never
// straddle two tensors. Workgroup c takes chunk c; each lane sums a strided share of it and writes
// its own partial, partials[64c + lane]. There is no tree in workgroup memory: on SwiftShader a
// barrier is a coroutine switch per lane, and the six of a 64-lane tree made this pass 4× slower
// (4.8 vs 1.6 ms over 200k weights). penalty_total.wgsl adds the partials of each tensor and
// applies its factors.
//
// The table (shared with penalty_total.wgsl and penalty_grad.wgsl) is an array of u32:
//   chunk c:   table[4c .. 4c+3]              = segment, start, end, has_prior
//   segment s: table[p.segment_base + 4s ..]  = first chunk, end chunk, bits(l1), bits(l2)
// `start` and `end` index the packed buffer; this pass reads only start and end. Tensors start
// on 4-float boundaries (so does every chunk), and lanes read a vec4 at a time: three times the
// throughput of scalars on SwiftShader. Lanes past `end` (the gap before the next tensor, which
// holds anything) are masked out with select, which takes no arithmetic from the masked value.

const WG: u32 = 64u;

struct Params {
  chunks: u32,
  segments: u32,
  segment_base: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<u32>;
@group(0) @binding(2) var<storage, read> w: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> partials: array<vec2f>;  // (Σ|w|, Σw²) per lane

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let c = wid.x + wid.y * nwg.x;
  if (c >= p.chunks) { return; }
  var s = vec2f(0.0);
  let end = table[4u * c + 2u];
  for (var j = table[4u * c + 1u] / 4u + lid; j < (end + 3u) / 4u; j += WG) {
    let v = w[j];
    let inside = vec4u(4u * j) + vec4u(0u, 1u, 2u, 3u) < vec4u(end);
    let a = select(vec4f(0.0), abs(v), inside);
    let q = select(vec4f(0.0), v * v, inside);
    s += vec2f(a.x + a.y + a.z + a.w, q.x + q.y + q.z + q.w);
  }
  partials[c * WG + lid] = s;
}
