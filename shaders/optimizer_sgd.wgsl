// SGD update (Keras 3), four elements at a time (vec4: three times the throughput of scalars on
// SwiftShader; pool buffers are whole 16-byte units, so the last vec4 stays inside the buffer and
// its padding lanes are never read back), in place: reads the gradient and the slot, writes the
// new weight and slot. Weight decay comes first, as in Keras's base optimizer:
//   w ← w − w·decay                  (decay = weight_decay · lr; 0 when unset)
// then
//   plain:     w ← w − lr·g
//   momentum:  m ← μ·m − lr·g,   w ← w + m
//   NESTEROV:  m ← μ·m − lr·g,   w ← w + μ·m − lr·g
// Each workgroup takes a block of BLOCK vec4s, its 64 lanes striding through it (neighbouring
// lanes, neighbouring vec4s): a workgroup has a fixed cost on SwiftShader, and a block of 16 vec4s
// per lane pays it 16 times less often than one per invocation (src/device/kernels.ts,
// elementwiseGrid).

override NESTEROV: bool = false;
const WG: u32 = 64u;
const BLOCK: u32 = 1024u;   // vec4s per workgroup

struct Params {
  n: u32,          // elements: ceil(n / 4) vec4s
  lr: f32,
  momentum: f32,
  decay: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> w: array<vec4f>;
@group(0) @binding(2) var<storage, read> g: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> m: array<vec4f>;

@compute @workgroup_size(WG)
fn plain(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let first = (wid.x + wid.y * nwg.x) * BLOCK;
  let end = min(first + BLOCK, (p.n + 3u) / 4u);
  for (var i = first + lid; i < end; i += WG) {
    let wi = w[i] - w[i] * p.decay;
    w[i] = wi - p.lr * g[i];
  }
}

@compute @workgroup_size(WG)
fn momentum(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let first = (wid.x + wid.y * nwg.x) * BLOCK;
  let end = min(first + BLOCK, (p.n + 3u) / 4u);
  for (var i = first + lid; i < end; i += WG) {
    let wi = w[i] - w[i] * p.decay;
    let step = -p.lr * g[i];
    let mi = p.momentum * m[i] + step;
    m[i] = mi;
    if (NESTEROV) {
      w[i] = wi + p.momentum * mi + step;
    } else {
      w[i] = wi + mi;
    }
  }
}
