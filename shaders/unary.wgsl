// y = f(x), elementwise. OP selects f by the codes of src/kernels/unary.ts; unary_f is in
// unary_math.wgsl, appended to this file.
// Four elements at a time (vec4; pool buffers are whole 16-byte units, and the padding lanes of
// the last vec4 are never read back), a block of BLOCK vec4s per workgroup.

override OP: u32 = 0u;
const WG: u32 = 64u;
const BLOCK: u32 = 1024u;   // vec4s per workgroup

struct Params {
  n: u32,
  alpha: f32,   // leakyRelu slope, elu scale, clip's lower bound
  beta: f32,    // clip's upper bound
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4f>;

fn f(v: f32) -> f32 {
  return unary_f(OP, v, p.alpha, p.beta);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let first = (wid.x + wid.y * nwg.x) * BLOCK;
  let end = min(first + BLOCK, (p.n + 3u) / 4u);
  for (var i = first + lid; i < end; i += WG) {
    let v = x[i];
    y[i] = vec4f(f(v.x), f(v.y), f(v.z), f(v.w));
  }
}
