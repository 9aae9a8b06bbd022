// RMSprop update (Keras 3, uncentered) of up to 2 variables in one dispatch, in place: reads the
// gradient and the slots, writes the new weight and slots.
//   g ← g + l1·sign(w) + 2·l2·w         the gradient of a folded L1/L2 penalty (0, 0: none)
//   g ← clip(g)                         CLIP 1: by value, 2: by the norm scales (optimizer_sgd.wgsl)
//   w ← w − w·decay                     (decay = weight_decay · lr; 0 when unset)
//   s ← ρ·s + (1 − ρ)·g²
//   Δ = lr·g / √(s + ε)
//   plain:     w ← w − Δ
//   momentum:  b ← μ·b + Δ,   w ← w − b
// Variables, slots and blocks of vec4s as in optimizer_sgd.wgsl. `plain` binds (w, g, s) per
// variable and `momentum` (w, g, s, b); the momentum buffer b is bound only there. Clipping by
// norm binds the scales after the variables: `plain` has room for them, `momentum_norm` is
// `momentum` for one variable (8 storage bindings at most).

override CLIP: u32 = 0u;   // 0: none, 1: by value, 2: by the norm scales
const WG: u32 = 64u;
const BLOCK: u32 = 1024u;   // vec4s per workgroup

struct Slot {
  end: u32,
  l1: f32,
  l2: f32,
  scale: u32, // this variable's entry in the scales (CLIP 2)
}

struct Params {
  lr: f32,
  rho: f32,
  momentum: f32,
  epsilon: f32,
  decay: f32,
  clip: f32,    // clipvalue's bound (CLIP 1)
  total: u32,
  @align(16) slots: array<Slot, 2>,   // uniform arrays start on 16 bytes
}

@group(0) @binding(0) var<uniform> p: Params;
// plain: (w, g, s) for variables 0..1
@group(0) @binding(1) var<storage, read_write> w0: array<vec4f>;
@group(0) @binding(2) var<storage, read> g0: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> s0: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> w1: array<vec4f>;
@group(0) @binding(5) var<storage, read> g1: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> s1: array<vec4f>;
@group(0) @binding(7) var<storage, read> scales: array<f32>;
// momentum: (w, g, s, b) for variables 0..1
@group(0) @binding(1) var<storage, read_write> mw0: array<vec4f>;
@group(0) @binding(2) var<storage, read> mg0: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> ms0: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> mb0: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> mw1: array<vec4f>;
@group(0) @binding(6) var<storage, read> mg1: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> ms1: array<vec4f>;
@group(0) @binding(8) var<storage, read_write> mb1: array<vec4f>;
// momentum_norm: (w, g, s, b) of variable 0 as in momentum, then the scales
@group(0) @binding(5) var<storage, read> mscales: array<f32>;

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

// The new mean square and the increment Δ.
struct SD { s: vec4f, d: vec4f }

fn increment(w: vec4f, g: vec4f, s: vec4f, slot: u32, k: f32) -> SD {
  let gi = fullGrad(w, g, slot, k);
  let si = p.rho * s + (1.0 - p.rho) * gi * gi;
  return SD(si, p.lr * gi / sqrt(si + p.epsilon));
}

// The indices of variable s in the block [first, end), one loop per variable (optimizer_sgd.wgsl).
fn range(s: u32, first: u32, end: u32) -> vec2u {
  let start = select(0u, p.slots[0].end, s > 0u);
  return vec2u(max(first, start), min(end, p.slots[s].end));
}

@compute @workgroup_size(WG)
fn plain(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
         @builtin(num_workgroups) nwg: vec3u) {
  let first = (wid.x + wid.y * nwg.x) * BLOCK;
  let end = min(first + BLOCK, p.total);
  var r = range(0u, first, end);
  var k = select(1.0, scales[p.slots[0].scale], CLIP == 2u);
  for (var i = r.x + lid; i < r.y; i += WG) {
    let u = increment(w0[i], g0[i], s0[i], 0u, k);
    s0[i] = u.s;
    w0[i] = w0[i] - w0[i] * p.decay - u.d;
  }
  r = range(1u, first, end);
  k = select(1.0, scales[p.slots[1].scale], CLIP == 2u);
  for (var i = r.x + lid; i < r.y; i += WG) {
    let j = i - p.slots[0].end;
    let u = increment(w1[j], g1[j], s1[j], 1u, k);
    s1[j] = u.s;
    w1[j] = w1[j] - w1[j] * p.decay - u.d;
  }
}

@compute @workgroup_size(WG)
fn momentum(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
            @builtin(num_workgroups) nwg: vec3u) {
  let first = (wid.x + wid.y * nwg.x) * BLOCK;
  let end = min(first + BLOCK, p.total);
  var r = range(0u, first, end);
  for (var i = r.x + lid; i < r.y; i += WG) {
    let u = increment(mw0[i], mg0[i], ms0[i], 0u, 1.0);
    ms0[i] = u.s;
    let b = p.momentum * mb0[i] + u.d;
    mb0[i] = b;
    mw0[i] = mw0[i] - mw0[i] * p.decay - b;
  }
  r = range(1u, first, end);
  for (var i = r.x + lid; i < r.y; i += WG) {
    let j = i - p.slots[0].end;
    let u = increment(mw1[j], mg1[j], ms1[j], 1u, 1.0);
    ms1[j] = u.s;
    let b = p.momentum * mb1[j] + u.d;
    mb1[j] = b;
    mw1[j] = mw1[j] - mw1[j] * p.decay - b;
  }
}

@compute @workgroup_size(WG)
fn momentum_norm(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
                 @builtin(num_workgroups) nwg: vec3u) {
  let first = (wid.x + wid.y * nwg.x) * BLOCK;
  let end = min(first + BLOCK, p.total);
  let r = range(0u, first, end);
  let k = select(1.0, mscales[p.slots[0].scale], CLIP == 2u);
  for (var i = r.x + lid; i < r.y; i += WG) {
    let u = increment(mw0[i], mg0[i], ms0[i], 0u, k);
    ms0[i] = u.s;
    let b = p.momentum * mb0[i] + u.d;
    mb0[i] = b;
    mw0[i] = mw0[i] - mw0[i] * p.decay - b;
  }
}
