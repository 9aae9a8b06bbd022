// The filter gradient of a 2-D convolution (NHWC) as an implicit GEMM, register-tiled for CPU-like
// adapters (SwiftShader):
//   dF[(ky,kx,ci)][co] = Σ_(n,oy,ox) x[n][oy·sh + ky·dh − padTop][ox·sw + kx·dw − padLeft][ci] · dy[n][oy][ox][co]
// Rows are the filter's (ky, kx, ci), columns its output channels, and K runs over every output
// pixel of the batch: the patches of x, read in place, transposed. K is long (N·OH·OW) and the
// output small, so the batch is split: workgroup z sums output rows (n, oy) in
// [z·kRows, (z+1)·kRows) into its own slice C[z] of [splits][M][N], and a sum over z follows
// (src/ops/conv_kernel.ts). No workgroup serializes the reduction over the batch.
//
// The blocking is shaders/matmul.wgsl's (no workgroup memory, no barriers; a quad shares the x
// values of its rows through quad swaps); shaders/conv2d.wgsl has the geometry fields. Here the
// row grid (rowsH, rowsW) is dy's [OH, OW], S is x, B is dy, depth is Cin; div is 1.
// Requirements and edges as in conv2d.wgsl.
// Dispatch: (ceil(N / (4·COL_VECS·WG_X)), ceil(M / (4·ROW_GROUPS·WG_Y)), splits) workgroups.
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
override COL_VECS: u32 = 2;

fn fromQuad(x: f32) -> vec4f {
  return vec4f(x, quadSwapX(x), quadSwapY(x), quadSwapDiagonal(x));
}

fn rank1(acc: mat4x4f, a: vec4f, b: vec4f) -> mat4x4f {
  return mat4x4f(
    fma(vec4f(a.x), b, acc[0]),
    fma(vec4f(a.y), b, acc[1]),
    fma(vec4f(a.z), b, acc[2]),
    fma(vec4f(a.w), b, acc[3]),
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
  let col0 = (group.x * WG_X + lid.x) * 4u * COL_VECS;
  let q = lane % 4u;
  let quadCol0 = (group.x * WG_X + (lid.x & ~3u)) * 4u * COL_VECS;
  if (row0 >= p.M || quadCol0 >= p.N) { return; }

  // The rows this lane loads (4j + q of its block), one per component: their channel, and the
  // offsets their tap adds to an output pixel's origin in x.
  let lastRow = p.M - 1u;
  let rows = min(vec4u(row0) + vec4u(q, 4u + q, 8u + q, 12u + q), vec4u(lastRow));
  let channel = rows % p.depth;
  let tap = rows / p.depth;
  let offY = vec4i(tap / p.kernelW) * p.stepY + p.offsetY;
  let offX = vec4i(tap % p.kernelW) * p.stepX + p.offsetX;
  let lastCol = vec4u(p.N - 1u);
  let bCol0 = min(vec4u(col0) + vec4u(0u, 1u, 2u, 3u), lastCol);
  let bCol1 = min(vec4u(col0) + vec4u(4u, 5u, 6u, 7u), lastCol);

  var acc00 = mat4x4f();
  var acc01 = mat4x4f();
  var acc10 = mat4x4f();
  var acc11 = mat4x4f();
  var acc20 = mat4x4f();
  var acc21 = mat4x4f();
  var acc30 = mat4x4f();
  var acc31 = mat4x4f();

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
      let b0 = vec4f(B[bK + bCol0.x], B[bK + bCol0.y], B[bK + bCol0.z], B[bK + bCol0.w]);
      var b1 = vec4f();
      if (COL_VECS > 1u) {
        b1 = vec4f(B[bK + bCol1.x], B[bK + bCol1.y], B[bK + bCol1.z], B[bK + bCol1.w]);
      }
      let a0 = fromQuad(select(0.0, S[at.x], inside.x));
      acc00 = rank1(acc00, a0, b0);
      if (COL_VECS > 1u) { acc01 = rank1(acc01, a0, b1); }
      if (ROW_GROUPS > 1u) {
        let a1 = fromQuad(select(0.0, S[at.y], inside.y));
        acc10 = rank1(acc10, a1, b0);
        if (COL_VECS > 1u) { acc11 = rank1(acc11, a1, b1); }
      }
      if (ROW_GROUPS > 2u) {
        let a2 = fromQuad(select(0.0, S[at.z], inside.z));
        acc20 = rank1(acc20, a2, b0);
        if (COL_VECS > 1u) { acc21 = rank1(acc21, a2, b1); }
      }
      if (ROW_GROUPS > 3u) {
        let a3 = fromQuad(select(0.0, S[at.w], inside.w));
        acc30 = rank1(acc30, a3, b0);
        if (COL_VECS > 1u) { acc31 = rank1(acc31, a3, b1); }
      }
      sx += vec4i(p.strideX);
      bK += p.N;
    }
  }

  let base = split * p.M;
  storeBlock(base, row0, col0, q, acc00);
  if (COL_VECS > 1u) { storeBlock(base, row0, col0 + 4u, q, acc01); }
  if (ROW_GROUPS > 1u) {
    storeBlock(base, row0 + 4u, col0, q, acc10);
    if (COL_VECS > 1u) { storeBlock(base, row0 + 4u, col0 + 4u, q, acc11); }
  }
  if (ROW_GROUPS > 2u) {
    storeBlock(base, row0 + 8u, col0, q, acc20);
    if (COL_VECS > 1u) { storeBlock(base, row0 + 8u, col0 + 4u, q, acc21); }
  }
  if (ROW_GROUPS > 3u) {
    storeBlock(base, row0 + 12u, col0, q, acc30);
    if (COL_VECS > 1u) { storeBlock(base, row0 + 12u, col0 + 4u, q, acc31); }
  }
}

// Writes a 4×4 block of slice `base / M` whose column r holds row `row + (q ^ r)`, from column
// `col` on, skipping what lies outside C.
fn storeBlock(base: u32, row: u32, col: u32, q: u32, block: mat4x4f) {
  storeRow(base, row + q, col, block[0]);
  storeRow(base, row + (q ^ 1u), col, block[1]);
  storeRow(base, row + (q ^ 2u), col, block[2]);
  storeRow(base, row + (q ^ 3u), col, block[3]);
}

fn storeRow(base: u32, row: u32, col: u32, v: vec4f) {
  if (row >= p.M) { return; }
  let at = (base + row) * p.N + col;
  if (col < p.N) { C[at] = v.x; }
  if (col + 1u < p.N) { C[at + 1u] = v.y; }
  if (col + 2u < p.N) { C[at + 2u] = v.z; }
  if (col + 3u < p.N) { C[at + 3u] = v.w; }
}
