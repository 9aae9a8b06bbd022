// The VJP of shaders/layer_norm.wgsl with respect to x, per row, with x̂_j = (x_j − μ)·r,
// r = 1/√(σ² + ε) recomputed from x, and g_j = dy_j·γ_j:
//   dx_j = r · (g_j − mean_k g_k − x̂_j · mean_k g_k x̂_k),
// and dy_j·x̂_j, whose sum over rows is γ's gradient (β's is the sum of dy). One invocation per row.

const WG: u32 = 64u;

struct Params {
  rows: u32,
  len: u32,
  epsilon: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<storage, read_write> dyXhat: array<f32>;

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
  var gSum = 0.0;
  var gxSum = 0.0;
  for (var j = 0u; j < p.len; j++) {
    let g = dy[base + j] * gamma[j];
    gSum += g;
    gxSum += g * (x[base + j] - mean) * r;
  }
  let gMean = gSum / n;
  let gxMean = gxSum / n;
  for (var j = 0u; j < p.len; j++) {
    let xhat = (x[base + j] - mean) * r;
    dx[base + j] = r * (dy[base + j] * gamma[j] - gMean - xhat * gxMean);
    dyXhat[base + j] = dy[base + j] * xhat;
  }
}
