// The VJP of shaders/masked_softmax.wgsl from its output alone: per row,
//   dx_j = scale · y_j (dy_j − Σ_k dy_k y_k),
// since dy_j/dz_k = y_j ([j = k] − y_k) and z = scale·x (+ mask). Entries the mask left out have
// y = 0 and get 0. LOG: y is the log softmax, whose VJP is dx_j = scale · (dy_j − e^{y_j} Σ_k dy_k),
// with e^{−∞} = 0 (float_bits.wgsl, appended). One invocation per row.

override LOG: bool = false;
const WG: u32 = 64u;

struct Params {
  rows: u32,
  len: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = gid.x + gid.y * nwg.x * WG;
  if (row >= p.rows) { return; }
  let base = row * p.len;
  if (LOG) {
    var total = 0.0;
    for (var j = 0u; j < p.len; j++) { total += dy[base + j]; }
    for (var j = 0u; j < p.len; j++) {
      let v = y[base + j];
      dx[base + j] = p.scale * (dy[base + j] - select(exp(v), 0.0, is_inf(v)) * total);
    }
    return;
  }
  var dot = 0.0;
  for (var j = 0u; j < p.len; j++) { dot += dy[base + j] * y[base + j]; }
  for (var j = 0u; j < p.len; j++) { dx[base + j] = p.scale * y[base + j] * (dy[base + j] - dot); }
}
