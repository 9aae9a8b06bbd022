// Copies a box of elements between two tensors, each side addressed through strides of its own.
//   copy: dst[dstOffset + Σ_d c_d·dstStrides_d] = src[srcOffset + Σ_d c_d·srcStrides_d]
//         for every coordinate c of the box `shape` (slice: a box of x into a contiguous output;
//         concat: each input into its box of the output).
//   pad:  dst[i] = src[Σ_d (c_d − before_d)·srcStrides_d] where c − before lies inside src (of
//         shape srcShape), else value; c is the coordinate of i in the contiguous output `shape`.
// A copy moves values without looking at them, so the element type is set per launch from the
// tensors' dtype (`Element`, float32 or int32; both bindings get the same).

alias Element = f32;
const WG: u32 = 64u;

struct Params {
  n: u32,                          // elements in the box (copy) or in the output (pad)
  rank: u32,
  srcOffset: u32,
  dstOffset: u32,
  value: f32,                      // pad's fill value
  shape: array<vec4u, 2>,          // the box (copy) or the output (pad), up to rank 8
  srcStrides: array<vec4u, 2>,
  dstStrides: array<vec4u, 2>,     // copy only
  before: array<vec4u, 2>,         // pad only: elements added before src along each dimension
  srcShape: array<vec4u, 2>,       // pad only
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<Element>;
@group(0) @binding(2) var<storage, read_write> dst: array<Element>;

fn dim(v: array<vec4u, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}

@compute @workgroup_size(WG)
fn copy(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  var read_at = p.srcOffset;
  var write_at = p.dstOffset;
  var rem = i;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let size = dim(p.shape, u32(d));
    let c = rem % size;
    rem = rem / size;
    read_at += c * dim(p.srcStrides, u32(d));
    write_at += c * dim(p.dstStrides, u32(d));
  }
  dst[write_at] = src[read_at];
}

@compute @workgroup_size(WG)
fn pad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  var read_at = 0u;
  var inside = true;
  var rem = i;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let size = dim(p.shape, u32(d));
    let c = rem % size;
    rem = rem / size;
    // Below `before`, c − before wraps around to a huge u32: one comparison tests both edges.
    let s = c - dim(p.before, u32(d));
    inside = inside && s < dim(p.srcShape, u32(d));
    read_at += s * dim(p.srcStrides, u32(d));
  }
  if (inside) {
    dst[i] = src[read_at];
  } else {
    dst[i] = Element(p.value);
  }
}
