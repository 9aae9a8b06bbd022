// The VJP of shaders/masked_softmax.wgsl from its output alone: per row,
//   dx_j = scale · y_j (dy_j − Σ_k dy_k y_k),
// since dy_j/dz_k = y_j ([j = k] − y_k) and z = scale·x (+ mask). Entries the mask left out have
// y = 0 and get 0. LOG: y is the log softmax, whose VJP is dx_j = scale · (dy_j − e^{y_j} Σ_k dy_k),
// with e^{−∞} = 0 (float_bits.wgsl, appended). main: one invocation per row; wide: one workgroup
// per row, Σ by a tree in workgroup memory.

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

var<workgroup> partSum: array<f32, WG>;

// Σ_k dy_k y_k (Σ_k dy_k for LOG) over entries first, first + step, … of the row.
fn dot_share(base: u32, first: u32, step: u32) -> f32 {
  var dot = 0.0;
  for (var j = first; j < p.len; j += step) { dot += dy[base + j] * select(y[base + j], 1.0, LOG); }
  return dot;
}

// dx over entries first, first + step, … of the row, given the row's Σ.
fn write_dx(base: u32, first: u32, step: u32, dot: f32) {
  for (var j = first; j < p.len; j += step) {
    let v = y[base + j];
    var soft = v;
    if (LOG) { soft = select(exp(v), 0.0, is_inf(v)); }
    dx[base + j] = p.scale * select(v * (dy[base + j] - dot), dy[base + j] - soft * dot, LOG);
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = gid.x + gid.y * nwg.x * WG;
  if (row >= p.rows) { return; }
  let base = row * p.len;
  write_dx(base, 0u, 1u, dot_share(base, 0u, 1u));
}

@compute @workgroup_size(WG)
fn wide(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3u) {
  let row = wid.x + wid.y * nwg.x;        // the same for the whole workgroup
  if (row >= p.rows) { return; }
  let base = row * p.len;
  partSum[lid] = dot_share(base, lid, WG);
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { partSum[lid] += partSum[lid + stride]; }
    workgroupBarrier();
  }
  write_dx(base, lid, WG, partSum[0]);
}
