import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../src';
import { expectClose, randomArray } from './helpers';
import { tfArtifacts } from './tf_reference';

// Saving and loading in the TensorFlow.js layers-model format. TensorFlow.js itself (CPU backend)
// is the independent reference: it must load what webgrad writes and write what webgrad loads,
// with the same predictions, configs and penalties.

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const clone = <T>(a: T): T => structuredClone(a);

async function predictWg(model: wg.Model, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const out = model.predict(wg.tensor(x, shape));
  const values = await out.data();
  out.dispose();
  return values;
}

const predictTf = (model: tf.LayersModel, x: Float32Array, shape: number[]): Float32Array =>
  tf.tidy(() => (model.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync() as Float32Array);

/** Each entry of `model.losses`, read back. */
async function lossValues(model: wg.Layer): Promise<number[]> {
  const losses = model.losses;
  const values = await Promise.all(losses.map(async (l) => (await l.data())[0]));
  for (const l of losses) l.dispose();
  return values;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

/** The penalty formula l1·Σ|w| + l2·Σw² in float64. */
const penalty = (w: ArrayLike<number>, l1: number, l2: number): number =>
  Array.from(w).reduce((acc, v) => acc + l1 * Math.abs(v) + l2 * v * v, 0);

async function weightValues(model: wg.Layer): Promise<Float32Array[]> {
  return Promise.all(model.weights.map((w) => w.data()));
}

/** A small regularized model, trained a few steps so that its weights and biases are its own. */
async function trainedModel(opts: { nested?: boolean; keras3Only?: boolean } = {}): Promise<wg.Sequential> {
  const seed = (s: number) => wg.initializers.glorotUniform({ seed: s });
  const layers: wg.Layer[] = [
    wg.layers.dense({
      units: 6,
      inputShape: [4],
      activation: 'relu',
      kernelInitializer: seed(1),
      kernelRegularizer: wg.regularizers.l1l2({ l1: 0.01, l2: 0.02 }),
      biasRegularizer: wg.regularizers.l2(0.05),
      name: 'hidden',
    }),
    wg.layers.dropout({ rate: 0.25, seed: 9 }),
    wg.layers.activation({ activation: 'tanh' }),
    wg.layers.dense({ units: 5, activation: 'sigmoid', kernelInitializer: seed(2), kernelRegularizer: wg.regularizers.l1(0.003), trainable: false }),
    wg.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: seed(3), biasInitializer: wg.initializers.constant({ value: 0.1 }) }),
  ];
  if (opts.keras3Only) {
    // Keras 3 features TensorFlow.js does not read: an orthogonal regularizer, an activity penalty.
    layers.push(
      wg.layers.dense({
        units: 3,
        activation: 'leakyRelu',
        kernelInitializer: seed(4),
        kernelRegularizer: wg.regularizers.orthogonal({ factor: 0.1, mode: 'columns' }),
        activityRegularizer: wg.regularizers.l2(0.01),
      }),
    );
  }
  const model = opts.nested
    ? wg.sequential({ layers: [layers[0], wg.sequential({ layers: layers.slice(1, 4), name: 'inner' }), ...layers.slice(4)] })
    : wg.sequential({ layers });
  model.compile({ optimizer: wg.optimizers.adam({ learningRate: 0.05 }), loss: 'categoricalCrossentropy' });
  const x = randomArray(16 * 4, 11);
  const y = Float32Array.from({ length: 16 * 3 }, (_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0));
  await model.fit(wg.tensor(x, [16, 4]), wg.tensor(y, [16, 3]), { epochs: 3, batchSize: 8, seed: 5, verbose: 0 });
  return model;
}

const x4 = randomArray(7 * 4, 21, -2, 2);

