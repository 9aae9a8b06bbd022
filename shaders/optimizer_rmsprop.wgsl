// RMSprop update (Keras 3, uncentered), in place: reads the
// gradient and the slots, writes the new weight and slots.
//   w ← w − w·decay                     (decay = weight_decay · lr; 0 when unset)
//   s ← ρ·s + (1 − ρ)·g²
//   Δ = lr·g / √(s + ε)
//   plain:     w ← w − Δ
//   momentum:  b ← μ·b + Δ,   w ← w − b
// Four elements at a time, a block of vec4s per workgroup, as in optimizer_sgd.wgsl.

const WG: u32 = 64u;
const BLOCK: u32 = 1024u;   // vec4s per workgroup

struct Params {
  n: u32,
  lr: f32,
  rho: f32,
  momentum: f32,
  epsilon: f32,
  decay: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> w: array<vec4f>;
@group(0) @binding(2) var<storage, read> g: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> s: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> b: array<vec4f>;

fn increment(i: u32) -> vec4f {
  let gi = g[i];
  let si = p.rho * s[i] + (1.0 - p.rho) * gi * gi;
  s[i] = si;
  return p.lr * gi / sqrt(si + p.epsilon);
}

@compute @workgroup_size(WG)
fn plain(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let first = (wid.x + wid.y * nwg.x) * BLOCK;
  let end = min(first + BLOCK, (p.n + 3u) / 4u);
  for (var i = first + lid; i < end; i += WG) {
    let wi = w[i] - w[i] * p.decay;
    w[i] = wi - increment(i);
  }
}

@compute @workgroup_size(WG)
fn momentum(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let first = (wid.x + wid.y * nwg.x) * BLOCK;
  let end = min(first + BLOCK, (p.n + 3u) / 4u);
  for (var i = first + lid; i < end; i += WG) {
    let wi = w[i] - w[i] * p.decay;
    let bi = p.momentum * b[i] + increment(i);
    b[i] = bi;
    w[i] = wi - bi;
  }
}
