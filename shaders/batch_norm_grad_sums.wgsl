// The parameter gradients of shaders/batch_norm.wgsl, second pass: one invocation per channel
// adds up the chunks' sums (shaders/batch_norm_grad_partial.wgsl):
//   dγ_c = Σ_k partials[k, 0, c] = Σ dy·x̂,  dβ_c = Σ_k partials[k, 1, c] = Σ dy.

const WG: u32 = 64u;

struct Params {
  channels: u32,
  chunks: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> dGamma: array<f32>;
@group(0) @binding(3) var<storage, read_write> dBeta: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = gid.x + gid.y * nwg.x * WG;
  if (c >= p.channels) { return; }
  var dyXhat = 0.0;
  var dySum = 0.0;
  for (var k = 0u; k < p.chunks; k++) {
    dyXhat += partials[2u * k * p.channels + c];
    dySum += partials[(2u * k + 1u) * p.channels + c];
  }
  dGamma[c] = dyXhat;
  dBeta[c] = dySum;
}
