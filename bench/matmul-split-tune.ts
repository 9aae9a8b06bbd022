// Split-K tuning: wall time of plain products xᵀ·dy (a weight gradient's layout: x [K, M],
// dy [K, N]) for each number of K slices, the product and the sum of its slices together, each
// run awaited with wg.sync(). Node on Dawn:
//   npx esbuild bench/matmul-split-tune.ts --bundle --platform=node --format=esm --external:webgpu \
//     --loader:.wgsl=text --outfile=bench/dist/split-tune.mjs
//   node bench/dist/split-tune.mjs [MxNxK,...] [slices,...] [products per timing]
// Slice counts alternate within each of three rounds, so load from other processes spreads over
// all of them. Wall time, not wg.profile: SwiftShader's timestamps did not show the split's gain.
// The CPU time of the process over wall time shows whether the split found a second core.
import * as wg from '../src';
import { forceMatmulSlices } from '../src/ops/matmul_kernel';

// Dawn's Node binding polls with setImmediate while a promise is pending, a busy loop that takes
// CPU from SwiftShader's workers (bench/README.md, "Dawn's polling"): poll from a 1 ms timer.
const immediate = globalThis.setImmediate;
const isNative = (fn: unknown) => Function.prototype.toString.call(fn).endsWith('{ [native code] }');
(globalThis as { setImmediate: unknown }).setImmediate = (fn: (...args: unknown[]) => void, ...args: unknown[]) =>
  isNative(fn) ? setTimeout(fn, 1, ...args) : immediate(fn, ...args);

const shapes = (process.argv[2] ?? '64x64x1024,64x256x1024,64x64x4096').split(',').map((s) => s.split('x').map(Number));
const sliceCounts = (process.argv[3] ?? '1,2,4,8').split(',').map(Number);
const reps = Number(process.argv[4] ?? 20);

await wg.init();
for (const [M, N, K] of shapes) {
  const x = wg.randomNormal([K, M]);
  const dy = wg.randomNormal([K, N]);
  const lines = new Map<number, string[]>(sliceCounts.map((s) => [s, []]));
  for (let round = 0; round < 3; round++) {
    for (const s of sliceCounts) {
      forceMatmulSlices(s);
      wg.matmul(x, dy, { transposeA: true }).dispose();
      await wg.sync();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) wg.matmul(x, dy, { transposeA: true }).dispose();
      await wg.sync();
      const ms = (performance.now() - t0) / reps;
      const cpu = process.cpuUsage(cpu0);
      lines.get(s)!.push(`${ms.toFixed(2)} ms (cpu/wall ${((cpu.user + cpu.system) / 1000 / reps / ms).toFixed(2)})`);
    }
  }
  forceMatmulSlices(undefined);
  for (const s of sliceCounts) console.log(`${M}×${N}×${K}, ${s} slice${s > 1 ? 's' : ''}: ${lines.get(s)!.join(', ')}`);
  x.dispose();
  dy.dispose();
}
process.exit(0);
