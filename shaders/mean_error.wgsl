// Mean error of predictions p against targets t over n elements, in one dispatch:
//   out[0] = (1/n) Σ_i e(p_i − t_i),   e(d) = d² (mean squared error) or |d| (ABSOLUTE)
// One workgroup: each lane sums the elements lane, lane + WG, ...; a tree in workgroup memory
// then adds the lanes' partial sums.

override ABSOLUTE: bool = false;
const WG: u32 = 64u;

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> pred: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = lid; i < p.n; i += WG) {
    let d = pred[i] - targets[i];
    acc += select(d * d, abs(d), ABSOLUTE);
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { partial[lid] += partial[lid + stride]; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[0] = partial[0] / f32(p.n); }
}