describe('webgrad → webgrad', () => {
  it('predictions, penalties (weight, orthogonal, activity), configs and trainable flags survive; nested Sequentials too', async () => {
    for (const nested of [false, true]) {
      const model = await trainedModel({ nested, keras3Only: true });
      const artifacts = await model.save();
      expect(artifacts.format).toBe('layers-model');
      expect(artifacts.weightData).toBeInstanceOf(ArrayBuffer);
      const loaded = await wg.loadModel(artifacts);

      expectClose(await predictWg(loaded, x4, [7, 4]), await predictWg(model, x4, [7, 4]), 0, 0);
      expect(loaded.getConfig()).toEqual(model.getConfig());
      expect(loaded.weights.map((w) => [w.name, w.shape, w.trainable])).toEqual(model.weights.map((w) => [w.name, w.shape, w.trainable]));
      expect(loaded.trainableWeights.map((w) => w.name)).toEqual(model.trainableWeights.map((w) => w.name));
      const before = await weightValues(model);
      (await weightValues(loaded)).forEach((w, i) => expectClose(w, before[i], 0, 0));
      // After one apply each, Σ losses holds the same weight, orthogonal and activity penalties.
      for (const m of [model, loaded]) m.apply(wg.tensor(x4, [7, 4])).dispose();
      const [a, b] = [await lossValues(model), await lossValues(loaded)];
      expect(a.length).toBe(4); // two L1L2 (hidden), orthogonal, activity; the frozen layer's L1 counts not
      expectClose(b, a, 1e-6, 1e-9);
      model.dispose();
      loaded.dispose();
    }
  });
});

describe('webgrad → TensorFlow.js', () => {
  it('tf.loadLayersModel reads the artifacts: same predictions, configs, trainable flags and penalties', async () => {
    const model = await trainedModel();
    const artifacts = await model.save();
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));

    expectClose(predictTf(loaded, x4, [7, 4]), await predictWg(model, x4, [7, 4]), 1e-5, 1e-6);
    expect(loaded.layers.map((l) => [l.getClassName(), l.name, l.trainable])).toEqual(
      model.layers.map((l) => [l.getClassName(), l.name, l.trainable]),
    );
    const hidden = loaded.layers[0].getConfig();
    expect(hidden.activation).toBe('relu');
    expect(hidden.kernelRegularizer).toEqual({ className: 'L1L2', config: { l1: 0.01, l2: 0.02 } });
    expect(hidden.biasRegularizer).toEqual({ className: 'L1L2', config: { l1: 0, l2: 0.05 } });
    expect(loaded.layers[1].getConfig()).toMatchObject({ rate: 0.25, seed: 9 });
    expect(loaded.layers[4].getConfig().biasInitializer).toEqual({ className: 'Constant', config: { value: 0.1 } });

    // TensorFlow.js keeps each regularizer as a loss function of its layer: the penalties of the
    // trainable layers equal webgrad's losses, and the formula on the weights TensorFlow.js read.
    const tfPenalties = [loaded.layers[0]].flatMap((l) => l.losses.map((f) => tf.tidy(() => (f as () => tf.Tensor)().dataSync()[0])));
    const ours = await lossValues(model);
    expectClose(ours, tfPenalties, 1e-5, 1e-7);
    const [kernel, bias] = loaded.layers[0].getWeights().map((w) => w.dataSync());
    expectClose(ours, [penalty(kernel, 0.01, 0.02), penalty(bias, 0, 0.05)], 1e-5, 1e-7);
    // The frozen layer's L1 penalty is in TensorFlow.js's list but not in Keras 3's losses.
    expect(loaded.layers[3].losses.length).toBe(1);
    expect(ours.length).toBe(2);
    loaded.dispose();
    model.dispose();
  });
});

