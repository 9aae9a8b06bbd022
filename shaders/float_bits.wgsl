// NaN and the infinities, for kernels that keep them as TensorFlow does. WGSL refuses them in
// constant expressions and lets a compiler assume finite math: `v != v` may fold to false, and
// max, min, exp and log may give anything for NaN or ±∞ (SwiftShader's max(NaN, 0) is 0, its
// exp(NaN) is ∞, its log(0) is −88). So special values are made from bits passed through a
// function parameter (a call is no constant expression), and NaN and ∞ are recognised by their
// bits: an exponent of all ones, with a fraction (NaN) or without (±∞). Appended to the kernels
// that use it. No module-scope `var<private>` holds the bits: in Chromium on SwiftShader its mere
// presence slowed the register-tiled matmul at 256² by a fifth (bench/README.md).

fn from_bits(bits: u32) -> f32 {
  return bitcast<f32>(bits);
}

fn nan() -> f32 {
  return from_bits(0x7fc00000u);
}

// +∞, or −∞ when `negative`.
fn infinity(negative: bool) -> f32 {
  return from_bits(0x7f800000u | select(0u, 0x80000000u, negative));
}

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn is_inf(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) == 0x7f800000u;
}

fn is_finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) < 0x7f800000u;
}

// The sign bit, set for −0 and −∞ too.
fn is_negative(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x80000000u) != 0u;
}

// max and min that give NaN when either operand is NaN (WGSL's leave that unspecified).
fn max_or_nan(a: f32, b: f32) -> f32 {
  return select(max(a, b), nan(), is_nan(a) || is_nan(b));
}

fn min_or_nan(a: f32, b: f32) -> f32 {
  return select(min(a, b), nan(), is_nan(a) || is_nan(b));
}
