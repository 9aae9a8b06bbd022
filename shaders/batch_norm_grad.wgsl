// The VJP of shaders/batch_norm.wgsl with respect to x, over x viewed as [rows, channels]. With
// r_c = 1/√(σ²_c + ε), x̂ = (x − μ_c)·r_c and the sums dγ_c = Σ dy·x̂, dβ_c = Σ dy over the rows
// (shaders/batch_norm_grad_sums.wgsl):
//   batch statistics (μ, σ² functions of x):  dx = γ_c·r_c·(dy − dβ_c/rows − x̂·dγ_c/rows),
//   moving statistics (constants):             dx = γ_c·r_c·dy.
// Entry points `main` (a float per invocation) and `main4` (vec4s, channels a multiple of 4) as in
// shaders/batch_norm.wgsl.

const WG: u32 = 64u;
const BLOCK: u32 = 1024u;   // vec4s per workgroup of main4

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
@group(0) @binding(1) var<storage, read> x4: array<vec4f>;
@group(0) @binding(2) var<storage, read> dy4: array<vec4f>;
@group(0) @binding(3) var<storage, read> mean4: array<vec4f>;
@group(0) @binding(4) var<storage, read> variance4: array<vec4f>;
@group(0) @binding(5) var<storage, read> gamma4: array<vec4f>;
@group(0) @binding(6) var<storage, read> dGamma4: array<vec4f>;
@group(0) @binding(7) var<storage, read> dBeta4: array<vec4f>;
@group(0) @binding(8) var<storage, read_write> dx4: array<vec4f>;

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

@compute @workgroup_size(WG)
fn main4(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
         @builtin(num_workgroups) nwg: vec3u) {
  let first = (wid.x + wid.y * nwg.x) * BLOCK;
  let end = min(first + BLOCK, p.size / 4u);
  let channels4 = p.channels / 4u;
  let n = f32(p.rows);
  for (var i = first + lid; i < end; i += WG) {
    let c = i % channels4;
    let r = inverseSqrt(variance4[c] + p.epsilon);
    var g = dy4[i];
    if (p.batchStatistics != 0u) {
      g = g - dBeta4[c] / n - (x4[i] - mean4[c]) * r * (dGamma4[c] / n);
    }
    dx4[i] = gamma4[c] * r * g;
  }
}