describe('TensorFlow.js → webgrad', () => {
  it('a TensorFlow.js model loads with the same predictions, flags and Σ losses as its penalty functions give', async () => {
    const tm = tf.sequential({
      name: 'from_tfjs',
      layers: [
        tf.layers.dense({
          units: 8,
          inputShape: [4],
          activation: 'elu',
          kernelInitializer: tf.initializers.heNormal({ seed: 1 }),
          biasInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: 2 }),
          kernelRegularizer: tf.regularizers.l1l2({ l1: 0.004, l2: 0.03 }),
          biasRegularizer: tf.regularizers.l1({ l1: 0.2 }),
        }),
        tf.layers.dropout({ rate: 0.4 }),
        tf.layers.dense({ units: 6, activation: 'gelu', kernelRegularizer: tf.regularizers.l2({ l2: 0.01 }), trainable: false }),
        tf.layers.activation({ activation: 'softplus' }),
        tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.randomNormal({ mean: 0.1, stddev: 0.3, seed: 3 }) }),
      ],
    });
    const artifacts = await tfArtifacts(tm);
    const model = await wg.loadModel(artifacts);

    expectClose(await predictWg(model, x4, [7, 4]), predictTf(tm, x4, [7, 4]), 1e-5, 1e-6);
    expect(model.name).toBe('from_tfjs');
    expect(model.layers.map((l) => [l.getClassName(), l.name, l.trainable])).toEqual(tm.layers.map((l) => [l.getClassName(), l.name, l.trainable]));
    const first = model.layers[0] as wg.layers.Dense;
    expect(first.activation).toBe('elu');
    expect(first.biasInitializer.getConfig()).toEqual({ minval: -0.5, maxval: 0.5, seed: 2 });
    // TensorFlow.js's penalty functions on its own weights; the frozen layer's counts not (Keras 3).
    const tfPenalties = tm.layers[0].losses.map((f) => tf.tidy(() => (f as () => tf.Tensor)().dataSync()[0]));
    const ours = await lossValues(model);
    expectClose(ours, tfPenalties, 1e-5, 1e-7);
    expect(sum(ours)).toBeCloseTo(sum(tfPenalties), 5);
    // Unfrozen, the third layer's L2 penalty joins, equal to the formula on TensorFlow.js's kernel.
    model.layers[2].trainable = true;
    const all = await lossValues(model);
    expect(all.length).toBe(3);
    expect(all[2]).toBeCloseTo(penalty(tm.layers[2].getWeights()[0].dataSync(), 0, 0.01), 5);
    model.dispose();
    tm.dispose();
  });

  it('reads Keras JSON as tensorflowjs_converter writes it: model_config, InputLayer, Keras 3 names, ":0" weight names', async () => {
    const kernel = randomArray(3 * 2, 31);
    const bias = Float32Array.of(0.25, -0.5);
    const topology = {
      keras_version: '3.4.1',
      backend: 'tensorflow',
      model_config: {
        class_name: 'Sequential',
        config: {
          name: 'keras_model',
          trainable: true,
          layers: [
            { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 3], dtype: 'float32', sparse: false, name: 'input_layer' } },
            {
              module: 'keras.layers',
              class_name: 'Dense',
              config: {
                name: 'dense',
                trainable: true,
                dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' } },
                units: 2,
                activation: 'leaky_relu',
                use_bias: true,
                kernel_initializer: { module: 'keras.initializers', class_name: 'LecunNormal', config: { seed: null }, registered_name: null },
                bias_initializer: { module: 'keras.initializers', class_name: 'Zeros', config: {}, registered_name: null },
                kernel_regularizer: { module: 'keras.regularizers', class_name: 'L2', config: { l2: 0.25 }, registered_name: null },
                bias_regularizer: null,
                kernel_constraint: null,
                bias_constraint: null,
              },
            },
          ],
        },
      },
    };
    const weightData = new Float32Array([...kernel, ...bias]).buffer;
    const model = await wg.loadModel({
      modelTopology: topology,
      format: 'layers-model',
      weightSpecs: [
        { name: 'dense/kernel:0', shape: [3, 2], dtype: 'float32' },
        { name: 'dense/bias:0', shape: [2], dtype: 'float32' },
      ],
      weightData,
    });
    expect(model.layers[0].inputShape).toEqual([3]);
    const x = [0.5, -1, 2];
    const expected = [0, 1].map((j) => {
      const z = x.reduce((acc, v, i) => acc + v * kernel[i * 2 + j], bias[j]);
      return z > 0 ? z : 0.2 * z; // Keras 3's leaky_relu slope
    });
    expectClose(await predictWg(model, Float32Array.from(x), [1, 3]), expected, 1e-5, 1e-6);
    expectClose(await lossValues(model), [penalty(kernel, 0, 0.25)], 1e-5, 1e-7);
    model.dispose();
  });

  it('decodes quantized weights (uint8, uint16, float16) exactly as TensorFlow.js does', async () => {
    const tm = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [2] })] });
    const artifacts = await tfArtifacts(tm);
    const name = tm.layers[0].name;
    tm.dispose();
    // The converter's --quantize_uint8 / _uint16 (value = q·scale + min) and --quantize_float16.
    const kernels: Array<[wg.WeightSpec['quantization'], Uint8Array]> = [
      [{ dtype: 'uint8', scale: 0.01, min: -1 }, Uint8Array.of(0, 50, 100, 150, 200, 255)],
      [{ dtype: 'uint16', scale: 1e-4, min: -2 }, new Uint8Array(Uint16Array.of(0, 1, 300, 40000, 65535, 12).buffer)],
    ];
    const bias = new Uint8Array(Uint16Array.of(0x3c00, 0xc100, 0x3555).buffer); // float16: 1, −2.5, ≈1/3
    for (const [quantization, kernel] of kernels) {
      const specs: wg.WeightSpec[] = [
        { name: `${name}/kernel`, shape: [2, 3], dtype: 'float32', quantization },
        { name: `${name}/bias`, shape: [3], dtype: 'float32', quantization: { dtype: 'float16' } },
      ];
      const data = Uint8Array.of(...kernel, ...bias).buffer;
      const model = await wg.loadModel({ ...artifacts, weightSpecs: specs, weightData: data });
      const reference = tf.io.decodeWeights(data, specs as tf.io.WeightsManifestEntry[]);
      const ours = await weightValues(model);
      expectClose(ours[0], reference[specs[0].name].dataSync(), 0, 0);
      expectClose(ours[1], reference[specs[1].name].dataSync(), 0, 0);
      model.dispose();
    }
  });
});

