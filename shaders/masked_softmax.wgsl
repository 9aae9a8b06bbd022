// Softmax over the last axis of x, viewed as `rows` rows of `len`, with attention's scale and an
// optional mask in one pass. With z_j = scale·x_j:
//   MASK 0 (none):     y = softmax(z)
//   MASK 1 (boolean):  entries whose mask is 0 are left out: y_j = [m_j ≠ 0]·exp(z_j − M) / S,
//                      S = Σ_k [m_k ≠ 0]·exp(z_k − M), M the largest kept z; a row with nothing
//                      kept is all 0 (Keras 3's Softmax with a mask; a NaN left out does no harm)
//   MASK 2 (additive): y = softmax(z + m)
// Subtracting the row maximum keeps every exp in (0, 1]. The mask is read through broadcast
// strides: `maskStrides` per leading dimension of x (`shape`), `maskStep` along the row (1, or
// 0 when one value serves the whole row); it is float32 or int32 (`Mask`, set per launch).
// NaN and ±∞ as TensorFlow.js gives them for softmax(z) = exp(z − max z) / Σ exp(z − max z): a
// kept NaN makes max z NaN, a +∞ makes ∞ − ∞ = NaN, kept entries all −∞ make −∞ − (−∞) = NaN;
// each turns the whole row NaN. Otherwise a −∞ gets exp(−∞) = 0. They are told by their bits
// (float_bits.wgsl, appended), since a compiler may assume finite math.
// LOG: the row's log softmax instead, y = z − M − log S (plain softmax only: MASK 0, scale 1),
// −∞ for a −∞ entry; NaN rows as above (TensorFlow.js's logSoftmax: x − max x − log Σ exp(x − max x)).
// main: one invocation per row, with no barriers (attention's rows are short and many). wide:
// one workgroup per row, each lane taking a strided share and the row's max and Σ made by a tree
// in workgroup memory (few long rows).

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

// wide's partial results per lane: the largest kept z, flags (FOUND, UNDEFINED), then Σ.
var<workgroup> partTop: array<f32, WG>;
var<workgroup> partFlags: array<u32, WG>;
var<workgroup> partSum: array<f32, WG>;
const FOUND: u32 = 1u;
const UNDEFINED: u32 = 2u;

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
  let undefinedTop = found && (undefinedRow || !is_finite(top));
  var total = 0.0;
  for (var j = 0u; j < p.len; j++) { total += exponentiate(base, m, j, top); }
  finish(base, 0u, 1u, top, total, found, undefinedTop);
}

// y_j = exp(z_j − top) for a kept entry (0 for a −∞ one), 0 for the others; returns y_j.
fn exponentiate(base: u32, m: u32, j: u32, top: f32) -> f32 {
  var e = 0.0;
  if (kept(m, j)) {
    let v = logit(base, m, j);
    e = select(exp(v - top), 0.0, is_inf(v));
  }
  y[base + j] = e;
  return e;
}

// Entries first, first + step, … of the row, once y holds the exps and Σ is `total`: all NaN for
// an undefined row, left at 0 when nothing is kept, else divided by Σ (or the log softmax).
fn finish(base: u32, first: u32, step: u32, top: f32, total: f32, found: bool, undefinedTop: bool) {
  if (undefinedTop) {
    for (var j = first; j < p.len; j += step) { y[base + j] = nan(); }
    return;
  }
  if (!found) { return; }
  if (LOG) {
    let lse = log(total);
    for (var j = first; j < p.len; j += step) {
      let v = x[base + j];
      y[base + j] = select((v - top) - lse, infinity(true), is_inf(v));
    }
    return;
  }
  let inv = 1.0 / total;
  for (var j = first; j < p.len; j += step) { y[base + j] *= inv; }
}

@compute @workgroup_size(WG)
fn wide(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3u) {
  let row = wid.x + wid.y * nwg.x;        // the same for the whole workgroup
  if (row >= p.rows) { return; }
  let base = row * p.len;
  var m = 0u;
  if (MASK != 0u) { m = mask_base(row); }
  var top = 0.0;
  var flags = 0u;
  for (var j = lid; j < p.len; j += WG) {
    if (kept(m, j)) {
      let v = logit(base, m, j);
      if (is_nan(v)) { flags |= UNDEFINED; }
      if ((flags & FOUND) == 0u || v > top) { top = v; }
      flags |= FOUND;
    }
  }
  partTop[lid] = top;
  partFlags[lid] = flags;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      let other = partFlags[lid + stride];
      if ((other & FOUND) != 0u && ((partFlags[lid] & FOUND) == 0u || partTop[lid + stride] > partTop[lid])) {
        partTop[lid] = partTop[lid + stride];
      }
      partFlags[lid] |= other;
    }
    workgroupBarrier();
  }
  let rowTop = partTop[0];
  let rowFlags = partFlags[0];
  let found = (rowFlags & FOUND) != 0u;
  let undefinedTop = found && ((rowFlags & UNDEFINED) != 0u || !is_finite(rowTop));
  var total = 0.0;
  for (var j = lid; j < p.len; j += WG) { total += exponentiate(base, m, j, rowTop); }
  partSum[lid] = total;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { partSum[lid] += partSum[lid + stride]; }
    workgroupBarrier();
  }
  finish(base, lid, WG, rowTop, partSum[0], found, undefinedTop);
}
