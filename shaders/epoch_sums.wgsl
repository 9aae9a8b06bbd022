// Running sums of an epoch's logged values, kept on the GPU so that training reads nothing back
// until the epoch ends: sums[base + i] += weight · values[i] for the `count` values of one batch
// (loss, penalty, metrics), with weight the batch size, so that a sum over samples is the
// batch-size-weighted mean over the epoch. One dispatch per batch whatever the number of logs.

const WG: u32 = 64u;

struct Params {
  base: u32,
  count: u32,
  weight: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> sums: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  for (var i = lid; i < p.count; i += WG) {
    sums[p.base + i] += p.weight * values[i];
  }
}
