// Mean classification accuracy of predictions y [rows, C], in one dispatch:
//   out[0] = (1/rows) Σ_r [argmax_c y_rc = class_r]
// where class_r = argmax_c t_rc (categorical) or the index t_r (SPARSE). argmax takes the first
// maximum, as Keras's argmax does.
// One workgroup: each lane counts the rows lane, lane + WG, ...; a tree adds the counts.

override SPARSE: bool = false;
const WG: u32 = 64u;

struct Params {
  rows: u32,
  classes: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> t: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<f32, WG>;

fn argmax_y(base: u32) -> u32 {
  var best = 0u;
  for (var c = 1u; c < p.classes; c++) {
    if (y[base + c] > y[base + best]) { best = c; }
  }
  return best;
}

fn argmax_t(base: u32) -> u32 {
  var best = 0u;
  for (var c = 1u; c < p.classes; c++) {
    if (t[base + c] > t[base + best]) { best = c; }
  }
  return best;
}

fn correct(r: u32) -> f32 {
  let predicted = f32(argmax_y(r * p.classes));
  var label = 0.0;
  if (SPARSE) {
    label = t[r];
  } else {
    label = f32(argmax_t(r * p.classes));
  }
  return select(0.0, 1.0, predicted == label);
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var r = lid; r < p.rows; r += WG) { acc += correct(r); }
  partial[lid] = acc;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { partial[lid] += partial[lid + stride]; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[0] = partial[0] / f32(p.rows); }
}
