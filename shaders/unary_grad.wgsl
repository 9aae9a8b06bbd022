// dx = dy · f'(x), elementwise: the backward of unary.wgsl in one pass, with the same codes;
// unary_df is in unary_math.wgsl, appended to this file. y = f(x) is passed in too
// (the derivative of some f is cheaper or steadier in terms of y). vec4s in blocks, as in unary.wgsl.

override OP: u32 = 0u;
const WG: u32 = 64u;
const BLOCK: u32 = 1024u;   // vec4s per workgroup

struct Params {
  n: u32,
  alpha: f32,
  beta: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;
@group(0) @binding(2) var<storage, read> y: array<vec4f>;
@group(0) @binding(3) var<storage, read> dy: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> dx: array<vec4f>;

fn df(v: f32, out: f32) -> f32 {
  return unary_df(OP, v, out, p.alpha, p.beta);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let first = (wid.x + wid.y * nwg.x) * BLOCK;
  let end = min(first + BLOCK, (p.n + 3u) / 4u);
  for (var i = first + lid; i < end; i += WG) {
    let v = x[i];
    let o = y[i];
    dx[i] = dy[i] * vec4f(df(v.x, o.x), df(v.y, o.y), df(v.z, o.z), df(v.w, o.w));
  }
}
