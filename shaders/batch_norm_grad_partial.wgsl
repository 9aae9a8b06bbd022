// The parameter gradients of shaders/batch_norm.wgsl, first pass, over x and dy viewed as
// [rows, channels] and cut into chunks as in shaders/batch_norm_stats.wgsl. With
// x̂ = (x − μ_c)·r_c, r_c = 1/√(σ²_c + ε), one invocation per (chunk k, channel c) writes
//   partials[k, 0, c] = Σ dy·x̂  (γ's gradient, over the chunk's rows),
//   partials[k, 1, c] = Σ dy    (β's gradient).

const WG: u32 = 64u;

struct Params {
  rows: u32,
  channels: u32,
  chunkRows: u32,
  chunks: u32,
  epsilon: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> variance: array<f32>;
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.chunks * p.channels) { return; }
  let k = i / p.channels;
  let c = i % p.channels;
  let mu = mean[c];
  let r = inverseSqrt(variance[c] + p.epsilon);
  let first = k * p.chunkRows;
  let last = min(first + p.chunkRows, p.rows);
  var dyXhat = 0.0;
  var dySum = 0.0;
  for (var row = first; row < last; row++) {
    let j = row * p.channels + c;
    dyXhat += dy[j] * ((x[j] - mu) * r);
    dySum += dy[j];
  }
  partials[2u * k * p.channels + c] = dyXhat;
  partials[(2u * k + 1u) * p.channels + c] = dySum;
}
