// Batch normalization's statistics, first pass, over x viewed as [rows, channels] (the channel is
// the last axis). The rows are cut into `chunks` chunks of `chunkRows` (the last one shorter), so
// that a large batch spreads over many invocations; one invocation per (chunk k, channel c) writes
// the chunk's mean and sum of squared deviations over its n_k rows:
//   m_k = Σ x / n_k,  s_k = Σ (x − m_k)²,
// to partials[k, 0, c] and partials[k, 1, c]. Two passes over the chunk, not Σx² − n_k·m_k², which
// cancels badly when |m| ≫ σ. Neighbouring invocations read neighbouring channels of a row.

const WG: u32 = 64u;

struct Params {
  rows: u32,
  channels: u32,
  chunkRows: u32,
  chunks: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.chunks * p.channels) { return; }
  let k = i / p.channels;
  let c = i % p.channels;
  let first = k * p.chunkRows;
  let last = min(first + p.chunkRows, p.rows);
  var total = 0.0;
  for (var r = first; r < last; r++) { total += x[r * p.channels + c]; }
  let mean = total / f32(last - first);
  var squares = 0.0;
  for (var r = first; r < last; r++) {
    let d = x[r * p.channels + c] - mean;
    squares += d * d;
  }
  partials[2u * k * p.channels + c] = mean;
  partials[(2u * k + 1u) * p.channels + c] = squares;
}
