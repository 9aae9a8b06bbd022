// Tuning harness for the matmul kernels in shaders/: raw WebGPU through Dawn, no engine code.
// Each config is first checked against a plain JS matmul on odd shapes (transposes, broadcast
// batches, K = 1, bias on and off), then timed on square matrices: the median over several
// submits, each awaited with queue.onSubmittedWorkDone.
//
//   node bench/matmul-tune.mjs [--only SUBSTR] [--sizes 256,512,1024] [--runs 5] [--no-check]
//                              [--transpose a|b|ab] [--throttle-poll] [--shaders DIR] [--scalar]
// On SwiftShader each line also gives GFLOP per CPU-second of its worker threads, which stays
// comparable between configs when other processes share the cores. For a machine with a real GPU,
// bundle this file with ../shared/gpu/pack.sh and pass --shaders /path/to/shaders.
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
    transpose: { type: 'string', default: '' }, // 'a', 'b' or 'ab': time op(A), op(B) transposed
    'throttle-poll': { type: 'boolean', default: false },
    scalar: { type: 'boolean', default: false }, // tiled kernel: 'main' even where 'main4' applies
  },
});

// While a promise is pending, Dawn's Node binding re-queues its event polling with setImmediate,
// a busy loop that takes about a third of a core from SwiftShader's workers. With --throttle-poll
// the native callbacks Dawn schedules run from a 1 ms timer instead.
if (opt['throttle-poll']) {
  const immediate = globalThis.setImmediate;
  const isNative = (fn) => Function.prototype.toString.call(fn).endsWith('{ [native code] }');
  globalThis.setImmediate = (fn, ...args) => (isNative(fn) ? setTimeout(fn, 1, ...args) : immediate(fn, ...args));
}

process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
process.env.XDG_RUNTIME_DIR ??= '/tmp';
const { create, globals } = await import('webgpu');
Object.assign(globalThis, globals);
// Keep the GPU object reachable for the whole run: once it is garbage-collected, Dawn stops
// delivering events, pending promises (mapAsync, onSubmittedWorkDone) never settle and Node exits
// mid-run. A module-level const is not enough, since nothing reads it later.
globalThis.dawnGpu = create([]);
const adapter = await globalThis.dawnGpu.requestAdapter();
const limits = {};
for (const k in adapter.limits) limits[k] = adapter.limits[k];
const requiredFeatures = ['subgroups'].filter((f) => adapter.features.has(f));
const device = await adapter.requestDevice({ requiredLimits: limits, requiredFeatures });
const info = adapter.info;
const isSwiftShader = /swiftshader/i.test(`${info.vendor} ${info.architecture} ${info.description}`);
console.log(`adapter: ${info.vendor} ${info.architecture} ${info.description}; features: ${requiredFeatures}`);

const shaderDir = opt.shaders ?? fileURLToPath(new URL('../shaders/', import.meta.url));
const modules = new Map();
function shaderModule(name) {
  if (!modules.has(name)) {
    // A plain product's epilogue, as the library compiles it (src/kernels/matmul.ts): the identity
    // (which needs float_bits.wgsl's nan()).
    const code = [name, 'unary_identity', 'float_bits'].map((f) => readFileSync(`${shaderDir}/${f}.wgsl`, 'utf8')).join('\n');
    modules.set(name, device.createShaderModule({ code }));
  }
  return modules.get(name);
}

// A config: shader, override constants, the C tile one workgroup covers, and (tiled only) the K step.
const register = (rowGroups, colVecs, wgX, wgY) => ({
  name: `matmul ${4 * rowGroups}x${4 * colVecs} wg${wgX}x${wgY}`,
  shader: 'matmul',
  constants: { ROW_GROUPS: rowGroups, COL_VECS: colVecs, WG_X: wgX, WG_Y: wgY },
  tile: [4 * rowGroups * wgY, 4 * colVecs * wgX, 1],
});
const tiled = (threadRows, wgX, wgY, tileK) => ({
  name: `tiled ${threadRows}x4 wg${wgX}x${wgY} k${tileK}`,
  shader: 'matmul_tiled',
  constants: { THREAD_ROWS: threadRows, WG_X: wgX, WG_Y: wgY, TILE_K: tileK },
  tile: [threadRows * wgY, 4 * wgX, tileK],
});
const configs = [
  register(4, 2, 8, 4), register(4, 2, 4, 4), register(4, 2, 8, 8), register(2, 2, 8, 4),
  register(4, 1, 8, 4), register(2, 1, 8, 4), register(1, 2, 8, 4), register(1, 1, 8, 4),
  tiled(8, 16, 16, 8), tiled(8, 16, 16, 16), tiled(4, 16, 16, 16), tiled(4, 16, 16, 32),
  tiled(8, 8, 8, 16), tiled(4, 8, 8, 16),
].filter((cfg) => {
  const [tm, tn, tk] = cfg.tile;
  const fits = cfg.shader !== 'matmul_tiled' || 4 * tk * (tm + tn) <= device.limits.maxComputeWorkgroupStorageSize;
  const runs = cfg.shader !== 'matmul' || requiredFeatures.includes('subgroups');
  return fits && runs && (!opt.only || cfg.name.includes(opt.only));
});

