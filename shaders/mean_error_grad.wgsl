// The VJP of mean_error.wgsl with respect to the predictions, elementwise:
//   dp_i = (ct / n) · e'(p_i − t_i),   e'(d) = 2d (squared) or sign(d) (ABSOLUTE; 0 at d = 0)
// ct is the cotangent of the mean (a scalar buffer), so no broadcast pass is needed.

override ABSOLUTE: bool = false;
const WG: u32 = 64u;

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> pred: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<f32>;
@group(0) @binding(3) var<storage, read> ct: array<f32>;
@group(0) @binding(4) var<storage, read_write> dp: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let d = pred[i] - targets[i];
  dp[i] = (ct[0] / f32(p.n)) * select(2.0 * d, sign(d), ABSOLUTE);
}
