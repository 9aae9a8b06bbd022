// The filter gradient of a 2-D convolution (NHWC) for narrow filters (N ≤ 8 output channels) on
// CPU-like adapters: shaders/conv2d_filter.wgsl (read its header for the sum, the split over the
// batch and the blocking) with 2 columns of C per invocation instead of 4 or 8, so that a quad
// spans 8 columns, not 16, as shaders/conv2d_narrow.wgsl does for the forward pass.
//   dF[(ky,kx,ci)][co] = Σ_(n,oy,ox) x[n][oy·sh + ky·dh − padTop][ox·sw + kx·dw − padLeft][ci] · dy[n][oy][ox][co]
// Requirements and edges as in conv2d.wgsl.
// Dispatch: (ceil(N / (2·WG_X)), ceil(M / (4·ROW_GROUPS·WG_Y)), splits) workgroups.
enable subgroups;
diagnostic(off, subgroup_uniformity);

struct Params {
  M: u32,            // rows of C: kh·kw·Cin
  N: u32,            // columns of C: Cout
  depth: u32,        // Cin
  kernelH: u32,
  kernelW: u32,
  rowsH: u32,        // dy is [batch, rowsH, rowsW, N]
  rowsW: u32,
  srcH: u32,         // x is [batch, srcH, srcW, depth]
  srcW: u32,
  strideY: i32,
  strideX: i32,
  stepY: i32,
  stepX: i32,
  offsetY: i32,
  offsetX: i32,
  divY: i32,         // 1 (the forward geometry)
  divX: i32,
  bTapStride: u32,   // unused: dy's element (k, c) sits at k·N + c
  bDepthStride: u32,
  bColStride: u32,
  kRows: u32,        // output rows (n, oy) summed per split
  totalRows: u32,    // batch·rowsH
  groupOffsetX: u32,
  groupOffsetY: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> S: array<f32>;        // x
@group(0) @binding(2) var<storage, read> B: array<f32>;        // dy
@group(0) @binding(3) var<storage, read_write> C: array<f32>;  // [splits][M][N]

override WG_X: u32 = 8;
override WG_Y: u32 = 4;
override ROW_GROUPS: u32 = 4;

fn fromQuad(x: f32) -> vec4f {
  return vec4f(x, quadSwapX(x), quadSwapY(x), quadSwapDiagonal(x));
}

fn rank1(acc: mat4x2f, a: vec4f, b: vec2f) -> mat4x2f {
  return mat4x2f(
    fma(vec2f(a.x), b, acc[0]),
    fma(vec2f(a.y), b, acc[1]),
    fma(vec2f(a.z), b, acc[2]),
    fma(vec2f(a.w), b, acc[3]),
  );
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
  @builtin(subgroup_invocation_id) lane: u32,
) {
  let group = wid.xy + vec2u(p.groupOffsetX, p.groupOffsetY);
  let split = wid.z;
  let row0 = (group.y * WG_Y + lid.y) * 4u * ROW_GROUPS;
  let col0 = (group.x * WG_X + lid.x) * 2u;
  let q = lane % 4u;
  let quadCol0 = (group.x * WG_X + (lid.x & ~3u)) * 2u;
  if (row0 >= p.M || quadCol0 >= p.N) { return; }

  // The rows this lane loads (4j + q of its block), one per component: their channel, and the
  // offsets their tap adds to an output pixel's origin in x.
  let lastRow = p.M - 1u;
  let rows = min(vec4u(row0) + vec4u(q, 4u + q, 8u + q, 12u + q), vec4u(lastRow));
  let channel = rows % p.depth;
  let tap = rows / p.depth;
  let offY = vec4i(tap / p.kernelW) * p.stepY + p.offsetY;
  let offX = vec4i(tap % p.kernelW) * p.stepX + p.offsetX;
  let bCol = min(vec2u(col0) + vec2u(0u, 1u), vec2u(p.N - 1u));

  var acc0 = mat4x2f();
  var acc1 = mat4x2f();
  var acc2 = mat4x2f();
  var acc3 = mat4x2f();

  let first = split * p.kRows;
  let end = min(first + p.kRows, p.totalRows);
  for (var g = first; g < end; g++) {
    // Output row (n, oy): each of the lane's rows reads x's row sy, if it lies inside x.
    let n = g / p.rowsH;
    let sy = vec4i(i32(g % p.rowsH) * p.strideY) + offY;
    let rowInside = (sy >= vec4i(0)) & (sy < vec4i(i32(p.srcH)));
    let rowBase = vec4i(i32(n * p.srcH)) + sy;
    var sx = offX;
    var bK = g * p.rowsW * p.N;
    for (var ox = 0u; ox < p.rowsW; ox++) {
      let inside = rowInside & (sx >= vec4i(0)) & (sx < vec4i(i32(p.srcW)));
      let at = select(vec4u(0u), vec4u(rowBase * i32(p.srcW) + sx) * p.depth + channel, inside);
      let b = vec2f(B[bK + bCol.x], B[bK + bCol.y]);
      acc0 = rank1(acc0, fromQuad(select(0.0, S[at.x], inside.x)), b);
      if (ROW_GROUPS > 1u) { acc1 = rank1(acc1, fromQuad(select(0.0, S[at.y], inside.y)), b); }
      if (ROW_GROUPS > 2u) { acc2 = rank1(acc2, fromQuad(select(0.0, S[at.z], inside.z)), b); }
      if (ROW_GROUPS > 3u) { acc3 = rank1(acc3, fromQuad(select(0.0, S[at.w], inside.w)), b); }
      sx += vec4i(p.strideX);
      bK += p.N;
    }
  }

  let base = split * p.M;
  storeBlock(base, row0, col0, q, acc0);
  if (ROW_GROUPS > 1u) { storeBlock(base, row0 + 4u, col0, q, acc1); }
  if (ROW_GROUPS > 2u) { storeBlock(base, row0 + 8u, col0, q, acc2); }
  if (ROW_GROUPS > 3u) { storeBlock(base, row0 + 12u, col0, q, acc3); }
}

// Writes a 4×2 block of slice `base / M` whose column r holds row `row + (q ^ r)`, from column
// `col` on, skipping what lies outside C.
fn storeBlock(base: u32, row: u32, col: u32, q: u32, block: mat4x2f) {
  storeRow(base, row + q, col, block[0]);
  storeRow(base, row + (q ^ 1u), col, block[1]);
  storeRow(base, row + (q ^ 2u), col, block[2]);
  storeRow(base, row + (q ^ 3u), col, block[3]);
}

fn storeRow(base: u32, row: u32, col: u32, v: vec2f) {
  if (row >= p.M) { return; }
  let at = (base + row) * p.N + col;
  if (col < p.N) { C[at] = v.x; }
  if (col + 1u < p.N) { C[at + 1u] = v.y; }
}
