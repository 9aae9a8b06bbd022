// Depthwise 2-D convolution (NHWC), filter [kh, kw, C, multiplier] read as [taps][C·multiplier]:
// output channel c·multiplier + k sees input channel c alone. One output element per invocation;
// there is no sum over channels to block in registers, so the work is the taps' loads.
//   main:       C[m][j] = Σ_(ky,kx) Σ_(s < sums) S[pixel of row m at tap (ky, kx)][(j·sums + s) / ratio]
//                                               · F[(ky,kx)][j·sums + s]   (+ bias, activation)
//     forward:        rows = output pixels, S = x, sums = 1, ratio = multiplier, N = C·multiplier;
//     input gradient: rows = input pixels, S = dy, sums = multiplier, ratio = 1, N = C.
//     The row's pixel at a tap follows shaders/conv2d.wgsl: sy = y·strideY + ky·stepY + offsetY,
//     a term only where sy / divY (likewise x) is exact and inside S.
//   filterGrad: C[z][(ky,kx)][j] = Σ_(n,oy,ox) x[n][oy·sh + ky·dh − padTop][ox·sw + kx·dw − padLeft][j / ratio]
//                                   · dy[n][oy][ox][j], over output rows [z·kRows, (z+1)·kRows):
//     one slice of [splits][taps][N] per split, summed over z afterwards (src/ops/conv_kernel.ts).
// Dispatch: one invocation per element of C (per slice: z = split), WG invocations per workgroup.

const WG: u32 = 64u;

struct Params {
  M: u32,            // rows of C: pixels of the row grid (main), or taps (filterGrad)
  N: u32,            // columns of C: channels
  kernelH: u32,
  kernelW: u32,
  rowsH: u32,        // main: the row grid; filterGrad: dy's [OH, OW]
  rowsW: u32,
  srcH: u32,         // S is [batch, srcH, srcW, srcC]
  srcW: u32,
  srcC: u32,
  strideY: i32,
  strideX: i32,
  stepY: i32,
  stepX: i32,
  offsetY: i32,
  offsetX: i32,
  divY: i32,
  divX: i32,
  sums: u32,
  ratio: u32,
  filterCols: u32,   // C·multiplier
  kRows: u32,        // filterGrad: output rows (n, oy) per split
  totalRows: u32,    // filterGrad: batch·rowsH
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read> F: array<f32>;        // main: the filter; filterGrad: dy
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;     // main only: [N], read when HAS_BIAS

override HAS_BIAS: bool = false;
override ACTIVATION: u32 = 0u; // unary_f of unary_math.wgsl (appended); 0 is the identity
override ALPHA: f32 = 0.0;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= p.M * p.N) { return; }
  let m = e / p.N;
  let j = e % p.N;
  let x = m % p.rowsW;
  let t = m / p.rowsW;
  let nBase = i32((t / p.rowsH) * p.srcH);
  let originY = i32(t % p.rowsH) * p.strideY + p.offsetY;
  let originX = i32(x) * p.strideX + p.offsetX;
  var acc = 0.0;
  var fTap = j * p.sums;
  for (var ky = 0; ky < i32(p.kernelH); ky++) {
    for (var kx = 0; kx < i32(p.kernelW); kx++) {
      let sy = originY + ky * p.stepY;
      let sx = originX + kx * p.stepX;
      let qy = sy / p.divY;
      let qx = sx / p.divX;
      if (sy >= 0 && sx >= 0 && qy * p.divY == sy && qx * p.divX == sx && u32(qy) < p.srcH && u32(qx) < p.srcW) {
        let at = (u32(nBase + qy) * p.srcW + u32(qx)) * p.srcC;
        for (var s = 0u; s < p.sums; s++) {
          acc = fma(S[at + (j * p.sums + s) / p.ratio], F[fTap + s], acc);
        }
      }
      fTap += p.filterCols;
    }
  }
  if (HAS_BIAS) { acc += bias[j]; }
  C[e] = unary_f(ACTIVATION, acc, ALPHA, 0.0);
}

@compute @workgroup_size(WG)
fn filterGrad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= p.M * p.N) { return; }
  let split = gid.z;
  let tap = e / p.N;
  let j = e % p.N;
  let channel = j / p.ratio;
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
        acc = fma(S[(rowBase + u32(sx)) * p.srcC + channel], F[(g * p.rowsW + ox) * p.N + j], acc);
      }
    }
  }
  C[split * p.M * p.N + e] = acc;
}
