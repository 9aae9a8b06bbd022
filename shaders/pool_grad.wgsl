// The gradients of 2-D pooling (NHWC) in one pass: one invocation per element of dx walks the
// outputs whose windows cover it (at most ⌈poolH/strideY⌉·⌈poolW/strideX⌉), so nothing is
// scattered and nothing races:
//   maxPoolGrad: dx[i] = Σ_(o covers i) [argmax[o] = i] · dy[o], argmax as maxPool wrote it;
//   avgPoolGrad: dx[i] = Σ_(o covers i) dy[o] / (positions of o's window inside x).
// Geometry as in pool.wgsl. Dispatch: one invocation per element of dx, WG per workgroup.

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
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<storage, read> argmax: array<i32>; // maxPoolGrad only

// Whether no two windows overlap (stride ≥ pool on both axes, as in the usual 2×2 pooling with
// stride 2): then at most one output covers each input, found by one division per axis instead
// of a loop over the candidates, which on a CPU adapter cost more than the work itself.
override DISJOINT: bool = false;
// maxPoolGrad with DISJOINT only: each invocation takes four consecutive channels of one pixel
// (channels % 4 = 0, dispatched over inputs / 4), which share their covering window.
override VEC4: bool = false;

// The outputs whose windows cover x's row (or column) i: [lo, hi) along one axis.
fn covering(i: u32, pad: u32, pool: u32, stride: u32, outs: u32) -> vec2u {
  let padded = i + pad; // the window of o covers padded rows [o·stride, o·stride + pool)
  let lo = select(0u, (padded + 1u - pool + stride - 1u) / stride, padded + 1u > pool);
  let hi = min(padded / stride + 1u, outs);
  return vec2u(lo, hi);
}

// The number of x positions inside the window of output (oy, ox).
fn windowSize(oy: u32, ox: u32) -> f32 {
  let top = oy * p.strideY;
  let left = ox * p.strideX;
  let rows = min(top + p.poolH, p.inH + p.padTop) - max(top, p.padTop);
  let cols = min(left + p.poolW, p.inW + p.padLeft) - max(left, p.padLeft);
  return f32(rows * cols);
}

@compute @workgroup_size(WG)
fn maxPoolGrad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = (gid.x + gid.y * nwg.x * WG) * select(1u, 4u, VEC4);
  let inputs = (p.outputs / (p.outH * p.outW)) * p.inH * p.inW;
  if (i >= inputs) { return; }
  let c = i % p.channels;
  let ix = (i / p.channels) % p.inW;
  let iy = (i / (p.channels * p.inW)) % p.inH;
  let n = i / (p.channels * p.inW * p.inH);
  if (DISJOINT) {
    // The one window that can cover (iy, ix): output (⌊(iy + padTop) / strideY⌋, likewise x), if
    // it exists and reaches that far.
    let py = iy + p.padTop;
    let px = ix + p.padLeft;
    let oy = py / p.strideY;
    let ox = px / p.strideX;
    let covered = (py - oy * p.strideY < p.poolH) & (px - ox * p.strideX < p.poolW) & (oy < p.outH) & (ox < p.outW);
    let o = select(0u, ((n * p.outH + oy) * p.outW + ox) * p.channels + c, covered);
    dx[i] = select(0.0, dy[o], covered & (argmax[o] == i32(i)));
    if (VEC4) {
      dx[i + 1u] = select(0.0, dy[o + 1u], covered & (argmax[o + 1u] == i32(i + 1u)));
      dx[i + 2u] = select(0.0, dy[o + 2u], covered & (argmax[o + 2u] == i32(i + 2u)));
      dx[i + 3u] = select(0.0, dy[o + 3u], covered & (argmax[o + 3u] == i32(i + 3u)));
    }
    return;
  }
  let rows = covering(iy, p.padTop, p.poolH, p.strideY, p.outH);
  let cols = covering(ix, p.padLeft, p.poolW, p.strideX, p.outW);
  var acc = 0.0;
  for (var oy = rows.x; oy < rows.y; oy++) {
    for (var ox = cols.x; ox < cols.y; ox++) {
      let o = ((n * p.outH + oy) * p.outW + ox) * p.channels + c;
      if (argmax[o] == i32(i)) { acc += dy[o]; }
    }
  }
  dx[i] = acc;
}

@compute @workgroup_size(WG)
fn avgPoolGrad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  let inputs = (p.outputs / (p.outH * p.outW)) * p.inH * p.inW;
  if (i >= inputs) { return; }
  let c = i % p.channels;
  let ix = (i / p.channels) % p.inW;
  let iy = (i / (p.channels * p.inW)) % p.inH;
  let n = i / (p.channels * p.inW * p.inH);
  let rows = covering(iy, p.padTop, p.poolH, p.strideY, p.outH);
  let cols = covering(ix, p.padLeft, p.poolW, p.strideX, p.outW);
  var acc = 0.0;
  for (var oy = rows.x; oy < rows.y; oy++) {
    for (var ox = cols.x; ox < cols.y; ox++) {
      acc += dy[((n * p.outH + oy) * p.outW + ox) * p.channels + c] / windowSize(oy, ox);
    }
  }
  dx[i] = acc;
}