describe('files and URLs', () => {
  let dir: string;
  let server: Server | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'webgrad-io-'));
  });
  afterAll(async () => {
    server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("file://dir writes TensorFlow.js's layout (model.json + weights.bin) that webgrad and TensorFlow.js read back", async () => {
    const model = await trainedModel();
    const target = join(dir, 'saved');
    await model.save(`file://${target}`);
    expect((await readdir(target)).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(await readFile(join(target, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.modelTopology.class_name).toBe('Sequential');
    expect(json.weightsManifest).toEqual([{ paths: ['weights.bin'], weights: json.weightsManifest[0].weights }]);
    expect(json.weightsManifest[0].weights.map((w: wg.WeightSpec) => w.name)).toEqual(model.weights.map((w) => w.name));
    const bin = await readFile(join(target, 'weights.bin'));
    expect(bin.byteLength).toBe(4 * model.weights.reduce((n, w) => n + w.size, 0));

    const expected = await predictWg(model, x4, [7, 4]);
    for (const url of [`file://${target}/model.json`, `file://${target}`]) {
      const loaded = await wg.loadModel(url);
      expectClose(await predictWg(loaded, x4, [7, 4]), expected, 0, 0);
      loaded.dispose();
    }
    const viaTf = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(bin).buffer }),
    );
    expectClose(predictTf(viaTf, x4, [7, 4]), expected, 1e-5, 1e-6);
    // Saving again over the same folder replaces both files and leaves no temporary behind.
    await model.save(`file://${target}`);
    expect((await readdir(target)).sort()).toEqual(['model.json', 'weights.bin']);
    viaTf.dispose();
    model.dispose();
  });

  it('http(s):// loads model.json and its weight files relative to it; an HTTP error is a ModelIOError', async () => {
    const model = await trainedModel();
    const target = join(dir, 'served');
    await model.save(`file://${target}`);
    server = createServer(async (req, res) => {
      try {
        res.end(await readFile(join(target, req.url!.replace(/^\/models\//, ''))));
      } catch {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const loaded = await wg.loadModel(`http://127.0.0.1:${port}/models/model.json`);
    expectClose(await predictWg(loaded, x4, [7, 4]), await predictWg(model, x4, [7, 4]), 0, 0);
    await expect(wg.loadModel(`http://127.0.0.1:${port}/models/missing.json`)).rejects.toThrow(wg.ModelIOError);
    loaded.dispose();
    model.dispose();
  });

  it('truncated or broken files and missing files give typed errors and leave nothing behind', async () => {
    const model = await trainedModel();
    const good = join(dir, 'good');
    await model.save(`file://${good}`);
    const json = await readFile(join(good, 'model.json'), 'utf8');
    const bin = await readFile(join(good, 'weights.bin'));
    model.dispose();
    const start = wg.memory();
    const variant = async (name: string, files: Record<string, string | Uint8Array>) => {
      const d = join(dir, name);
      await rm(d, { recursive: true, force: true });
      await import('node:fs/promises').then((fs) => fs.mkdir(d));
      for (const [f, content] of Object.entries(files)) await writeFile(join(d, f), content);
      return `file://${d}/model.json`;
    };
    const cases: Array<[string, Record<string, string | Uint8Array>, typeof wg.WebgradError, RegExp]> = [
      ['json_cut', { 'model.json': json.slice(0, json.length / 2), 'weights.bin': bin }, wg.ModelFormatError, /not valid JSON/],
      ['bin_cut', { 'model.json': json, 'weights.bin': bin.subarray(0, bin.length - 6) }, wg.ModelFormatError, /truncated.*'dense_\d+\/bias'/],
      ['bin_long', { 'model.json': json, 'weights.bin': Uint8Array.of(...bin, 0, 0, 0, 0) }, wg.ModelFormatError, /holds \d+ bytes, but the weight specs describe/],
      ['no_manifest', { 'model.json': JSON.stringify({ ...JSON.parse(json), weightsManifest: 'x' }), 'weights.bin': bin }, wg.ModelFormatError, /weightsManifest/],
      ['no_bin', { 'model.json': json }, wg.ModelIOError, /weights\.bin/],
    ];
    for (const [name, files, type, message] of cases) {
      const url = await variant(name, files);
      const error = await wg.loadModel(url).then(() => null, (e: unknown) => e);
      expect(error, name).toBeInstanceOf(type);
      expect(String((error as Error).message), name).toMatch(message);
      expect(wg.memory().numTensors, name).toBe(start.numTensors);
      expect(wg.memory().numBytes, name).toBe(start.numBytes);
    }
    await expect(wg.loadModel(`file://${join(dir, 'nowhere')}/model.json`)).rejects.toThrow(wg.ModelIOError);
  });

  it('save checks its URL first; indexeddb:// and downloads:// need a browser', async () => {
    const model = wg.sequential({ layers: [wg.layers.dense({ units: 2, inputShape: [3] })] });
    const badUrls: string[] = [
      '', 'dir', 'http://example.com/model', 'file://',
      // @ts-expect-error a number for a URL: rejected at run time too
      42,
    ];
    for (const url of badUrls) {
      await expect(model.save(url), String(url)).rejects.toThrow(wg.InvalidArgumentError);
    }
    await expect(model.save('indexeddb://m')).rejects.toThrow(wg.ModelIOError);
    await expect(model.save('downloads://m')).rejects.toThrow(wg.ModelIOError);
    await expect(wg.loadModel('indexeddb://m')).rejects.toThrow(wg.ModelIOError);
    await expect(wg.loadModel('model.json')).rejects.toThrow(wg.InvalidArgumentError);
    model.dispose();
  });
});

describe('subclassed models', () => {
  class Affine extends wg.Model {
    w = wg.variable(wg.randomNormal([3, 2], { seed: 4 }));
    b = wg.variable(wg.randomNormal([2], { seed: 5 }));
    override call(x: wg.Tensor): wg.Tensor {
      return wg.tidy(() => wg.add(wg.matmul(x, this.w), this.b));
    }
  }

  it('save keeps the weights; loadModel names the class it cannot rebuild; loadWeights restores a new instance', async () => {
    const model = new Affine();
    const artifacts = await model.save();
    expect((artifacts.modelTopology as { class_name: string }).class_name).toBe('Affine');
    const start = wg.memory().numTensors;
    await expect(wg.loadModel(artifacts)).rejects.toThrow(/class 'Affine' is not a model webgrad can rebuild.*loadWeights/);
    expect(wg.memory().numTensors).toBe(start);

    const fresh = new Affine();
    fresh.w.assign(wg.zeros([3, 2])); // variables are named by a counter, so the names differ: loaded in order
    await fresh.loadWeights(artifacts);
    const x = randomArray(5 * 3, 41);
    expectClose(await predictWg(fresh, x, [5, 3]), await predictWg(model, x, [5, 3]), 0, 0);
    const wrong = wg.sequential({ layers: [wg.layers.dense({ units: 4, inputShape: [3] })] });
    const kept = await weightValues(wrong);
    await expect(wrong.loadWeights(artifacts)).rejects.toThrow(wg.ModelFormatError);
    (await weightValues(wrong)).forEach((w, i) => expectClose(w, kept[i], 0, 0));
  });

  it("custom activation and regularizer functions save as 'Custom>name'; loading names them", async () => {
    const swish = (x: wg.Tensor) => wg.tidy(() => wg.mul(x, wg.sigmoid(x)));
    const sumOfCubes = (w: wg.Tensor) => wg.tidy(() => wg.sum(wg.mul(wg.square(w), w)));
    const model = wg.sequential({ layers: [wg.layers.dense({ units: 2, inputShape: [3], activation: swish, kernelRegularizer: sumOfCubes })] });
    const artifacts = await model.save();
    const config = (artifacts.modelTopology as { config: { layers: Array<{ config: Record<string, unknown> }> } }).config.layers[0].config;
    expect(config.activation).toBe('Custom>swish');
    expect(config.kernel_regularizer).toEqual({ class_name: 'Custom>sumOfCubes', config: {} });
    await expect(wg.loadModel(artifacts)).rejects.toThrow(/layers\[0\] \(Dense '.*'\)\.kernel_regularizer: .*unknown regularizer class "Custom>sumOfCubes"/);
    config.kernel_regularizer = null;
    await expect(wg.loadModel(artifacts)).rejects.toThrow(/layers\[0\] \(Dense '.*'\): .*unknown activation "Custom>swish"/);
    model.dispose();
  });
});

describe('malformed artifacts', () => {
  it('each throws a ModelFormatError that says what and where, and leaves no tensor or buffer behind', async () => {
    const model = await trainedModel();
    const good = await model.save();
    model.dispose();
    const topology = (a: wg.ModelArtifacts) => a.modelTopology as { config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } };
    const layer = (a: wg.ModelArtifacts, i: number) => topology(a).config.layers[i];
    type Case = [string, (a: wg.ModelArtifacts) => unknown, RegExp];
    const cases: Case[] = [
      ['not an object', () => 42, /expects ModelArtifacts/],
      ['null', () => null, /expects ModelArtifacts/],
      ['no topology', (a) => ({ ...a, modelTopology: undefined }), /modelTopology must be/],
      ['topology is a string', (a) => ({ ...a, modelTopology: 'Sequential' }), /modelTopology must be/],
      ['graph model', (a) => ({ ...a, format: 'graph-model' }), /graph model/],
      ['weightData cut', (a) => ({ ...a, weightData: (a.weightData as ArrayBuffer).slice(0, -4) }), /truncated: it holds \d+ bytes, but weightSpecs\[5\] \('dense_\d+\/bias'\) \[3\] needs bytes/],
      ['weightData long', (a) => ({ ...a, weightData: new Uint8Array([...new Uint8Array(a.weightData as ArrayBuffer), 1, 2, 3, 4]).buffer }), /the weight specs describe/],
      ['weightData a string', (a) => ({ ...a, weightData: 'abc' }), /weightData must be an ArrayBuffer/],
      ['weightSpecs not an array', (a) => ({ ...a, weightSpecs: {} }), /weightSpecs must be an array/],
      ['negative dimension', (a) => ((a.weightSpecs![0].shape = [-4, 6]), a), /weightSpecs\[0\] \('hidden\/kernel'\): shape must be/],
      ['int32 weights', (a) => ((a.weightSpecs![1].dtype = 'int32'), a), /weightSpecs\[1\].*dtype "int32"/],
      ['two specs with one name', (a) => ((a.weightSpecs![1].name = 'hidden/kernel'), a), /second weight with this name/],
      ['unknown layer class', (a) => ((layer(a, 2).class_name = 'LSTM'), a), /layers\[2\]: unknown layer class 'LSTM'/],
      ['a Sequential config under class Functional', (a) => (((a.modelTopology as { class_name: string }).class_name = 'Functional'), a), /modelTopology\.config\.input_layers: must list the model's inputs/],
      ['a subclassed model', (a) => (((a.modelTopology as { class_name: string }).class_name = 'MyModel'), a), /class 'MyModel' is not a model webgrad can rebuild/],
      ['negative units', (a) => ((layer(a, 0).config.units = -3), a), /layers\[0\] \(Dense 'hidden'\).*units must be a positive integer/],
      ['unknown activation', (a) => ((layer(a, 2).config.activation = 'swishy'), a), /layers\[2\] \(Activation.*unknown activation "swishy"/],
      ['unknown initializer', (a) => ((layer(a, 4).config.kernel_initializer = { class_name: 'Identityish', config: {} }), a), /kernel_initializer.*unknown initializer class/],
      ['unknown regularizer', (a) => ((layer(a, 0).config.kernel_regularizer = { class_name: 'L3', config: {} }), a), /kernel_regularizer.*unknown regularizer class "L3"/],
      ['negative penalty factor', (a) => ((layer(a, 0).config.bias_regularizer = { class_name: 'L1L2', config: { l1: 0, l2: -1 } }), a), /bias_regularizer.*l2 must be a finite number ≥ 0/],
      ['dropout rate above 1', (a) => ((layer(a, 1).config.rate = 1.5), a), /layers\[1\] \(Dropout.*rate must be a number in \[0, 1\)/],
      ['a constraint', (a) => ((layer(a, 0).config.kernel_constraint = { class_name: 'MaxNorm', config: {} }), a), /kernelConstraint .* is not supported/],
      ['trainable not a boolean', (a) => ((layer(a, 0).config.trainable = 'yes'), a), /trainable must be a boolean/],
      ['bad batch shape', (a) => ((layer(a, 0).config.batch_input_shape = [null, -4]), a), /batch_input_shape: must be a batch shape/],
      [
        'layers not an array',
        // @ts-expect-error the saved JSON is corrupted on purpose
        (a) => ((topology(a).config.layers = 'x'), a),
        /layers must be an array/,
      ],
      ['two layers with one name', (a) => ((layer(a, 2).config.name = 'hidden'), a), /second layer named 'hidden'/],
      ['InputLayer not first', (a) => (topology(a).config.layers.splice(1, 0, { class_name: 'InputLayer', config: { batch_input_shape: [null, 4] } }), a), /InputLayer may only come first/],
      ['weight shapes that do not match the config', (a) => ((layer(a, 0).config.units = 7), a), /saved weight 'hidden\/kernel' has shape \[4,6\], but the model's 'hidden\/kernel' has shape \[4,7\]/],
      ['a missing weight', (a) => ({ ...a, weightSpecs: a.weightSpecs!.slice(0, -1), weightData: (a.weightData as ArrayBuffer).slice(0, -12) }), /lack 'dense_\d+\/bias' \[3\]/],
      ['a weight of no layer', (a) => ({ ...a, weightSpecs: [...a.weightSpecs!, { name: 'extra/kernel', shape: [2], dtype: 'float32' }], weightData: new Uint8Array([...new Uint8Array(a.weightData as ArrayBuffer), ...new Uint8Array(8)]).buffer }), /'extra\/kernel' \[2\] belong to no weight/],
      ['a renamed weight', (a) => ((a.weightSpecs![0].name = 'other/kernel'), a), /lack 'hidden\/kernel'/],
    ];
    const start = wg.memory();
    for (const [name, mutate, message] of cases) {
      const error = await wg.loadModel(mutate(clone(good)) as wg.ModelArtifacts).then(() => null, (e: unknown) => e);
      expect(error, name).toBeInstanceOf(wg.ModelFormatError);
      expect(String((error as Error).message), name).toMatch(/^loadModel\(artifacts\): /);
      expect(String((error as Error).message), name).toMatch(message);
      expect(wg.memory().numTensors, name).toBe(start.numTensors);
      expect(wg.memory().numBytes, name).toBe(start.numBytes);
    }
    // The unchanged artifacts still load.
    (await wg.loadModel(clone(good))).dispose();
  });
});

// Last: it replaces the device every test above used.
describe('device loss', () => {
  it('a saved model reloads on a fresh device after the old one is destroyed', async () => {
    const model = await trainedModel({ keras3Only: true });
    const expected = await predictWg(model, x4, [7, 4]);
    const artifacts = await model.save();
    wg.getDevice().destroy();
    await expect(model.save()).rejects.toThrow(wg.DeviceLostError);
    expect(() => model.predict(wg.tensor(x4, [7, 4]))).toThrow(wg.DeviceLostError);
    await expect(wg.loadModel(artifacts)).rejects.toThrow(wg.DeviceLostError);
    await wg.init();
    const loaded = await wg.loadModel(artifacts);
    expectClose(await predictWg(loaded, x4, [7, 4]), expected, 0, 0);
    loaded.dispose();
  });
});
