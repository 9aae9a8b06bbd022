// Layer normalization over the last axis of x, viewed as `rows` rows of `len`:
//   μ = Σ_j x_j / len,  σ² = Σ_j (x_j − μ)² / len,  y_j = (x_j − μ) / √(σ² + ε) · γ_j + β_j.
// The variance is taken about the mean (two passes over the row), not as E[x²] − μ², which
// cancels badly when |μ| ≫ σ. One invocation per row, with no barriers, as the masked softmax.

const WG: u32 = 64u;

struct Params {
  rows: u32,
  len: u32,
  epsilon: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = gid.x + gid.y * nwg.x * WG;
  if (row >= p.rows) { return; }
  let base = row * p.len;
  let n = f32(p.len);
  var total = 0.0;
  for (var j = 0u; j < p.len; j++) { total += x[base + j]; }
  let mean = total / n;
  var squares = 0.0;
  for (var j = 0u; j < p.len; j++) {
    let d = x[base + j] - mean;
    squares += d * d;
  }
  let r = inverseSqrt(squares / n + p.epsilon);
  for (var j = 0u; j < p.len; j++) { y[base + j] = (x[base + j] - mean) * r * gamma[j] + beta[j]; }
}
