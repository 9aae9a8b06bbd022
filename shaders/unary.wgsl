// y = f(x), elementwise. OP selects f; the codes are the table in src/ops/unary.ts.
// Four elements at a time (vec4; pool buffers are whole 16-byte units, and the padding lanes of
// the last vec4 are never read back), a block of BLOCK vec4s per workgroup (see
// elementwiseGrid in src/device/kernels.ts).
// Every f is written to stay finite where the math is finite (no exp overflow in tanh,
// sigmoid or softplus for large |x|).

override OP: u32 = 0u;
const WG: u32 = 64u;
const BLOCK: u32 = 1024u;   // vec4s per workgroup

struct Params {
  n: u32,
  alpha: f32,   // leakyRelu slope, elu scale
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4f>;

// erf(z), Abramowitz & Stegun 7.1.26: |error| < 1.5e-7, below f32 resolution near 1.
fn erf_approx(z: f32) -> f32 {
  let a = abs(z);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign(z) * (1.0 - poly * exp(-a * a));
}

// log(1 + e) for e in [0, 1]; the series keeps tiny e from rounding away.
fn log1p_small(e: f32) -> f32 {
  if (e < 1e-4) { return e - 0.5 * e * e; }
  return log(1.0 + e);
}

fn f(v: f32, alpha: f32) -> f32 {
  switch OP {
    case 0u: { return -v; }                                     // neg
    case 1u: { return v * v; }                                  // square
    case 2u: { return sqrt(v); }                                // sqrt
    case 3u: { return exp(v); }                                 // exp
    case 4u: { return log(v); }                                 // log
    case 5u: { return abs(v); }                                 // abs
    case 6u: { return sign(v); }                                // sign
    case 7u: { return max(v, 0.0); }                            // relu
    case 8u: { return select(alpha * v, v, v > 0.0); }          // leakyRelu
    case 9u: { return select(alpha * (exp(v) - 1.0), v, v > 0.0); } // elu
    case 10u: { return 0.5 * v * (1.0 + erf_approx(v * 0.7071067811865476)); } // gelu (exact, erf form)
    case 11u: {                                                 // sigmoid = 1 / (1 + e^-v)
      let e = exp(-abs(v));
      return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
    }
    case 12u: {                                                 // tanh = sign(v)(1 - e^-2|v|)/(1 + e^-2|v|)
      let e = exp(-2.0 * abs(v));
      return sign(v) * (1.0 - e) / (1.0 + e);
    }
    case 13u: { return max(v, 0.0) + log1p_small(exp(-abs(v))); } // softplus = log(1 + e^v)
    default: { return v; }                                      // copy
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let first = (wid.x + wid.y * nwg.x) * BLOCK;
  let end = min(first + BLOCK, (p.n + 3u) / 4u);
  for (var i = first + lid; i < end; i += WG) {
    let v = x[i];
    y[i] = vec4f(f(v.x, p.alpha), f(v.y, p.alpha), f(v.z, p.alpha), f(v.w, p.alpha));
  }
}
