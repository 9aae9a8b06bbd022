// Adam and AdamW update (Keras 3) of up to 2 variables in one dispatch, in place: reads the
// gradient and both moments, writes the new weight and moments. The step-dependent bias
// correction is folded into α on the CPU, where the step count lives:
//   g ← g + l1·sign(w) + 2·l2·w         the gradient of a folded L1/L2 penalty (0, 0: none)
//   g ← clip(g)                         CLIP 1: by value, 2: by the norm scales (optimizer_sgd.wgsl)
//   w ← w − w·decay                     (decay = weight_decay · lr: AdamW's decoupled decay)
//   m ← m + (g − m)(1 − β1)
//   v ← v + (g² − v)(1 − β2)
//   w ← w − α·m / (√v + ε),             α = lr·√(1 − β2^t) / (1 − β1^t)
// Variables, slots and blocks of vec4s as in optimizer_sgd.wgsl. `main` updates 2 variables;
// `main_norm` binds the scales of clipping by norm after one variable (8 storage bindings at most).

override CLIP: u32 = 0u;   // 0: none, 1: by value, 2: by the norm scales
const WG: u32 = 64u;
const BLOCK: u32 = 1024u;   // vec4s per workgroup

struct Slot {
  end: u32,
  l1: f32,
  l2: f32,
  scale: u32, // this variable's entry in `scales` (CLIP 2)
}

struct Params {
  alpha: f32,
  beta1: f32,
  beta2: f32,
  epsilon: f32,
  decay: f32,
  clip: f32,    // clipvalue's bound (CLIP 1)
  total: u32,
  @align(16) slots: array<Slot, 2>,   // uniform arrays start on 16 bytes
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> w0: array<vec4f>;
@group(0) @binding(2) var<storage, read> g0: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> m0: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> v0: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> w1: array<vec4f>;
@group(0) @binding(6) var<storage, read> g1: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> m1: array<vec4f>;
@group(0) @binding(8) var<storage, read_write> v1: array<vec4f>;
// main_norm: (w, g, m, v) of variable 0 as in main, then the scales
@group(0) @binding(5) var<storage, read> scales: array<f32>;

fn fullGrad(w: vec4f, g: vec4f, s: u32, k: f32) -> vec4f {
  let l1 = p.slots[s].l1;
  let l2 = p.slots[s].l2;
  var full = g;
  if (l1 != 0.0) { full += l1 * sign(w); }         // uniform branches: a factor of 0 adds nothing
  if (l2 != 0.0) { full += (2.0 * l2) * w; }
  if (CLIP == 1u) { full = clamp(full, vec4f(-p.clip), vec4f(p.clip)); }
  if (CLIP == 2u) { full *= k; }
  return full;
}

struct WMV { w: vec4f, m: vec4f, v: vec4f }

fn adamStep(w: vec4f, g: vec4f, m: vec4f, v: vec4f, s: u32, k: f32) -> WMV {
  let gi = fullGrad(w, g, s, k);
  let mi = m + (gi - m) * (1.0 - p.beta1);
  let vi = v + (gi * gi - v) * (1.0 - p.beta2);
  let wi = w - w * p.decay;
  return WMV(wi - (mi * p.alpha) / (sqrt(vi) + p.epsilon), mi, vi);
}

// The indices of variable s in the block [first, end), one loop per variable (optimizer_sgd.wgsl).
fn range(s: u32, first: u32, end: u32) -> vec2u {
  let start = select(0u, p.slots[0].end, s > 0u);
  return vec2u(max(first, start), min(end, p.slots[s].end));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let first = (wid.x + wid.y * nwg.x) * BLOCK;
  let end = min(first + BLOCK, p.total);
  var r = range(0u, first, end);
  for (var i = r.x + lid; i < r.y; i += WG) {
    let u = adamStep(w0[i], g0[i], m0[i], v0[i], 0u, 1.0);
    w0[i] = u.w;
    m0[i] = u.m;
    v0[i] = u.v;
  }
  r = range(1u, first, end);
  for (var i = r.x + lid; i < r.y; i += WG) {
    let j = i - p.slots[0].end;
    let u = adamStep(w1[j], g1[j], m1[j], v1[j], 1u, 1.0);
    w1[j] = u.w;
    m1[j] = u.m;
    v1[j] = u.v;
  }
}

@compute @workgroup_size(WG)
fn main_norm(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
             @builtin(num_workgroups) nwg: vec3u) {
  let first = (wid.x + wid.y * nwg.x) * BLOCK;
  let end = min(first + BLOCK, p.total);
  let r = range(0u, first, end);
  let k = select(1.0, scales[p.slots[0].scale], CLIP == 2u);
  for (var i = r.x + lid; i < r.y; i += WG) {
    let u = adamStep(w0[i], g0[i], m0[i], v0[i], 0u, k);
    w0[i] = u.w;
    m0[i] = u.m;
    v0[i] = u.v;
  }
}
