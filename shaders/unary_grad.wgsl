// dx = dy · f'(x), elementwise: the backward of unary.wgsl in one pass. OP uses the same codes.
// Where the derivative is cheaper or steadier in terms of the output y = f(x), it uses y.
// vec4s in blocks, as in unary.wgsl.

override OP: u32 = 0u;
const WG: u32 = 64u;
const BLOCK: u32 = 1024u;   // vec4s per workgroup

struct Params {
  n: u32,
  alpha: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;
@group(0) @binding(2) var<storage, read> y: array<vec4f>;
@group(0) @binding(3) var<storage, read> dy: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> dx: array<vec4f>;

fn erf_approx(z: f32) -> f32 {
  let a = abs(z);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign(z) * (1.0 - poly * exp(-a * a));
}

fn sigmoid(v: f32) -> f32 {
  let e = exp(-abs(v));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
}

fn df(v: f32, out: f32, alpha: f32) -> f32 {
  switch OP {
    case 0u: { return -1.0; }                                   // d(-x) = -1
    case 1u: { return 2.0 * v; }                                // d(x²) = 2x
    case 2u: { return 0.5 / out; }                              // d√x = 1/(2√x)
    case 3u: { return out; }                                    // d eˣ = eˣ
    case 4u: { return 1.0 / v; }                                // d log x = 1/x
    case 5u: { return sign(v); }                                // d|x| = sign x (0 at 0)
    case 6u: { return 0.0; }                                    // sign is flat
    case 7u: { return select(0.0, 1.0, v > 0.0); }              // relu: step(x)
    case 8u: { return select(alpha, 1.0, v > 0.0); }            // leakyRelu
    case 9u: { return select(out + alpha, 1.0, v > 0.0); }      // elu: α eˣ = y + α for x ≤ 0
    case 10u: {                                                 // gelu: Φ(x) + x φ(x)
      let cdf = 0.5 * (1.0 + erf_approx(v * 0.7071067811865476));
      let pdf = 0.3989422804014327 * exp(-0.5 * v * v);
      return cdf + v * pdf;
    }
    case 11u: { return out * (1.0 - out); }                     // σ' = σ(1 - σ)
    case 12u: { return 1.0 - out * out; }                       // tanh' = 1 - tanh²
    case 13u: { return sigmoid(v); }                            // softplus' = σ(x)
    default: { return 1.0; }                                    // copy
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let first = (wid.x + wid.y * nwg.x) * BLOCK;
  let end = min(first + BLOCK, (p.n + 3u) / 4u);
  for (var i = first + lid; i < end; i += WG) {
    let v = x[i];
    let o = y[i];
    let d = vec4f(df(v.x, o.x, p.alpha), df(v.y, o.y, p.alpha), df(v.z, o.z, p.alpha), df(v.w, o.w, p.alpha));
    dx[i] = dy[i] * d;
  }
}
