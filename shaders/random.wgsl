// Seeded random numbers, counter-based: element i depends only on (seed, i), so a seed gives the
// same tensor on every adapter and dispatch layout.
// Bits come from the PCG hash (Jarzynski & Olano, "Hash Functions for GPU Rendering", 2020)
// applied to the counter mixed with both seed words.
// DIST: 0 = uniform in [lo, hi), 1 = normal with mean lo and stddev hi (Box–Muller),
//       2 = truncated normal: like 1, redrawn (up to 16 times) until within two stddevs.

override DIST: u32 = 0u;
const WG: u32 = 64u;

struct Params {
  n: u32,
  seed_lo: u32,
  seed_hi: u32,
  lo: f32,
  hi: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

// A float in (0, 1) from the top 24 bits (never 0, so log() below stays finite).
fn unit(counter: u32) -> f32 {
  let bits = pcg(pcg(counter ^ p.seed_lo) + p.seed_hi);
  return (f32(bits >> 8u) + 0.5) / 16777216.0;
}

fn normal(counter: u32) -> f32 {
  let u1 = unit(2u * counter);
  let u2 = unit(2u * counter + 1u);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  if (DIST == 0u) {
    out[i] = p.lo + (p.hi - p.lo) * unit(i);
  } else if (DIST == 1u) {
    out[i] = p.lo + p.hi * normal(i);
  } else {
    var z = normal(i);
    for (var k = 1u; k < 16u && abs(z) > 2.0; k++) {
      z = normal(i + k * p.n);
    }
    out[i] = p.lo + p.hi * clamp(z, -2.0, 2.0);
  }
}
