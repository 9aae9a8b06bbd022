// 2-D pooling (NHWC), one output element per invocation, in one pass:
//   maxPool: y = the largest x in the window; with WITH_ARGMAX, also the flat index into x of the
//            first largest (row-major in the window, as TensorFlow keeps it), for the gradient;
//   avgPool: y = the mean of x over the window's positions inside x (padding is not counted).
// The window of output (oy, ox) covers x rows oy·strideY − padTop ... + poolH − 1 (likewise columns).
// Dispatch: one invocation per element of y, WG invocations per workgroup.

const WG: u32 = 64u;

struct Params {
  outputs: u32,  // N·outH·outW·C
  channels: u32,
  inH: u32,
  inW: u32,
  outH: u32,
  outW: u32,
  poolH: u32,
  poolW: u32,
  strideY: u32,
  strideX: u32,
  padTop: u32,
  padLeft: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> argmax: array<i32>; // maxPool only: like y, written when WITH_ARGMAX

override WITH_ARGMAX: bool = false;
// maxPool only: each invocation takes four consecutive channels of one pixel (channels % 4 = 0,
// dispatched over outputs / 4), so the window's index arithmetic, which a CPU adapter runs per
// lane, is paid once for four outputs.
override VEC4: bool = false;

// Output e's window, clipped to x: rows [lo.x, hi.x), columns [lo.y, hi.y), and the flat index of
// x's (n, 0, 0, c) in .z of lo.
struct Window {
  lo: vec3u,
  hi: vec2u,
}

fn windowOf(e: u32) -> Window {
  let c = e % p.channels;
  let ox = (e / p.channels) % p.outW;
  let oy = (e / (p.channels * p.outW)) % p.outH;
  let n = e / (p.channels * p.outW * p.outH);
  // Corners in padded coordinates, so that no value goes negative.
  let top = oy * p.strideY;
  let left = ox * p.strideX;
  let y0 = max(top, p.padTop) - p.padTop;
  let x0 = max(left, p.padLeft) - p.padLeft;
  let y1 = min(top + p.poolH, p.inH + p.padTop) - p.padTop;
  let x1 = min(left + p.poolW, p.inW + p.padLeft) - p.padLeft;
  return Window(vec3u(y0, x0, n * p.inH * p.inW * p.channels + c), vec2u(y1, x1));
}

@compute @workgroup_size(WG)
fn maxPool(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (VEC4) {
    maxPool4(4u * e);
    return;
  }
  if (e >= p.outputs) { return; }
  let w = windowOf(e);
  var at = w.lo.z + (w.lo.x * p.inW + w.lo.y) * p.channels;
  var best = x[at];
  var found = at;
  for (var iy = w.lo.x; iy < w.hi.x; iy++) {
    for (var ix = w.lo.y; ix < w.hi.y; ix++) {
      at = w.lo.z + (iy * p.inW + ix) * p.channels;
      let v = x[at];
      if (v > best) {
        best = v;
        found = at;
      }
    }
  }
  y[e] = best;
  if (WITH_ARGMAX) { argmax[e] = i32(found); }
}

// maxPool for outputs e .. e + 3: four channels of one pixel.
fn maxPool4(e: u32) {
  if (e >= p.outputs) { return; }
  let w = windowOf(e);
  let lanes = vec4u(0u, 1u, 2u, 3u);
  var at = w.lo.z + (w.lo.x * p.inW + w.lo.y) * p.channels;
  var best = vec4f(x[at], x[at + 1u], x[at + 2u], x[at + 3u]);
  var found = vec4u(at) + lanes;
  for (var iy = w.lo.x; iy < w.hi.x; iy++) {
    for (var ix = w.lo.y; ix < w.hi.y; ix++) {
      at = w.lo.z + (iy * p.inW + ix) * p.channels;
      let v = vec4f(x[at], x[at + 1u], x[at + 2u], x[at + 3u]);
      let better = v > best;
      best = select(best, v, better);
      found = select(found, vec4u(at) + lanes, better);
    }
  }
  y[e] = best.x;
  y[e + 1u] = best.y;
  y[e + 2u] = best.z;
  y[e + 3u] = best.w;
  if (WITH_ARGMAX) {
    argmax[e] = i32(found.x);
    argmax[e + 1u] = i32(found.y);
    argmax[e + 2u] = i32(found.z);
    argmax[e + 3u] = i32(found.w);
  }
}

@compute @workgroup_size(WG)
fn avgPool(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= p.outputs) { return; }
  let w = windowOf(e);
  var sum = 0.0;
  for (var iy = w.lo.x; iy < w.hi.x; iy++) {
    for (var ix = w.lo.y; ix < w.hi.y; ix++) {
      sum += x[w.lo.z + (iy * p.inW + ix) * p.channels];
    }
  }
  y[e] = sum / f32((w.hi.x - w.lo.x) * (w.hi.y - w.lo.y));
}
