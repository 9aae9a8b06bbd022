// Times webgrad's 2-D convolution kernels in Node on Dawn: the forward pass, the input gradient
// and the filter gradient of a few layer shapes, beside a matmul of the same GEMM (M × K × N),
// on either kernel family. On SwiftShader it also prints GFLOP per CPU-second of SwiftShader's
// worker threads, which stays comparable when other processes share the cores. Build and run:
//   npx esbuild bench/conv-tune.ts --bundle --platform=node --format=esm --loader:.wgsl=text \
//     --external:webgpu --outfile=bench/dist/conv-tune.mjs && node bench/dist/conv-tune.mjs [register|tiled|direct] [name filter]
// `node bench/dist/conv-tune.mjs cnn [batch...]` instead times the benchmark's MNIST CNN training
// step (bench/cnn.ts) and lists the GPU time and dispatches of every kernel in one step.
import { readdirSync, readFileSync } from 'node:fs';
import * as wg from '../src/index';
import { conv2dBackpropFilter, conv2dBackpropInput } from '../src/ops/conv';
import { forceConvKernel } from '../src/ops/conv_kernel';
import { DEFAULT_CNN, makeCnnData } from './cnn';
import { webgradEngine } from './engines/webgrad';

// Dawn's Node binding polls with setImmediate while a promise is pending, a busy loop that takes
// CPU from SwiftShader's workers; its native callbacks run from a 1 ms timer instead.
const immediate = globalThis.setImmediate;
const isNative = (fn: unknown) => typeof fn === 'function' && Function.prototype.toString.call(fn).endsWith('{ [native code] }');
Object.assign(globalThis, {
  setImmediate: (fn: (...a: unknown[]) => void, ...args: unknown[]) => (isNative(fn) ? setTimeout(fn, 1, ...args) : immediate(fn, ...args)),
});

/** CPU milliseconds of every thread but the main one: SwiftShader's workers. */
function workerCpu(): number {
  let ns = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    if (Number(tid) !== process.pid) ns += Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
  }
  return ns / 1e6;
}

const info = await wg.init();
const swiftShader = /swiftshader/i.test(info.adapter);
const keepAlive = setInterval(() => {}, 1000);

async function time(label: string, flop: number, fn: () => wg.Tensor, runs = 5): Promise<void> {
  fn().dispose();
  await wg.sync();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    const c = swiftShader ? workerCpu() : 0;
    fn().dispose();
    await wg.sync();
    wall.push(performance.now() - t);
    if (swiftShader) cpu.push(workerCpu() - c);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const perCpu = swiftShader ? `  ${(flop / median(cpu) / 1e6).toFixed(2).padStart(6)} GFLOP/cpu-s` : '';
  console.log(`${label.padEnd(48)} ${median(wall).toFixed(1).padStart(8)} ms ${(flop / median(wall) / 1e6).toFixed(2).padStart(8)} GFLOP/s${perCpu}`);
}

const cases = [
  { name: 'resnet 32x32x32 -> 64, 3x3, batch 32', batch: 32, size: 32, inC: 32, k: 3, outC: 64, padding: 'same' as const },
  { name: 'mnist conv1 28x28x1 -> 32, 3x3, batch 128', batch: 128, size: 28, inC: 1, k: 3, outC: 32, padding: 'valid' as const },
  { name: 'mnist conv2 13x13x32 -> 64, 3x3, batch 128', batch: 128, size: 13, inC: 32, k: 3, outC: 64, padding: 'valid' as const },
];
/** One CNN training step per batch size: its time, then each kernel's GPU time and dispatches. */
async function profileCnn(batches: number[]): Promise<void> {
  for (const batch of batches) {
    const spec = { ...DEFAULT_CNN[0], batch };
    const step = await webgradEngine.cnnStep(spec, makeCnnData(spec, batch));
    await step.run(3);
    const t = performance.now();
    await step.run(5);
    console.log(`CNN ${spec.filters.join('-')}, batch ${batch}: ${((performance.now() - t) / 5).toFixed(1)} ms per step`);
    const kernels = await wg.profile(() => step.run(1));
    for (const k of kernels) console.log(`  ${k.kernel.padEnd(48)} ${String(k.calls).padStart(3)} × ${k.ms.toFixed(2).padStart(8)} ms`);
    console.log(`  ${kernels.reduce((n, k) => n + k.calls, 0)} dispatches, ${kernels.reduce((ms, k) => ms + k.ms, 0).toFixed(1)} ms of GPU time`);
    step.dispose();
  }
}

const [kernels = 'register', only] = process.argv.slice(2);
if (kernels === 'cnn') await profileCnn(process.argv.slice(3).map(Number).filter((n) => n > 0).concat(process.argv.length > 3 ? [] : [32, 128]));
for (const kernel of (kernels === 'cnn' ? [] : kernels.split(',')) as Array<'register' | 'tiled' | 'direct'>) {
  forceConvKernel(kernel);
  for (const c of cases) {
    if (only && !c.name.includes(only)) continue;
    const x = wg.randomNormal([c.batch, c.size, c.size, c.inC], { seed: 1 });
    const f = wg.randomNormal([c.k, c.k, c.inC, c.outC], { seed: 2 });
    const y = wg.conv2d(x, f, { padding: c.padding });
    const dy = wg.randomNormal([...y.shape], { seed: 3 });
    const spec = { strides: [1, 1] as [number, number], dilations: [1, 1] as [number, number], padding: c.padding };
    const [M, K, N] = [y.size / c.outC, c.k * c.k * c.inC, c.outC];
    const flop = 2 * M * K * N;
    await time(`${kernel} ${c.name}: forward`, flop, () => wg.conv2d(x, f, { padding: c.padding }));
    await time(`${kernel} ${c.name}: input gradient`, flop, () => conv2dBackpropInput(dy, f, x.shape, spec, false));
    await time(`${kernel} ${c.name}: filter gradient`, flop, () => conv2dBackpropFilter(x, dy, f.shape, spec, false));
    const a = wg.randomNormal([M, K]);
    const b = wg.randomNormal([K, N]);
    await time(`matmul ${M}×${K} · ${K}×${N}`, flop, () => wg.matmul(a, b));
    for (const t of [x, f, y, dy, a, b]) t.dispose();
  }
}
clearInterval(keepAlive);
