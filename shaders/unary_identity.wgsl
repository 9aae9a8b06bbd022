// unary_f for a kernel built without an elementwise function (ACTIVATION 0): the identity, so a
// plain product carries none of unary_math.wgsl's code, which slowed the register-tiled matmul
// at 256² by a fifth in Chromium on SwiftShader even where no branch reached it
// (bench/README.md). Any other code gives NaN. Appended, with float_bits.wgsl, in place of
// unary_math.wgsl.
fn unary_f(op: u32, v: f32, a: f32, b: f32) -> f32 {
  return select(nan(), v, op == 0u);
}