// The tiled kernel's vec4 entry where each operand's contiguous dimension and C's rows come in
// whole vec4s, as src/ops/matmul_kernel.ts chooses (--scalar keeps 'main').
function entryFor(cfg, d) {
  if (cfg.shader !== 'matmul_tiled' || opt.scalar) return 'main';
  const aligned = (d.transposeA ? d.M : d.K) % 4 === 0 && (d.transposeB ? d.K : d.N) % 4 === 0 && d.N % 4 === 0;
  return aligned ? 'main4' : 'main';
}

const pipelines = new Map();
function pipeline(cfg, d, flags) {
  const constants = { ...cfg.constants, TRANSPOSE_A: +d.transposeA, TRANSPOSE_B: +d.transposeB, ...flags };
  const entryPoint = entryFor(cfg, d);
  const key = `${cfg.name}|${entryPoint}|${JSON.stringify(constants)}`;
  if (!pipelines.has(key)) {
    pipelines.set(key, device.createComputePipeline({
      layout: 'auto',
      compute: { module: shaderModule(cfg.shader), entryPoint, constants },
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

// Uniform Params { M, N, K, aBatchStride, bBatchStride, group offsets, batch, kSlice } (K whole:
// no split); bindings 0..4 = params, A, B, C, bias (A stands in for an unused bias).
function bindGroup(pipe, d, a, b, c, bias = a) {
  const params = device.createBuffer({ size: 48, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(params, 0, new Uint32Array([d.M, d.N, d.K, d.aBatchStride, d.bBatchStride, 0, 0, 0, d.batch, d.K, 0, 0]));
  const entries = [params, a, b, c, bias].map((buffer, binding) => ({ binding, resource: { buffer } }));
  return device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries });
}

function encode(enc, cfg, d, pipe, group) {
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

// C[z][m][n] = bias[n] + Σ_k A(z, m, k) · B(z, k, n), each operand read through its own layout.
function reference(d, a, b, bias) {
  const { batch, M, N, K } = d;
  const c = new Float32Array(batch * M * N);
  for (let z = 0; z < batch; z++) {
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = bias ? bias[n] : 0;
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

// broadcast: 'a' and/or 'b' store a single matrix that every batch entry shares (stride 0).
function dims(batch, M, N, K, transposeA, transposeB, broadcast = '') {
  return {
    batch, M, N, K, transposeA, transposeB,
    aBatchStride: broadcast.includes('a') ? 0 : M * K,
    bBatchStride: broadcast.includes('b') ? 0 : K * N,
  };
}

const oddShapes = [
  dims(1, 1, 1, 1, false, false),
  dims(1, 3, 17, 1, false, false),
  dims(1, 17, 3, 33, true, false),
  dims(1, 33, 129, 17, false, true),
  dims(1, 129, 33, 257, true, true),
  dims(1, 257, 65, 9, false, false),
  dims(1, 1, 257, 31, false, false),
  dims(1, 64, 64, 64, false, false),
  dims(1, 130, 257, 31, true, true),
  dims(3, 17, 33, 5, false, false),
  dims(2, 33, 17, 65, true, false, 'b'),
  dims(4, 9, 31, 17, false, true, 'a'),
  dims(2, 5, 7, 3, true, true, 'ab'),
];

async function checkOne(cfg, d, flags) {
  const aData = random(d.aBatchStride ? d.batch * d.aBatchStride : d.M * d.K, 1 + d.M);
  const bData = random(d.bBatchStride ? d.batch * d.bBatchStride : d.K * d.N, 7 + d.N);
  const biasData = flags.HAS_BIAS ? random(d.N, 11) : undefined;
  const a = storage(aData), b = storage(bData), bias = biasData ? storage(biasData) : a;
  const c = storage(new Float32Array(d.batch * d.M * d.N).fill(NaN));
  const pipe = pipeline(cfg, d, flags);
  const enc = device.createCommandEncoder();
  encode(enc, cfg, d, pipe, bindGroup(pipe, d, a, b, c, bias));
  device.queue.submit([enc.finish()]);
  const got = await readback(c, 4 * d.batch * d.M * d.N);
  const want = reference(d, aData, bData, biasData);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= 1e-5 * (1 + Math.abs(want[i])) * Math.sqrt(d.K + 1))) {
      throw new Error(`${cfg.name} ${JSON.stringify(flags)}: C[${i}] = ${got[i]}, want ${want[i]}, for ${JSON.stringify(d)}`);
    }
  }
  for (const buf of new Set([a, b, c, bias])) buf.destroy();
}

async function check(cfg) {
  for (const [i, d] of oddShapes.entries()) await checkOne(cfg, d, { HAS_BIAS: i % 2 });
  if (cfg.shader === 'matmul_tiled') {
    const [tm, tn, tk] = cfg.tile;
    for (const [tA, tB] of [[false, false], [true, true]]) {
      await checkOne(cfg, dims(2, 2 * tm, tn, 3 * tk, tA, tB), { EDGE_CHECKS: 0, HAS_BIAS: +tA });
    }
  }
}

// CPU milliseconds of every thread but the main one (which only polls), from the kernel's
// nanosecond counters: SwiftShader's workers are those threads.
function workerCpu() {
  let ns = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    if (Number(tid) !== process.pid) ns += Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
  }
  return ns / 1e6;
}

async function time(cfg, size, runs) {
  const d = dims(1, size, size, size, opt.transpose.includes('a'), opt.transpose.includes('b'));
  const a = storage(random(size * size, 3)), b = storage(random(size * size, 5));
  const c = storage(new Float32Array(size * size));
  const aligned = size % cfg.tile[0] === 0 && size % cfg.tile[1] === 0 && size % cfg.tile[2] === 0;
  const pipe = pipeline(cfg, d, cfg.shader === 'matmul_tiled' ? { EDGE_CHECKS: +!aligned } : {});
  const group = bindGroup(pipe, d, a, b, c);
  const submit = async (count) => {
    const enc = device.createCommandEncoder();
    for (let i = 0; i < count; i++) encode(enc, cfg, d, pipe, group);
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
  };
  // Enough dispatches per submit that each timed submit takes ~50 ms: submit latency stays small.
  let t0 = performance.now();
  await submit(1);
  t0 = performance.now();
  await submit(1);
  const perSubmit = Math.min(500, Math.max(1, Math.ceil(50 / (performance.now() - t0))));
  const wall = [], cpu = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now(), c0 = workerCpu();
    await submit(perSubmit);
    wall.push((performance.now() - t) / perSubmit);
    cpu.push((workerCpu() - c0) / perSubmit);
  }
  for (const buf of [a, b, c]) buf.destroy();
  const median = (xs) => xs.sort((x, y) => x - y)[xs.length >> 1];
  const flop = 2 * size ** 3;
  return isSwiftShader
    ? `${(flop / median(wall) / 1e6).toFixed(2)} (${(flop / median(cpu) / 1e6).toFixed(2)}/cpu-s)`
    : `${(flop / median(wall) / 1e6).toFixed(0)}`;
}

const sizes = opt.sizes.split(',').map(Number);
console.log(`GFLOP/s at ${sizes.join(', ')}${opt.transpose ? `, transposed ${opt.transpose}` : ''} (median of ${opt.runs})`);
for (const cfg of configs) {
  if (!opt['no-check']) await check(cfg);
  const results = [];
  for (const s of sizes) results.push(`${s}: ${await time(cfg, s, Number(opt.runs))}`);
  console.log(`${cfg.name.padEnd(28)} ${opt['no-check'] ? '' : 'ok  '}${results.join('  ')}`);
}
device.destroy();
