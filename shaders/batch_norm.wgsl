// Batch normalization over the last axis of x, viewed as [rows, channels]; one invocation per element:
//   y = (x − μ_c)·(γ_c/√(σ²_c + ε)) + β_c,
// with μ and σ² the batch's statistics in training (shaders/batch_norm_moments.wgsl) and the
// moving ones in inference.

const WG: u32 = 64u;

struct Params {
  size: u32,
  channels: u32,
  epsilon: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> variance: array<f32>;
@group(0) @binding(4) var<storage, read> gamma: array<f32>;
@group(0) @binding(5) var<storage, read> beta: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.size) { return; }
  let c = i % p.channels;
  y[i] = (x[i] - mean[c]) * (inverseSqrt(variance[c] + p.epsilon) * gamma[c]) + beta[c];
}
