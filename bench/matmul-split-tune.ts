// Split-K tuning: GPU time (wg.profile) of plain products with few output tiles and long K, for
// each number of slices, the product and the sum of the slices together. Node on Dawn:
//   npx esbuild bench/matmul-split-tune.ts --bundle --platform=node --format=esm --external:webgpu \
//     --loader:.wgsl=text --outfile=/tmp/split-tune.mjs && node /tmp/split-tune.mjs [rounds] [M×N×K,...] [slices,...]
// Configurations alternate within each round, so load from other processes spreads over all of them.
import * as wg from '../src';
import { forceMatmulSlices } from '../src/ops/matmul_kernel';

const rounds = Number(process.argv[2] ?? 5);
const shapes = (process.argv[3] ?? '64x64x1024,64x256x1024,256x64x1024,64x64x4096').split(',').map((s) => s.split('x').map(Number));
const sliceCounts = (process.argv[4] ?? '1,2,4,8,16,32').split(',').map(Number);

await wg.init();
for (const [M, N, K] of shapes) {
  // The weight gradient's layout: xᵀ·dy with x [K, M] and dy [K, N].
  const x = wg.randomNormal([K, M]);
  const dy = wg.randomNormal([K, N]);
  const times = new Map<number, number[]>(sliceCounts.map((s) => [s, []]));
  const sums = new Map<number, number[]>(sliceCounts.map((s) => [s, []]));
  for (let r = 0; r < rounds; r++) {
    for (const s of sliceCounts) {
      forceMatmulSlices(s);
      const run = () => wg.matmul(x, dy, { transposeA: true }).dispose();
      run();
      await wg.sync();
      const prof = await wg.profile(async () => {
        for (let i = 0; i < 4; i++) run();
        await wg.sync();
      });
      times.get(s)!.push(prof.reduce((t, p) => t + p.ms, 0) / 4);
      sums.get(s)!.push(prof.filter((p) => p.kernel.startsWith('reduce')).reduce((t, p) => t + p.ms, 0) / 4);
    }
  }
  forceMatmulSlices(undefined);
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  console.log(`${M}×${N}×${K}: ` + sliceCounts.map((s) => `S=${s} ${median(times.get(s)!).toFixed(2)} ms (sum ${median(sums.get(s)!).toFixed(2)})`).join(', '));
  x.dispose();
  dy.dispose();
}
process.exit(0);
