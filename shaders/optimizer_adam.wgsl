// Adam and AdamW update (Keras 3), in place: reads the gradient and
// both moments, writes the new weight and moments. The step-dependent bias correction is folded
// into α on the CPU, where the step count lives:
//   w ← w − w·decay                     (decay = weight_decay · lr: AdamW's decoupled decay)
//   m ← m + (g − m)(1 − β1)
//   v ← v + (g² − v)(1 − β2)
//   w ← w − α·m / (√v + ε),             α = lr·√(1 − β2^t) / (1 − β1^t)
// Four elements at a time, a block of vec4s per workgroup, as in optimizer_sgd.wgsl.

const WG: u32 = 64u;
const BLOCK: u32 = 1024u;   // vec4s per workgroup

struct Params {
  n: u32,
  alpha: f32,
  beta1: f32,
  beta2: f32,
  epsilon: f32,
  decay: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> w: array<vec4f>;
@group(0) @binding(2) var<storage, read> g: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> m: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> v: array<vec4f>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let first = (wid.x + wid.y * nwg.x) * BLOCK;
  let end = min(first + BLOCK, (p.n + 3u) / 4u);
  for (var i = first + lid; i < end; i += WG) {
    let gi = g[i];
    let mi = m[i] + (gi - m[i]) * (1.0 - p.beta1);
    let vi = v[i] + (gi * gi - v[i]) * (1.0 - p.beta2);
    m[i] = mi;
    v[i] = vi;
    let wi = w[i] - w[i] * p.decay;
    w[i] = wi - (mi * p.alpha) / (sqrt(vi) + p.epsilon);
  }
}
