// Tuning harness for the matmul kernels in shaders/: raw WebGPU through Dawn, no engine code.
// Every config is first checked against a plain JS matmul on odd shapes (transposes, broadcast
// batches, K = 1), then timed at 256², 512², 1024² (median of several runs, GPU work awaited).
//
//   node bench/matmul-tune.mjs [--only SUBSTR] [--sizes 256,512,1024] [--runs 5] [--no-check]
//                              [--shaders DIR] [--batch]
// On a machine with a real GPU, pack it with ../shared/gpu/pack.sh and pass --shaders.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    only: { type: 'string' },
    sizes: { type: 'string', default: '256,512,1024' },
    runs: { type: 'string', default: '5' },
    'no-check': { type: 'boolean', default: false },
    shaders: { type: 'string' },
  },
});

process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
process.env.XDG_RUNTIME_DIR ??= '/tmp';
const { create, globals } = await import('webgpu');
Object.assign(globalThis, globals);
// Keep the GPU object referenced: once it is garbage-collected, Dawn stops delivering events and
// every pending promise (mapAsync, onSubmittedWorkDone) hangs or the process dies on exit.
const gpu = create(process.env.DAWN_FLAGS ? [process.env.DAWN_FLAGS] : []);
const adapter = await gpu.requestAdapter();
const limits = {};
for (const k in adapter.limits) limits[k] = adapter.limits[k];
const requiredFeatures = ['subgroups'].filter((f) => adapter.features.has(f));
const device = await adapter.requestDevice({ requiredLimits: limits, requiredFeatures });
const info = adapter.info;
console.log(`adapter: ${info.vendor} ${info.architecture} ${info.device} ${info.description}`);

const shaderDir = opt.shaders ?? fileURLToPath(new URL('../shaders/', import.meta.url));
const modules = new Map();
function shaderModule(name) {
  if (!modules.has(name)) {
    modules.set(name, device.createShaderModule({ code: readFileSync(`${shaderDir}/${name}.wgsl`, 'utf8') }));
  }
  return modules.get(name);
}

// Each config: which shader, its override constants, and the output tile one workgroup covers.
const reg = (rows, colVecs, wgX, wgY) => ({
  name: `matmul ${rows}x${colVecs * 4} wg${wgX}x${wgY}`,
  shader: 'matmul',
  constants: { ROWS: rows, COL_VECS: colVecs, WG_X: wgX, WG_Y: wgY },
  tile: [rows * wgY, colVecs * 4 * wgX],
});
const configs = [reg(4, 1, 8, 8), reg(8, 2, 8, 8), reg(8, 4, 8, 8)];
for (const [r, v] of [[4, 1], [4, 2], [4, 4], [8, 2], [8, 4]]) {
  configs.push({ ...reg(r, v, 8, 8), name: `u${r}x${v * 4}`, shader: `u${r}x${v}` });
}
for (const [r, v] of [[8, 2], [4, 2], [8, 4]]) {
  configs.push({ ...reg(r, v, 8, 8), name: `i${r}x${v * 4}`, shader: `i${r}x${v}` });
}
for (const [r, v] of [[8, 2], [16, 2], [8, 4], [16, 1], [4, 4], [16, 4], [32, 2], [16, 3], [12, 2], [24, 2], [8, 3]]) {
  configs.push({ ...reg(r, v, 8, 8), name: `s${r}x${v * 4}`, shader: `s${r}x${v}` });
}
for (const [g, v] of [[4, 2], [2, 4], [2, 2], [4, 1], [1, 2], [1, 1]]) {
  configs.push({ ...reg(4 * g, v, 8, 8), name: `m${4 * g}x${v * 4}`, shader: `m${g}x${v}`, bias: true });
}
for (const [g, v] of [[4, 2], [2, 2], [2, 1]]) {
  configs.push({ name: `g${4 * g}x${v * 4}`, shader: 'g', constants: { ROW_GROUPS: g, COL_VECS: v, WG_X: 8, WG_Y: 8 }, tile: [32 * g, 32 * v], bias: true });
}
for (const [x, y] of [[4, 4], [8, 4], [4, 8], [16, 4], [4, 16], [16, 16], [32, 2], [8, 16]]) {
  configs.push({ name: `w${x}x${y}`, shader: 'g', constants: { ROW_GROUPS: 4, COL_VECS: 2, WG_X: x, WG_Y: y }, tile: [16 * y, 8 * x], bias: true });
}
for (const [r, v, a] of [[8, 2, 0], [8, 2, 1], [4, 4, 1], [8, 4, 1], [4, 2, 1]]) {
  configs.push({ ...reg(r, v, 8, 8), name: `v${r}x${v * 4}a${a}`, shader: `v${r}x${v}a${a}` });
}

const pipelines = new Map();
function pipeline(cfg, tA, tB) {
  const key = `${cfg.name}|${tA}|${tB}`;
  if (!pipelines.has(key)) {
    const constants = { ...cfg.constants, TRANSPOSE_A: tA ? 1 : 0, TRANSPOSE_B: tB ? 1 : 0 };
    pipelines.set(key, device.createComputePipeline({
      layout: 'auto',
      compute: { module: shaderModule(cfg.shader), entryPoint: 'main', constants },
    }));
  }
  return pipelines.get(key);
}

