// Gradient clipping by norm (Keras 3's clipnorm and global_clipnorm), ahead of the fused update:
// two passes leave one scale per variable (clipnorm) or one for all (global) in a small buffer,
// which the update kernel reads and multiplies the gradient by in its own dispatch, so nothing
// is read back. Per element of variable s, the gradient the update uses is
//   full = g + l1·sign(w) + 2·l2·w        (its folded penalty, exactly as optimizer_sgd.wgsl adds it)
// and
//   partial: each lane of the workgroup of a chunk (BLOCK vec4s of one variable) sums full² over
//            a strided share of it into partials[64·chunk + lane]; up to 3 variables a dispatch;
//   scale:   one workgroup per segment (a variable, or every variable for the global norm) adds
//            the partials of its chunks [table[k], table[k+1]):  n = √Σfull²,
//            scales[k] = c / max(n, c),   plus (n − n) for the global norm, which Keras makes NaN
//            when the norm is not finite.
// So clipnorm gives g·c / max(‖g‖, c) per variable and globalClipnorm scales every gradient by
// c / max(‖(g₁, g₂, ...)‖, c). Chunks never straddle variables; lanes past a variable's last
// float (the padding of its last vec4, which holds anything) are masked out with select.

override GLOBAL: bool = false;
const WG: u32 = 64u;
const BLOCK: u32 = 1024u;   // vec4s per chunk

struct NormSlot {
  end: u32,    // one past this variable's last chunk, counted from the dispatch's first
  size: u32,   // floats of the variable
  l1: f32,     // factors of its folded penalty
  l2: f32,
}

struct Params {
  base: u32,       // partial: the dispatch's first chunk in `partials`
  chunks: u32,     // partial: chunks in this dispatch
  segments: u32,   // scale: entries of `scales`
  clip: f32,       // scale: clipnorm or globalClipnorm
  slots: array<NormSlot, 3>,
}

@group(0) @binding(0) var<uniform> p: Params;
// partial: (w, g) for variables 0..2, then the partial sums
@group(0) @binding(1) var<storage, read> w0: array<vec4f>;
@group(0) @binding(2) var<storage, read> g0: array<vec4f>;
@group(0) @binding(3) var<storage, read> w1: array<vec4f>;
@group(0) @binding(4) var<storage, read> g1: array<vec4f>;
@group(0) @binding(5) var<storage, read> w2: array<vec4f>;
@group(0) @binding(6) var<storage, read> g2: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> partials: array<f32>;
// scale: the segments' first chunks (and one past the last), the partial sums, the scales
@group(0) @binding(1) var<storage, read> table: array<u32>;
@group(0) @binding(2) var<storage, read> sums: array<f32>;
@group(0) @binding(3) var<storage, read_write> scales: array<f32>;

var<workgroup> lane_sums: array<f32, WG>;
var<workgroup> bounds: vec2u;

// full² of vec4 j of variable s, zero past its last float.
fn squares(w: vec4f, g: vec4f, j: u32, s: u32) -> vec4f {
  let l1 = p.slots[s].l1;
  let l2 = p.slots[s].l2;
  var full = g;
  if (l1 != 0.0) { full += l1 * sign(w); }
  if (l2 != 0.0) { full += (2.0 * l2) * w; }
  let inside = vec4u(4u * j) + vec4u(0u, 1u, 2u, 3u) < vec4u(p.slots[s].size);
  return select(vec4f(0.0), full * full, inside);
}

@compute @workgroup_size(WG)
fn partial(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
           @builtin(num_workgroups) nwg: vec3u) {
  let c = wid.x + wid.y * nwg.x;
  if (c >= p.chunks) { return; }
  // The variable of chunk c (the same for the whole workgroup) and the vec4s the chunk covers.
  let s = select(select(2u, 1u, c < p.slots[1].end), 0u, c < p.slots[0].end);
  let start = select(0u, p.slots[max(s, 1u) - 1u].end, s > 0u);
  let lo = (c - start) * BLOCK;
  let hi = min(lo + BLOCK, (p.slots[s].size + 3u) / 4u);
  var acc = vec4f(0.0);
  if (s == 0u) {
    for (var j = lo + lid; j < hi; j += WG) { acc += squares(w0[j], g0[j], j, 0u); }
  } else if (s == 1u) {
    for (var j = lo + lid; j < hi; j += WG) { acc += squares(w1[j], g1[j], j, 1u); }
  } else {
    for (var j = lo + lid; j < hi; j += WG) { acc += squares(w2[j], g2[j], j, 2u); }
  }
  partials[(p.base + c) * WG + lid] = acc.x + acc.y + acc.z + acc.w;
}

@compute @workgroup_size(WG)
fn scale(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
         @builtin(num_workgroups) nwg: vec3u) {
  let k = wid.x + wid.y * nwg.x;
  if (k >= p.segments) { return; }
  // The bounds through workgroup memory, so that the loop below is uniform and may precede a barrier.
  if (lid == 0u) { bounds = vec2u(table[k], table[k + 1u]); }
  let b = workgroupUniformLoad(&bounds);
  var acc = 0.0;
  for (var c = b.x; c < b.y; c++) { acc += sums[c * WG + lid]; }
  lane_sums[lid] = acc;
  workgroupBarrier();
  if (lid == 0u) {
    var total = 0.0;
    for (var i = 0u; i < WG; i++) { total += lane_sums[i]; }
    let n = sqrt(total);
    var factor = p.clip / max(n, p.clip);
    if (GLOBAL) { factor += n - n; }
    scales[k] = factor;
  }
}
