// out[r, c] = onValue where idx[r] = c, else offValue: one row of `depth` per index. Indices are
// int32, or float32 values holding integers (`Index` is set per launch from their dtype); one
// outside [0, depth), or not an integer, matches no column and gives a row of offValue.

alias Index = f32;
const WG: u32 = 64u;

struct Params {
  n: u32,                  // indices · depth
  depth: u32,
  onValue: f32,
  offValue: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> idx: array<Index>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let hit = idx[i / p.depth] == Index(i % p.depth);
  out[i] = select(p.offValue, p.onValue, hit);
}
