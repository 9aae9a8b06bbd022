// Gathers slices of x along one axis. x is viewed as [outer, n, inner] and the k indices as a
// flat list (int32, or float32 values holding integers: `Index` is set per launch from the
// indices' dtype): out[o, j, i] = x[o, idx[j], i], shape [outer, k, inner]. An index outside
// [0, n) (or NaN) reads as 0.
//
// scatter is the VJP: dx[o, r, i] = Σ_j [idx[j] = r] · dout[o, j, i], one invocation per
// element of dx walking all k indices. WGSL has no float atomics, so adding into dx from the
// dout side would race on repeated indices; walking the indices costs O(x.size · k), which is
// fine for mini-batch rows and slow only for gradients into a large table.

alias Index = f32;
const WG: u32 = 64u;

struct Params {
  outer: u32,
  n: u32,
  k: u32,
  inner: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;     // main: x;  scatter: dout
@group(0) @binding(2) var<storage, read> idx: array<Index>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>; // main: out; scatter: dx

// The row that index j names, or n when it names none.
fn row_of(j: u32) -> u32 {
  let v = idx[j];
  if (v >= Index(0) && v < Index(p.n)) { return u32(v); }
  return p.n;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= p.outer * p.k * p.inner) { return; }
  let i = e % p.inner;
  let j = (e / p.inner) % p.k;
  let o = e / (p.inner * p.k);
  let r = row_of(j);
  var v = 0.0;
  if (r < p.n) { v = src[(o * p.n + r) * p.inner + i]; }
  dst[e] = v;
}

@compute @workgroup_size(WG)
fn scatter(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= p.outer * p.n * p.inner) { return; }
  let i = e % p.inner;
  let r = (e / p.inner) % p.n;
  let o = e / (p.inner * p.n);
  var acc = 0.0;
  for (var j = 0u; j < p.k; j++) {
    if (row_of(j) == r) { acc += src[(o * p.k + j) * p.inner + i]; }
  }
  dst[e] = acc;
}
