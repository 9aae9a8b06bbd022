// The elementwise functions f and their derivatives f', one switch each, by the codes of
// `unaryCodes` in src/kernels/unary.ts. Appended to unary.wgsl, unary_grad.wgsl and both
// matmul kernels (their epilogues), so a function cannot differ between its kernels.
// Every f stays finite where the math is finite (no exp overflow in tanh, sigmoid or softplus
// for large |x|), and gives what TensorFlow.js gives at NaN, ±∞ and ±0; NaN, is_nan and the
// other bit tests come from float_bits.wgsl, appended too. An unknown code gives NaN, never a
// silent identity.

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

// σ(v) = 1 / (1 + e^-v), from e^-|v| so that neither branch overflows.
fn sigmoid_of(v: f32) -> f32 {
  let e = exp(-abs(v));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
}

// log x with the edges that builtins may miss: log 0 = −∞, log of a negative = NaN, log ∞ = ∞.
fn log_or_edge(v: f32) -> f32 {
  let edge = select(nan(), infinity(true), v == 0.0);
  return select(select(log(v), v, is_inf(v)), edge, v <= 0.0);
}

// y = f(v). a and b are the op's parameters: leakyRelu's slope, elu's scale, clip's bounds.
// NaN in gives NaN out for every f but sign, whose NaN is 0 (as in TensorFlow.js); builtins such
// as max and exp may lose a NaN, so it is put back here rather than trusted to each case.
fn unary_f(op: u32, v: f32, a: f32, b: f32) -> f32 {
  return select(unary_of_number(op, v, a, b), select(v, 0.0, op == 7u), is_nan(v));
}

fn unary_of_number(op: u32, v: f32, a: f32, b: f32) -> f32 {
  switch op {
    case 0u: { return v; }                                      // copy
    case 1u: { return -v; }                                     // neg
    case 2u: { return v * v; }                                  // square
    case 3u: { return sqrt(v); }                                // sqrt
    case 4u: { return exp(v); }                                 // exp
    case 5u: { return log_or_edge(v); }                         // log
    case 6u: { return abs(v); }                                 // abs
    case 7u: { return sign(v); }                                // sign
    case 8u: { return max(v, 0.0); }                            // relu
    case 9u: { return select(a * v, v, v > 0.0); }              // leakyRelu
    case 10u: { return select(a * (exp(v) - 1.0), v, v > 0.0); } // elu
    case 11u: { return 0.5 * v * (1.0 + erf_approx(v * 0.7071067811865476)); } // gelu (exact, erf form)
    case 12u: { return sigmoid_of(v); }                         // sigmoid
    case 13u: {                                                 // tanh = sign(v)(1 - e^-2|v|)/(1 + e^-2|v|)
      let e = exp(-2.0 * abs(v));
      return sign(v) * (1.0 - e) / (1.0 + e);
    }
    case 14u: { return max(v, 0.0) + log1p_small(exp(-abs(v))); } // softplus = log(1 + e^v)
    case 15u: { return inverseSqrt(v); }                        // rsqrt = 1/√v
    case 16u: { return min(max(v, a), b); }                     // clipByValue to [a, b]
    default: { return nan(); }
  }
}

// f'(v), given y = f(v) too: where the derivative is cheaper or steadier in terms of y, it uses y.
fn unary_df(op: u32, v: f32, y: f32, a: f32, b: f32) -> f32 {
  switch op {
    case 0u: { return 1.0; }                                    // copy: d x = 1
    case 1u: { return -1.0; }                                   // neg: d(-x) = -1
    case 2u: { return 2.0 * v; }                                // square: d(x²) = 2x
    case 3u: { return 0.5 / y; }                                // sqrt: d√x = 1/(2√x)
    case 4u: { return y; }                                      // exp: d eˣ = eˣ
    case 5u: { return 1.0 / v; }                                // log: d log x = 1/x
    case 6u: { return sign(v); }                                // abs: d|x| = sign x (0 at 0)
    case 7u: { return 0.0; }                                    // sign is flat
    case 8u: { return select(0.0, 1.0, v > 0.0); }              // relu: step(x)
    case 9u: { return select(a, 1.0, v > 0.0); }                // leakyRelu
    case 10u: { return select(y + a, 1.0, v > 0.0); }           // elu: α eˣ = y + α for x ≤ 0
    case 11u: {                                                 // gelu: Φ(x) + x φ(x)
      let cdf = 0.5 * (1.0 + erf_approx(v * 0.7071067811865476));
      let pdf = 0.3989422804014327 * exp(-0.5 * v * v);
      return cdf + v * pdf;
    }
    case 12u: { return y * (1.0 - y); }                         // sigmoid: σ' = σ(1 - σ)
    case 13u: { return 1.0 - y * y; }                           // tanh' = 1 - tanh²
    case 14u: { return sigmoid_of(v); }                         // softplus' = σ(x)
    case 15u: { return -0.5 * y * y * y; }                      // rsqrt: d x^(-1/2) = -½ x^(-3/2) = -½ y³
    case 16u: { return select(0.0, 1.0, v >= a && v <= b); }    // clipByValue: clip: 1 inside [a, b], bounds included
    default: { return nan(); }
  }
}
