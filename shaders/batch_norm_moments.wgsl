// Batch normalization's statistics, second pass: one invocation per channel combines the chunks'
// means m_k and squared deviations s_k (shaders/batch_norm_stats.wgsl; n_k rows each, n in all)
// into the batch mean and biased variance (Chan, Golub and LeVeque's pairwise update):
//   μ = Σ n_k·m_k / n,  σ² = (Σ s_k + Σ n_k·(m_k − μ)²) / n,
// and moves the moving statistics in place:  moving ← moving·momentum + batch·rest, rest = 1 − momentum.

const WG: u32 = 64u;

struct Params {
  rows: u32,
  channels: u32,
  chunkRows: u32,
  chunks: u32,
  momentum: f32,
  rest: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> mean: array<f32>;
@group(0) @binding(3) var<storage, read_write> variance: array<f32>;
@group(0) @binding(4) var<storage, read_write> movingMean: array<f32>;
@group(0) @binding(5) var<storage, read_write> movingVariance: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = gid.x + gid.y * nwg.x * WG;
  if (c >= p.channels) { return; }
  let n = f32(p.rows);
  var total = 0.0;
  for (var k = 0u; k < p.chunks; k++) {
    let count = f32(min(p.chunkRows, p.rows - k * p.chunkRows));
    total += count * partials[2u * k * p.channels + c];
  }
  let mu = total / n;
  var squares = 0.0;
  for (var k = 0u; k < p.chunks; k++) {
    let count = f32(min(p.chunkRows, p.rows - k * p.chunkRows));
    let d = partials[2u * k * p.channels + c] - mu;
    squares += partials[(2u * k + 1u) * p.channels + c] + count * d * d;
  }
  let sigma2 = squares / n;
  mean[c] = mu;
  variance[c] = sigma2;
  movingMean[c] = movingMean[c] * p.momentum + mu * p.rest;
  movingVariance[c] = movingVariance[c] * p.momentum + sigma2 * p.rest;
}
