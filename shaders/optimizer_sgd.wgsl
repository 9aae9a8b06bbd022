// SGD update (Keras 3) of up to 4 variables in one dispatch (2 with momentum), in place: reads
// each gradient and slot, writes the new weight and slot. Per variable, with g its gradient:
//   g ← g + l1·sign(w) + 2·l2·w      the gradient of a folded L1/L2 penalty (l1 = l2 = 0: none;
//                                    a zero factor adds nothing, as Keras drops a zero term)
//   g ← clip(g)                      CLIP 1: clamp(g, −clip, clip) (Keras's clipvalue); CLIP 2:
//                                    g · scales[scale] (clipnorm, globalClipnorm: the scale
//                                    c / max(‖g‖, c) from optimizer_norm.wgsl). Keras clips the
//                                    gradient of the whole loss, so the penalty's term is inside.
//   w ← w − w·decay                  (decay = weight_decay · lr; 0 when unset; Keras's base
//                                    optimizer decays first)
// then
//   plain:     w ← w − lr·g
//   momentum:  m ← μ·m − lr·g,   w ← w + m
//   NESTEROV:  m ← μ·m − lr·g,   w ← w + μ·m − lr·g
//
// Layout. The variables' vec4s are numbered one after the other: variable s owns indices
// [slots[s-1].end, slots[s].end), each variable starting on a vec4 (pool buffers are whole 16-byte
// units; the padding lanes of a last vec4 are never read back). A dispatch binds every slot; an
// unused one gets a placeholder buffer and an empty range. Each workgroup takes a block of BLOCK
// vec4s, its 64 lanes striding through it: a workgroup has a fixed cost on SwiftShader, and a
// block of 16 vec4s per lane pays it 16 times less often than one per invocation (relu over 200k
// floats: 4.5 ms a float per invocation, 2.7 ms a vec4, 1.9 ms in blocks; Node, 2 cores).
// Clipping by norm binds the scales after the variables: 9 storage bindings exceed the 8 a
// shader stage may have, so `plain_norm` updates 3 variables, not 4; `momentum` has room.

override NESTEROV: bool = false;
override CLIP: u32 = 0u;   // 0: none, 1: by value, 2: by the norm scales
const WG: u32 = 64u;
const BLOCK: u32 = 1024u;   // vec4s per workgroup

struct Slot {
  end: u32,   // one past this variable's last vec4, in the running numbering
  l1: f32,    // factors of a penalty folded into the gradient
  l2: f32,
  scale: u32, // this variable's entry in `scales` (CLIP 2)
}

struct Params {
  lr: f32,
  momentum: f32,
  decay: f32,
  clip: f32,    // clipvalue's bound (CLIP 1)
  total: u32,   // vec4s of all the variables
  @align(16) slots: array<Slot, 4>,   // uniform arrays start on 16 bytes
}

@group(0) @binding(0) var<uniform> p: Params;
// plain: (w, g) for variables 0..3
@group(0) @binding(1) var<storage, read_write> w0: array<vec4f>;
@group(0) @binding(2) var<storage, read> g0: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> w1: array<vec4f>;
@group(0) @binding(4) var<storage, read> g1: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> w2: array<vec4f>;
@group(0) @binding(6) var<storage, read> g2: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> w3: array<vec4f>;
@group(0) @binding(8) var<storage, read> g3: array<vec4f>;
// plain_norm: (w, g) for variables 0..2 as in plain, then the scales
@group(0) @binding(7) var<storage, read> scales: array<f32>;
// momentum: (w, g, m) for variables 0..1, then the scales at binding 7
@group(0) @binding(1) var<storage, read_write> mw0: array<vec4f>;
@group(0) @binding(2) var<storage, read> mg0: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> mm0: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> mw1: array<vec4f>;
@group(0) @binding(5) var<storage, read> mg1: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> mm1: array<vec4f>;

// The gradient of variable s plus that of its folded penalty, at the weight before decay, clipped;
// k is the variable's norm scale (CLIP 2).
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

// The norm scale of variable s; 1 unless clipping by norm.
fn scaleOf(s: u32) -> f32 {
  if (CLIP == 2u) { return scales[p.slots[s].scale]; }
  return 1.0;
}

