// 2-D convolution (NHWC), one output element per invocation: the plain path, for adapters
// without 'subgroups' and as the reference the register-tiled kernels (conv2d.wgsl,
// conv2d_filter.wgsl) are tested against. The uniforms and their meaning are theirs:
//   main:       C[m][c] = Σ_(ky,kx) Σ_d S[pixel of row m at tap (ky, kx)][d] · B[(ky,kx)][d][c] (+ bias, activation),
//               the forward pass and the input gradient (see conv2d.wgsl);
//   filterGrad: C[z][(ky,kx,ci)][co] = Σ over output rows [z·kRows, (z+1)·kRows) of x·dy, one
//               slice per split (see conv2d_filter.wgsl).
// Dispatch: one invocation per element of C (per slice: z = split), WG invocations per workgroup.

const WG: u32 = 64u;

struct Params {
  M: u32,
  N: u32,
  depth: u32,
  kernelH: u32,
  kernelW: u32,
  rowsH: u32,
  rowsW: u32,
  srcH: u32,
  srcW: u32,
  strideY: i32,
  strideX: i32,
  stepY: i32,
  stepX: i32,
  offsetY: i32,
  offsetX: i32,
  divY: i32,
  divX: i32,
  bTapStride: u32,
  bDepthStride: u32,
  bColStride: u32,
  kRows: u32,
  totalRows: u32,
  groupOffsetX: u32, // unused: the grid comes from grid() and the element index
  groupOffsetY: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>; // main only: [N], read when HAS_BIAS

override HAS_BIAS: bool = false;
override ACTIVATION: u32 = 0u; // unary_f of unary_math.wgsl (appended); 0 is the identity
override ALPHA: f32 = 0.0;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= p.M * p.N) { return; }
  let m = e / p.N;
  let c = e % p.N;
  let x = m % p.rowsW;
  let t = m / p.rowsW;
  let nBase = i32((t / p.rowsH) * p.srcH);
  let originY = i32(t % p.rowsH) * p.strideY + p.offsetY;
  let originX = i32(x) * p.strideX + p.offsetX;
  var acc = 0.0;
  var bTap = c * p.bColStride;
  for (var ky = 0; ky < i32(p.kernelH); ky++) {
    for (var kx = 0; kx < i32(p.kernelW); kx++) {
      let sy = originY + ky * p.stepY;
      let sx = originX + kx * p.stepX;
      let qy = sy / p.divY;
      let qx = sx / p.divX;
      if (sy >= 0 && sx >= 0 && qy * p.divY == sy && qx * p.divX == sx && u32(qy) < p.srcH && u32(qx) < p.srcW) {
        let at = (u32(nBase + qy) * p.srcW + u32(qx)) * p.depth;
        for (var d = 0u; d < p.depth; d++) {
          acc = fma(S[at + d], B[bTap + d * p.bDepthStride], acc);
        }
      }
      bTap += p.bTapStride;
    }
  }
  if (HAS_BIAS) { acc += bias[c]; }
  C[e] = unary_f(ACTIVATION, acc, ALPHA, 0.0);
}

@compute @workgroup_size(WG)
fn filterGrad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= p.M * p.N) { return; }
  let split = gid.z;
  let r = e / p.N;
  let c = e % p.N;
  let channel = r % p.depth;
  let tap = r / p.depth;
  let offY = i32(tap / p.kernelW) * p.stepY + p.offsetY;
  let offX = i32(tap % p.kernelW) * p.stepX + p.offsetX;
  var acc = 0.0;
  let first = split * p.kRows;
  let end = min(first + p.kRows, p.totalRows);
  for (var g = first; g < end; g++) {
    let sy = i32(g % p.rowsH) * p.strideY + offY;
    if (sy < 0 || u32(sy) >= p.srcH) { continue; }
    let rowBase = ((g / p.rowsH) * p.srcH + u32(sy)) * p.srcW;
    for (var ox = 0u; ox < p.rowsW; ox++) {
      let sx = i32(ox) * p.strideX + offX;
      if (sx >= 0 && u32(sx) < p.srcW) {
        acc = fma(S[(rowBase + u32(sx)) * p.depth + channel], B[(g * p.rowsW + ox) * p.N + c], acc);
      }
    }
  }
  C[split * p.M * p.N + e] = acc;
}
