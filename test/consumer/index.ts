// A user's TypeScript, compiled by test/package.test.ts against the packed package. Each
// expected error below must occur, so the check also fails if the types decay to `any`.
import * as wg from '@webgrad/core';
import { type History, type Tensor, WebGPUUnavailableError } from '@webgrad/core';

export async function start(): Promise<string> {
  try {
    const info: wg.EngineInfo = await wg.init({ powerPreference: 'high-performance' });
    const device: GPUDevice = wg.getDevice();
    return `${info.adapter}: ${device.limits.maxStorageBufferBindingSize}`;
  } catch (e) {
    if (e instanceof WebGPUUnavailableError) return e.message;
    throw e;
  }
}

const t: Tensor = wg.tensor([[1, 2]]);
export const shape: readonly number[] = t.shape;
// @ts-expect-error a shape is readonly number[], not a string
export const wrong: string = wg.tensor([[1, 2]]).shape;
export const values: Promise<Float32Array> = t.matmul(wg.ones([2, 1])).relu().data();

// @ts-expect-error dense's option is `units`
wg.layers.dense({ unit: 3 });
// @ts-expect-error an activation name that does not exist
wg.layers.dense({ units: 3, activation: 'relu6' });

const model = wg.sequential({ layers: [wg.layers.dense({ units: 1, inputShape: [2], kernelRegularizer: wg.regularizers.l2(1e-3) })] });
model.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
export async function train(): Promise<number[]> {
  const history: History = await model.fit(t, [[1]], { epochs: 2, batchSize: 1 });
  // @ts-expect-error fit resolves to a History, not a number
  const n: number = await model.fit(t, [[1]]);
  const penalties: Tensor[] = model.losses;
  return [n, penalties.length, ...history.history.loss];
}
