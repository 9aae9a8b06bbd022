// SGD update (Keras 3), one invocation per element, in place: reads the gradient and the slot,
// writes the new weight and slot. Weight decay comes first, as in Keras's base optimizer:
//   w ← w − w·decay                  (decay = weight_decay · lr; 0 when unset)
// then
//   plain:     w ← w − lr·g
//   momentum:  m ← μ·m − lr·g,   w ← w + m
//   NESTEROV:  m ← μ·m − lr·g,   w ← w + μ·m − lr·g

override NESTEROV: bool = false;
const WG: u32 = 64u;

struct Params {
  n: u32,
  lr: f32,
  momentum: f32,
  decay: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;

@compute @workgroup_size(WG)
fn plain(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let wi = w[i] - w[i] * p.decay;
  w[i] = wi - p.lr * g[i];
}

@compute @workgroup_size(WG)
fn momentum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let wi = w[i] - w[i] * p.decay;
  let step = -p.lr * g[i];
  let mi = p.momentum * m[i] + step;
  m[i] = mi;
  if (NESTEROV) {
    w[i] = wi + p.momentum * mi + step;
  } else {
    w[i] = wi + mi;
  }
}
