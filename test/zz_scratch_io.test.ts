import { it } from 'vitest';
import * as wg from '../src';
import { randomArray } from './helpers';
it('timing', async () => {
  const model = wg.sequential({ layers: [wg.layers.dense({ units: 16, inputShape: [8], activation: 'relu', kernelRegularizer: wg.regularizers.l2(1e-3) }), wg.layers.dense({ units: 1 })] });
  model.compile({ optimizer: 'adam', loss: 'mse' });
  const x = wg.tensor(randomArray(32 * 8, 1), [32, 8]); const y = wg.tensor(randomArray(32, 2), [32, 1]);
  for (let i = 0; i < 50; i++) await model.trainOnBatch(x, y);
  let t = performance.now();
  for (let i = 0; i < 500; i++) await model.trainOnBatch(x, y);
  console.log('trainOnBatch ms', (performance.now() - t) / 500);
  t = performance.now();
  for (let i = 0; i < 500; i++) { const s = wg.sum(wg.mul(x, 0)); await s.data(); s.dispose(); }
  console.log('check-like readback ms', (performance.now() - t) / 500);
  t = performance.now();
  for (let i = 0; i < 500; i++) { const s = wg.scalar(1); await s.data(); s.dispose(); }
  console.log('plain readback ms', (performance.now() - t) / 500);
});
