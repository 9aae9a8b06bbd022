// One CNN training step with batch normalization, in Node on Dawn: conv2d 3×3 16 → batchNormalization
// → relu → maxPooling2d → flatten → dense 10 on 28×28×1, batch 64, sgd, softmax cross-entropy.
// Prints dispatches per step, the wall time of `trainOnBatch` (median), and `wg.profile`'s GPU time
// of one step by kernel (the batch normalization's kernels and the whole step).
//
//   npx esbuild bench/batch_norm.ts --bundle --platform=node --format=esm --loader:.wgsl=text \
//     --external:webgpu --outfile=bench/dist/batch_norm.mjs && node bench/dist/batch_norm.mjs [steps]
import * as wg from '../src/index';

const STEPS = Number(process.argv[2] ?? 8);
process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
const { create, globals } = await import('webgpu');
Object.assign(globalThis, globals);
const gpu = create([]); // held for the life of the process
await wg.init({ gpu });
const keepAlive = setInterval(() => {}, 1000);

const batch = 64;
const model = wg.sequential({
  layers: [
    wg.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', inputShape: [28, 28, 1] }),
    wg.layers.batchNormalization(),
    wg.layers.activation({ activation: 'relu' }),
    wg.layers.maxPooling2d({ poolSize: 2 }),
    wg.layers.flatten(),
    wg.layers.dense({ units: 10, activation: 'softmax' }),
  ],
});
model.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.01 }), loss: 'categoricalCrossentropy' });
const x = wg.randomUniform([batch, 28, 28, 1], { seed: 1 });
const labels = wg.oneHot(Float32Array.from({ length: batch }, (_, i) => i % 10), 10);

for (let i = 0; i < 3; i++) await model.trainOnBatch(x, labels); // compile pipelines, capture the step
const before = wg.memory().numDispatches;
await model.trainOnBatch(x, labels);
const dispatches = wg.memory().numDispatches - before;
const times: number[] = [];
for (let i = 0; i < STEPS; i++) {
  const t0 = performance.now();
  await model.trainOnBatch(x, labels);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const kernels = await wg.profile(() => model.trainOnBatch(x, labels));
const total = kernels.reduce((s, k) => s + k.ms, 0);
console.log(`dispatches/step ${dispatches}, trainOnBatch median ${times[times.length >> 1].toFixed(1)} ms (of ${STEPS}), GPU ${total.toFixed(1)} ms/step`);
for (const k of kernels) console.log(`  ${k.kernel.padEnd(28)} ${String(k.calls).padStart(3)} × ${k.ms.toFixed(2).padStart(8)} ms`);
clearInterval(keepAlive);
model.dispose();
