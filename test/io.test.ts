import { it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import * as wg from '../src';
it('smoke', async () => {
  await tf.setBackend('cpu');
  const m = wg.sequential({ layers: [
    wg.layers.dense({ units: 5, inputShape: [4], activation: 'relu', kernelRegularizer: wg.regularizers.l1l2({ l1: 0.01, l2: 0.02 }), biasRegularizer: wg.regularizers.l2(0.5) }),
    wg.layers.dropout({ rate: 0.2, seed: 4 }),
    wg.layers.activation({ activation: 'tanh' }),
    wg.layers.dense({ units: 3, activation: 'softmax', trainable: false }),
  ] });
  const a = await m.save();
  console.log(JSON.stringify(a.modelTopology), a.weightSpecs);
  const t = await tf.loadLayersModel(tf.io.fromMemory(a));
  const x = [[1, 2, 3, 4], [0.5, -1, 2, 0]];
  console.log(await (m.predict(x)).array(), (t.predict(tf.tensor(x)) as tf.Tensor).arraySync());
  console.log(t.layers.map(l => [l.name, l.trainable, JSON.stringify(l.getConfig())]));
  const m2 = await wg.loadModel(a);
  console.log(await (m2.predict(x)).array(), JSON.stringify(m2.getConfig()) === JSON.stringify(m.getConfig()));
  const tm = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4], kernelRegularizer: tf.regularizers.l2({ l2: 0.1 }) })] });
  let ta: any;
  await tm.save(tf.io.withSaveHandler(async (art) => { ta = art; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
  const m3 = await wg.loadModel(ta);
  console.log(await (m3.predict(x)).array(), (tm.predict(tf.tensor(x)) as tf.Tensor).arraySync(), JSON.stringify(m3.getConfig()));
  console.log((tm as any).losses, tm.layers[0].losses);
});
