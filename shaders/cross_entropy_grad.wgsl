// The VJP of cross_entropy.wgsl with respect to the logits, one invocation per row:
//   dx_rc = (ct / rows) · (softmax_rc · Σ_c t_rc − t_rc),   softmax_rc = exp(x_rc − lse_r)
// SPARSE: t is one-hot at the row's class index, so Σ_c t_rc = 1. A label that is no class
// index (outside [0, C), fractional or NaN) makes the row's gradient NaN, as its loss is: an
// update from it cannot come out finite.
// ct is the cotangent of the mean loss (a scalar buffer), so no broadcast pass is needed.
// A row whose maximum is not finite gets NaN, as its loss does (float_bits.wgsl is appended).

override SPARSE: bool = false;
const WG: u32 = 64u;

struct Params {
  rows: u32,
  classes: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read> ct: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

fn is_class(y: f32) -> bool {
  return y >= 0.0 && y < f32(p.classes) && y == floor(y);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * WG;
  if (r >= p.rows) { return; }
  let base = r * p.classes;
  var m = x[base];
  for (var c = 1u; c < p.classes; c++) { m = max_or_nan(m, x[base + c]); }
  if (!is_finite(m)) {
    for (var c = 0u; c < p.classes; c++) { dx[base + c] = nan(); }
    return;
  }
  var s = 0.0;
  for (var c = 0u; c < p.classes; c++) { s += exp(x[base + c] - m); }
  let lse = m + log(s);
  let scale = ct[0] / f32(p.rows);
  if (SPARSE) {
    let y = labels[r];
    let valid = is_class(y);
    for (var c = 0u; c < p.classes; c++) {
      let t = select(0.0, 1.0, f32(c) == y);
      dx[base + c] = select(nan(), scale * (exp(x[base + c] - lse) - t), valid);
    }
    return;
  }
  var mass = 0.0;
  for (var c = 0u; c < p.classes; c++) { mass += labels[base + c]; }
  for (var c = 0u; c < p.classes; c++) {
    dx[base + c] = scale * (exp(x[base + c] - lse) * mass - labels[base + c]);
  }
}
