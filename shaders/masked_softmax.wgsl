// Softmax over the last axis of x, viewed as `rows` rows of `len`, with attention's scale and an
// optional mask in one pass. With z_j = scale·x_j:
//   MASK 0 (none):     y = softmax(z)
//   MASK 1 (boolean):  entries whose mask is 0 are left out: y_j = [m_j ≠ 0]·exp(z_j − M) / S,
//                      S = Σ_k [m_k ≠ 0]·exp(z_k − M), M the largest kept z; a row with nothing
//                      kept is all 0 (Keras 3's Softmax with a mask; a NaN left out does no harm)
//   MASK 2 (additive): y = softmax(z + m)
// Subtracting the row maximum keeps every exp in (0, 1]. NaN and ±∞ as TensorFlow.js gives them
// for softmax(z) = exp(z − max z) / Σ exp(z − max z): a kept NaN makes max z NaN, a +∞ makes
// ∞ − ∞ = NaN, kept entries all −∞ make −∞ − (−∞) = NaN; each turns the whole row NaN. Otherwise
// a −∞ gets exp(−∞) = 0. These are tested by their bits (float_bits.wgsl, appended), since a
// compiler may assume finite math. The mask is read through broadcast
// strides: `maskStrides` per leading dimension of x (`shape`), `maskStep` along the row (1, or
// 0 when one value serves the whole row); it is float32 or int32 (`Mask`, set per launch).
// LOG: the row's log softmax instead, y = z − M − log S (plain softmax only: MASK 0, scale 1),
// −∞ for a −∞ entry; NaN rows as above (TensorFlow.js's logSoftmax: x − max x − log Σ exp(x − max x)).
// One invocation per row, with no barriers: attention's rows are short and many.

override MASK: u32 = 0u;
override LOG: bool = false;
alias Mask = f32;
const WG: u32 = 64u;

struct Params {
  rows: u32,
  len: u32,
  rank: u32,                       // leading dimensions of x (all but the last)
  maskStep: u32,
  scale: f32,
  shape: array<vec4u, 2>,          // x's leading dimensions, up to 8
  maskStrides: array<vec4u, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<Mask>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

fn dim(v: array<vec4u, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}

// Where the mask of row `row` starts.
fn mask_base(row: u32) -> u32 {
  var at = 0u;
  var rem = row;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let size = dim(p.shape, u32(d));
    at += (rem % size) * dim(p.maskStrides, u32(d));
    rem = rem / size;
  }
  return at;
}

fn kept(m: u32, j: u32) -> bool {
  return MASK != 1u || mask[m + j * p.maskStep] != Mask(0);
}

fn logit(base: u32, m: u32, j: u32) -> f32 {
  let z = p.scale * x[base + j];
  if (MASK == 2u) { return z + f32(mask[m + j * p.maskStep]); }
  return z;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = gid.x + gid.y * nwg.x * WG;
  if (row >= p.rows) { return; }
  let base = row * p.len;
  var m = 0u;
  if (MASK != 0u) { m = mask_base(row); }
  var top = 0.0;
  var found = false;
  var undefinedRow = false;
  for (var j = 0u; j < p.len; j++) {
    if (kept(m, j)) {
      let v = logit(base, m, j);
      undefinedRow = undefinedRow || is_nan(v);
      if (!found || v > top) { top = v; }
      found = true;
    }
  }
  if (found && (undefinedRow || !is_finite(top))) {
    for (var j = 0u; j < p.len; j++) { y[base + j] = nan(); }
    return;
  }
  var total = 0.0;
  for (var j = 0u; j < p.len; j++) {
    var e = 0.0;
    if (kept(m, j)) {
      let v = logit(base, m, j);
      e = select(exp(v - top), 0.0, is_inf(v));
    }
    y[base + j] = e;
    total += e;
  }
  if (!found) { return; }
  if (LOG) {
    let lse = log(total);
    for (var j = 0u; j < p.len; j++) {
      let v = x[base + j];
      y[base + j] = select((v - top) - lse, infinity(true), is_inf(v));
    }
    return;
  }
  let inv = 1.0 / total;
  for (var j = 0u; j < p.len; j++) { y[base + j] *= inv; }
}
