// Running sums of an epoch's logged values, kept on the GPU so that training reads nothing back
// until the epoch ends. One batch's values arrive packed as
//   values = [compiled loss, metric 1 .. metric m, penalty 1 .. penalty k]
// and are added, weighted by the batch size (so that a sum over samples is the batch-size-weighted
// mean over the epoch), into the log keys [loss, regularizationLoss, metric 1 .. metric m]:
//   sums[base]         += weight · (compiled + P)      P = Σ penalties: Keras's `loss`
//   sums[base + 1]     += weight · P                   the regularization loss
//   sums[base + 1 + i] += weight · metric i
// One dispatch per batch whatever the number of logs; the total loss is summed here, not in
// dispatches of its own.

const WG: u32 = 64u;

struct Params {
  base: u32,
  metrics: u32,
  penalties: u32,
  weight: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> sums: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  if (lid == 0u) {
    var penalty = 0.0;
    for (var i = 0u; i < p.penalties; i++) {
      penalty += values[1u + p.metrics + i];
    }
    sums[p.base] += p.weight * (values[0] + penalty);
    sums[p.base + 1u] += p.weight * penalty;
  }
  for (var i = lid; i < p.metrics; i += WG) {
    sums[p.base + 2u + i] += p.weight * values[1u + i];
  }
}
