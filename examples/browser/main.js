// Trains a small classifier on the page's GPU and prints its progress into the page.
// Bundle and serve (WebGPU needs a secure context: http://localhost or https):
//   npm install @webgrad/core esbuild
//   npx esbuild main.js --bundle --format=esm --outfile=bundle.js --servedir=.
// then open http://localhost:8000/ in a browser with WebGPU (Chrome or Edge 113+).
import * as wg from '@webgrad/core';

const status = document.getElementById('status');
const log = (line) => {
  document.getElementById('log').textContent += `${line}\n`;
};

async function main() {
  const info = await wg.init(); // navigator.gpu
  log(`adapter: ${info.adapter}`);

  // Points inside the unit circle are class 1, the others class 0.
  const x = wg.randomUniform([512, 2], { minval: -1.5, maxval: 1.5, seed: 3 });
  const y = x.square().sum(1, true).less(1); // [512, 1]: 1 where x₀² + x₁² < 1, else 0

  const model = wg.sequential({
    layers: [
      wg.layers.dense({ units: 16, activation: 'tanh', inputShape: [2] }),
      wg.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  });
  model.compile({ optimizer: wg.optimizers.adam({ learningRate: 0.05 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  const history = await model.fit(x, y, {
    epochs: 30,
    batchSize: 64,
    seed: 1,
    callbacks: {
      onEpochEnd: (epoch, logs) => {
        if (epoch % 10 === 9) log(`epoch ${epoch + 1}: loss ${logs.loss.toFixed(4)}, accuracy ${logs.accuracy.toFixed(3)}`);
      },
    },
  });
  const accuracy = history.history.accuracy.at(-1);
  log(`final accuracy ${accuracy.toFixed(3)}`);
  status.value = 'done';
}

main().catch((e) => {
  status.value = `failed: ${e.name}: ${e.message}`;
  throw e;
});