fn plainStep(w: vec4f, g: vec4f, s: u32, k: f32) -> vec4f {
  return w - w * p.decay - p.lr * fullGrad(w, g, s, k);
}

struct WM { w: vec4f, m: vec4f }

fn momentumStep(w: vec4f, g: vec4f, m: vec4f, s: u32, k: f32) -> WM {
  let step = -p.lr * fullGrad(w, g, s, k);
  let mi = p.momentum * m + step;
  let wi = w - w * p.decay;
  if (NESTEROV) {
    return WM(wi + p.momentum * mi + step, mi);
  }
  return WM(wi + mi, mi);
}

// The indices of variable s that fall in this workgroup's block [first, end): [lo, hi).
fn range(s: u32, first: u32, end: u32) -> vec2u {
  let start = select(0u, p.slots[max(s, 1u) - 1u].end, s > 0u);
  return vec2u(max(first, start), min(end, p.slots[s].end));
}

// One loop per variable, not one branch per vec4: SwiftShader runs the branches of a divergent
// if/else for every lane, so choosing the variable per element made an update 4× slower.
@compute @workgroup_size(WG)
fn plain(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
         @builtin(num_workgroups) nwg: vec3u) {
  let first = (wid.x + wid.y * nwg.x) * BLOCK;
  let end = min(first + BLOCK, p.total);
  var r = range(0u, first, end);
  for (var i = r.x + lid; i < r.y; i += WG) {
    w0[i] = plainStep(w0[i], g0[i], 0u, 1.0);
  }
  r = range(1u, first, end);
  for (var i = r.x + lid; i < r.y; i += WG) {
    let j = i - p.slots[0].end;
    w1[j] = plainStep(w1[j], g1[j], 1u, 1.0);
  }
  r = range(2u, first, end);
  for (var i = r.x + lid; i < r.y; i += WG) {
    let j = i - p.slots[1].end;
    w2[j] = plainStep(w2[j], g2[j], 2u, 1.0);
  }
  r = range(3u, first, end);
  for (var i = r.x + lid; i < r.y; i += WG) {
    let j = i - p.slots[2].end;
    w3[j] = plainStep(w3[j], g3[j], 3u, 1.0);
  }
}

@compute @workgroup_size(WG)
fn plain_norm(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
              @builtin(num_workgroups) nwg: vec3u) {
  let first = (wid.x + wid.y * nwg.x) * BLOCK;
  let end = min(first + BLOCK, p.total);
  var r = range(0u, first, end);
  var k = scaleOf(0u);
  for (var i = r.x + lid; i < r.y; i += WG) {
    w0[i] = plainStep(w0[i], g0[i], 0u, k);
  }
  r = range(1u, first, end);
  k = scaleOf(1u);
  for (var i = r.x + lid; i < r.y; i += WG) {
    let j = i - p.slots[0].end;
    w1[j] = plainStep(w1[j], g1[j], 1u, k);
  }
  r = range(2u, first, end);
  k = scaleOf(2u);
  for (var i = r.x + lid; i < r.y; i += WG) {
    let j = i - p.slots[1].end;
    w2[j] = plainStep(w2[j], g2[j], 2u, k);
  }
}

@compute @workgroup_size(WG)
fn momentum(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
            @builtin(num_workgroups) nwg: vec3u) {
  let first = (wid.x + wid.y * nwg.x) * BLOCK;
  let end = min(first + BLOCK, p.total);
  var r = range(0u, first, end);
  var k = scaleOf(0u);
  for (var i = r.x + lid; i < r.y; i += WG) {
    let u = momentumStep(mw0[i], mg0[i], mm0[i], 0u, k);
    mw0[i] = u.w;
    mm0[i] = u.m;
  }
  r = range(1u, first, end);
  k = scaleOf(1u);
  for (var i = r.x + lid; i < r.y; i += WG) {
    let j = i - p.slots[0].end;
    let u = momentumStep(mw1[j], mg1[j], mm1[j], 1u, k);
    mw1[j] = u.w;
    mm1[j] = u.m;
  }
}
