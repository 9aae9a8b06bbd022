// Mean softmax cross-entropy over rows of logits x [rows, C] against labels, in one dispatch:
//   loss_r = Σ_c t_c (lse_r − x_c),   lse_r = m_r + log Σ_c exp(x_c − m_r),   m_r = max_c x_c
//   out[0] = (1/rows) Σ_r loss_r
// Subtracting the row maximum keeps every exp in (0, 1], so logits of any size stay finite.
// A row whose maximum is not finite (a NaN, +∞, or only −∞) has lse_r = NaN, as TensorFlow gives
// (∞ − ∞ in x_c − m_r); the bit tests are in float_bits.wgsl, appended to this file.
// SPARSE: labels hold one class index per row (float32 integers), t is one-hot at it, and
// loss_r = lse_r − x_y. A label that is no class index (outside [0, C), fractional or NaN)
// makes the loss NaN rather than scoring some class; fit and evaluate reject such labels
// before they reach this kernel.
// One workgroup: each lane sums the rows lane, lane + WG, ...; a tree in workgroup memory
// then adds the lanes' partial sums.

override SPARSE: bool = false;
const WG: u32 = 64u;

struct Params {
  rows: u32,
  classes: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<f32, WG>;

// lse_r = log Σ_c exp(x_c), NaN unless the row's maximum is finite.
fn log_sum_exp(base: u32) -> f32 {
  var m = x[base];
  for (var c = 1u; c < p.classes; c++) { m = max_or_nan(m, x[base + c]); }
  if (!is_finite(m)) { return nan(); }
  var s = 0.0;
  for (var c = 0u; c < p.classes; c++) { s += exp(x[base + c] - m); }
  return m + log(s);
}

fn is_class(y: f32) -> bool {
  return y >= 0.0 && y < f32(p.classes) && y == floor(y);
}

fn row_loss(r: u32) -> f32 {
  let base = r * p.classes;
  let lse = log_sum_exp(base);
  if (SPARSE) {
    let y = labels[r];
    if (!is_class(y)) { return nan(); }
    return lse - x[base + u32(y)];
  }
  var loss = 0.0;
  for (var c = 0u; c < p.classes; c++) { loss += labels[base + c] * (lse - x[base + c]); }
  return loss;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var r = lid; r < p.rows; r += WG) { acc += row_loss(r); }
  partial[lid] = acc;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { partial[lid] += partial[lid + stride]; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[0] = partial[0] / f32(p.rows); }
}
