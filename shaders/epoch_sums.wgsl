// Running sums of an epoch's logged values, kept on the GPU so that training reads nothing back
// until the epoch ends: sums[slot] += weight · value[0], with weight the batch size, so that
// sums[slot] / samples is the batch-size-weighted mean over the epoch.

struct Params {
  slot: u32,
  weight: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> value: array<f32>;
@group(0) @binding(2) var<storage, read_write> sums: array<f32>;

@compute @workgroup_size(1)
fn main() {
  sums[p.slot] += p.weight * value[0];
}
