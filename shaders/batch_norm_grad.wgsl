// The VJP of shaders/batch_norm.wgsl with respect to x; one invocation per element of x viewed as
// [rows, channels]. With r_c = 1/√(σ²_c + ε), x̂ = (x − μ_c)·r_c and the sums dγ_c = Σ dy·x̂,
// dβ_c = Σ dy over the rows (shaders/batch_norm_grad_sums.wgsl):
//   batch statistics (μ, σ² functions of x):  dx = γ_c·r_c·(dy − dβ_c/rows − x̂·dγ_c/rows),
//   moving statistics (constants):             dx = γ_c·r_c·dy.

const WG: u32 = 64u;

struct Params {
  size: u32,
  channels: u32,
  rows: u32,
  epsilon: f32,
  batchStatistics: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> variance: array<f32>;
@group(0) @binding(5) var<storage, read> gamma: array<f32>;
@group(0) @binding(6) var<storage, read> dGamma: array<f32>;
@group(0) @binding(7) var<storage, read> dBeta: array<f32>;
@group(0) @binding(8) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.size) { return; }
  let c = i % p.channels;
  let r = inverseSqrt(variance[c] + p.epsilon);
  var g = dy[i];
  if (p.batchStatistics != 0u) {
    let n = f32(p.rows);
    g = g - dBeta[c] / n - (x[i] - mean[c]) * r * (dGamma[c] / n);
  }
  dx[i] = gamma[c] * r * g;
}
