// SGD update (Keras 3), one invocation per four elements (vec4: three times the throughput of
// scalars on SwiftShader; pool buffers are whole 16-byte units, so the last vec4 stays inside
// the buffer and its padding lanes are never read back), in place: reads the gradient and the slot,
// writes the new weight and slot. Weight decay comes first, as in Keras's base optimizer:
//   w ← w − w·decay                  (decay = weight_decay · lr; 0 when unset)
// then
//   plain:     w ← w − lr·g
//   momentum:  m ← μ·m − lr·g,   w ← w + m
//   NESTEROV:  m ← μ·m − lr·g,   w ← w + μ·m − lr·g

override NESTEROV: bool = false;
const WG: u32 = 64u;

struct Params {
  n: u32,          // elements; the invocations cover ceil(n / 4) vec4s
  lr: f32,
  momentum: f32,
  decay: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> w: array<vec4f>;
@group(0) @binding(2) var<storage, read> g: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> m: array<vec4f>;

@compute @workgroup_size(WG)
fn plain(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= (p.n + 3u) / 4u) { return; }
  let wi = w[i] - w[i] * p.decay;
  w[i] = wi - p.lr * g[i];
}

@compute @workgroup_size(WG)
fn momentum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= (p.n + 3u) / 4u) { return; }
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