function storage(data) {
  const buf = device.createBuffer({
    size: Math.max(16, data.byteLength),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(buf, 0, data);
  return buf;
}

// Params { M, N, K, aBatchStride, bBatchStride } as packed u32s.
function bindGroup(cfg, pipe, d, a, b, c) {
  const params = device.createBuffer({ size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(params, 0, new Uint32Array([d.M, d.N, d.K, d.aBatchStride, d.bBatchStride, 0, 0, 0]));
  const entries = (cfg.bias ? [params, a, b, c, a] : [params, a, b, c]).map((buffer, binding) => ({ binding, resource: { buffer } }));
  return device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries });
}

function encode(enc, cfg, d, group, pipe) {
  const pass = enc.beginComputePass();
  pass.setPipeline(pipe);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(Math.ceil(d.N / cfg.tile[1]), Math.ceil(d.M / cfg.tile[0]), d.batch);
  pass.end();
}

async function readback(buf, size) {
  const staging = device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buf, 0, staging, 0, size);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.destroy();
  return out;
}

function random(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

// The reference: C[b][m][n] = Σ_k A(b, m, k) · B(b, k, n), operands read through their layouts.
function reference(d, a, b) {
  const { batch, M, N, K } = d;
  const c = new Float32Array(batch * M * N);
  for (let z = 0; z < batch; z++) {
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const av = a[z * d.aBatchStride + (d.transposeA ? k * M + m : m * K + k)];
          const bv = b[z * d.bBatchStride + (d.transposeB ? n * K + k : k * N + n)];
          s += av * bv;
        }
        c[(z * M + m) * N + n] = s;
      }
    }
  }
  return c;
}

function dims(batch, M, N, K, transposeA, transposeB, broadcast = '') {
  return {
    batch, M, N, K, transposeA, transposeB,
    aBatchStride: broadcast.includes('a') ? 0 : M * K,
    bBatchStride: broadcast.includes('b') ? 0 : K * N,
  };
}

const checkShapes = [
  dims(1, 1, 1, 1, false, false),
  dims(1, 3, 17, 1, false, false),
  dims(1, 17, 3, 33, true, false),
  dims(1, 33, 129, 17, false, true),
  dims(1, 129, 33, 257, true, true),
  dims(1, 257, 65, 9, false, false),
  dims(1, 64, 64, 64, false, false),
  dims(1, 130, 257, 31, true, true),
  dims(3, 17, 33, 5, false, false),
  dims(2, 33, 17, 65, true, false, 'b'),
  dims(4, 9, 31, 17, false, true, 'a'),
  dims(2, 5, 7, 3, true, true, 'ab'),
];

async function check(cfg) {
  for (const d of checkShapes) {
    const aLen = d.aBatchStride ? d.batch * d.aBatchStride : d.M * d.K;
    const bLen = d.bBatchStride ? d.batch * d.bBatchStride : d.K * d.N;
    const aData = random(aLen, 1 + d.M), bData = random(bLen, 7 + d.N);
    const a = storage(aData), b = storage(bData);
    const cSize = 4 * d.batch * d.M * d.N;
    const c = storage(new Float32Array(cSize / 4).fill(NaN));
    const pipe = pipeline(cfg, d.transposeA, d.transposeB);
    const enc = device.createCommandEncoder();
    encode(enc, cfg, d, bindGroup(cfg, pipe, d, a, b, c), pipe);
    device.queue.submit([enc.finish()]);
    const got = await readback(c, cSize);
    const want = reference(d, aData, bData);
    for (let i = 0; i < want.length; i++) {
      if (!(Math.abs(got[i] - want[i]) <= 1e-4 * (1 + Math.abs(want[i])) * Math.sqrt(d.K))) {
        throw new Error(`${cfg.name}: wrong at ${i} for ${JSON.stringify(d)}: ${got[i]} vs ${want[i]}`);
      }
    }
    for (const buf of [a, b, c]) buf.destroy();
  }
}

// CPU milliseconds spent by SwiftShader's worker threads (every thread but the main one, which
// only polls), from the kernel's nanosecond run-time counters: on a shared machine this is
// steadier than wall time for comparing kernels.
function workerCpu() {
  let ns = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    if (Number(tid) !== process.pid) ns += Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
  }
  return ns / 1e6;
}

async function time(cfg, size, runs) {
  const d = dims(1, size, size, size, false, false);
  const a = storage(random(size * size, 3)), b = storage(random(size * size, 5));
  const c = storage(new Float32Array(size * size));
  const pipe = pipeline(cfg, false, false);
  const group = bindGroup(cfg, pipe, d, a, b, c);
  // Several dispatches per submit at small sizes, so submit latency does not dominate.
  const perSubmit = Math.max(1, Math.round((512 / size) ** 3));
  const once = async () => {
    const enc = device.createCommandEncoder();
    for (let i = 0; i < perSubmit; i++) encode(enc, cfg, d, group, pipe);
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
  };
  await once();
  const times = [], cpuTimes = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now(), c0 = workerCpu();
    await once();
    times.push((performance.now() - t0) / perSubmit);
    cpuTimes.push((workerCpu() - c0) / perSubmit);
  }
  for (const buf of [a, b, c]) buf.destroy();
  const median = (xs) => xs.sort((x, y) => x - y)[xs.length >> 1];
  return [(2 * size ** 3) / (median(times) * 1e6), (2 * size ** 3) / (median(cpuTimes) * 1e6)];
}

const sizes = opt.sizes.split(',').map(Number);
for (const cfg of configs) {
  if (opt.only && !cfg.name.includes(opt.only)) continue;
  if (!opt['no-check']) await check(cfg);
  const gflops = [];
  for (const s of sizes) {
    const [wall, cpu] = await time(cfg, s, Number(opt.runs));
    gflops.push(`${s}: ${wall.toFixed(2)} (${cpu.toFixed(2)}/cpu-s)`);
  }
  console.log(`${cfg.name.padEnd(36)} ${opt['no-check'] ? '' : 'ok  '}GFLOP/s ${gflops.join('  ')}`);
}
