// Linear regression with the low-level API: tensors, a GradientTape and an optimizer.
// In your own project: `npm install @webgrad/core webgpu`, then `node node-regression.mjs`.
import * as wg from '@webgrad/core';

const info = await wg.init(); // Dawn from the `webgpu` package in Node
console.log(`adapter: ${info.adapter}`);

// 256 samples of y = 3·x₀ − 2·x₁ + 1, plus a little noise.
const n = 256;
const x = wg.randomUniform([n, 2], { minval: -1, maxval: 1, seed: 1 });
const noise = wg.randomNormal([n, 1], { stddev: 0.01, seed: 2 });
const y = wg.tidy(() => wg.add(wg.add(wg.matmul(x, wg.tensor([[3], [-2]])), 1), noise));

const w = wg.variable(wg.zeros([2, 1]), { name: 'w' });
const b = wg.variable(wg.zeros([1]), { name: 'b' });
const optimizer = wg.optimizers.sgd({ learningRate: 0.2 });

for (let step = 1; step <= 100; step++) {
  // tidy frees every tensor made inside except the one returned; variables and the
  // optimizer's state live on.
  const loss = wg.tidy(() => {
    const tape = new wg.GradientTape();
    const mse = tape.record(() => wg.mean(wg.square(wg.sub(wg.add(wg.matmul(x, w), b), y))));
    optimizer.applyGradients(tape.gradient(mse, [w, b]), [w, b]);
    return mse;
  });
  // Reading a value back waits for the GPU, so read only now and then.
  if (step === 1 || step % 25 === 0) console.log(`step ${step}: loss ${(await loss.data())[0].toFixed(6)}`);
  loss.dispose();
}

const [w0, w1] = await w.data();
const [b0] = await b.data();
console.log(`learned: w = [${w0.toFixed(3)}, ${w1.toFixed(3)}], b = ${b0.toFixed(3)} (true: [3, -2], 1)`);
