import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as wg from '../src';
import { type Engine, replaceEngine } from '../src/device/engine';
import { randomArray } from './helpers';

// What people who come from TensorFlow.js and Keras expect of the API: errors that say what was
// meant, TensorFlow.js's call shapes, progress output, summaries and printed tensors.

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('before init()', () => {
  it('any call throws NotInitializedError, a DeviceLostError that says to await init()', async () => {
    // The state before the first init(): no engine at all (the setup file has made one; it is put back).
    const made = replaceEngine(null as unknown as Engine);
    try {
      for (const call of [() => wg.tensor([1, 2]), () => wg.zeros([2]), () => wg.memory(), () => wg.sequential({ layers: [wg.layers.dense({ units: 2, inputShape: [3] })] })]) {
        let caught: unknown;
        try {
          call();
        } catch (e) {
          caught = e;
        }
        expect(caught).toBeInstanceOf(wg.NotInitializedError);
        expect(caught).toBeInstanceOf(wg.DeviceLostError);
        expect(caught).toBeInstanceOf(wg.WebgradError);
        expect((caught as Error).name).toBe('NotInitializedError');
        expect((caught as Error).message).toMatch(/await init\(\) first/);
      }
    } finally {
      replaceEngine(made!);
    }
    wg.tensor([1]).dispose();
  });
});

describe('misspelled options', () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['adam learning_rate (Keras)', () => wg.optimizers.adam({ learning_rate: 0.5 } as never), /^adam: unknown option 'learning_rate'; did you mean 'learningRate'\?/],
    ['adam beta_1 (Keras)', () => wg.optimizers.adam({ beta_1: 0.5 } as never), /did you mean 'beta1'\?/],
    ['sgd lr (Keras 2)', () => wg.optimizers.sgd({ lr: 0.1 } as never), /^sgd: unknown option 'lr'; did you mean 'learningRate'\?/],
    ['sgd momentm', () => wg.optimizers.sgd({ momentm: 0.9 } as never), /did you mean 'momentum'\?/],
    ['rmsprop weight_decay', () => wg.optimizers.rmsprop({ weight_decay: 0.1 } as never), /did you mean 'weightDecay'\?/],
    ['new Adam', () => new wg.optimizers.Adam({ epsilom: 1e-8 } as never), /^adam: unknown option 'epsilom'; did you mean 'epsilon'\?/],
    ['adamw', () => wg.optimizers.adamw({ weightDecy: 0.1 } as never), /^adamw: unknown option 'weightDecy'; did you mean 'weightDecay'\?/],
    ['dense unit', () => wg.layers.dense({ unit: 3 } as never), /^dense: unknown option 'unit'; did you mean 'units'\?/],
    ['dense use_bias', () => wg.layers.dense({ units: 3, use_bias: false } as never), /did you mean 'useBias'\?/],
    ['dense input_shape', () => wg.layers.dense({ units: 3, input_shape: [2] } as never), /did you mean 'inputShape'\?/],
    ['dropout rat', () => wg.layers.dropout({ rat: 0.5 } as never), /^dropout: unknown option 'rat'; did you mean 'rate'\?/],
    ['activation', () => wg.layers.activation({ activaton: 'relu' } as never), /did you mean 'activation'\?/],
    ['sequential layer', () => wg.sequential({ layer: [] } as never), /^sequential: unknown option 'layer'; did you mean 'layers'\?/],
    ['l2 regularizer', () => wg.regularizers.l2({ l1: 0.1 } as never), /^regularizers.l2: unknown option 'l1'; did you mean 'l2'\?/],
    ['l1l2 regularizer', () => wg.regularizers.l1l2({ L1: 0.1 } as never), /did you mean 'l1'\?/],
    ['orthogonal', () => wg.regularizers.orthogonal({ facter: 0.1 } as never), /did you mean 'factor'\?/],
    ['randomNormal', () => wg.initializers.randomNormal({ stdev: 1 } as never), /^initializers.randomNormal: unknown option 'stdev'; did you mean 'stddev'\?/],
    ['glorotUniform', () => wg.initializers.glorotUniform({ sead: 1 } as never), /^initializers.glorotUniform: unknown option 'sead'; did you mean 'seed'\?/],
    ['varianceScaling', () => wg.initializers.varianceScaling({ distribuion: 'uniform' } as never), /did you mean 'distribution'\?/],
    ['constant', () => wg.initializers.constant({ val: 1 } as never), /did you mean 'value'\?/],
    ['loss options', () => wg.losses.binaryCrossentropy(wg.zeros([2, 1]), wg.zeros([2, 1]), { from_logits: true } as never), /did you mean 'fromLogits'\?/],
    ['compile', () => wg.sequential().compile({ optimizer: 'sgd', loss: 'mse', metric: ['mae'] } as never), /^compile: unknown option 'metric'; did you mean 'metrics'\?/],
    ['a far-off key gets no guess', () => wg.optimizers.adam({ zzzzzzzz: 1 } as never), /^adam: unknown option 'zzzzzzzz'\. Valid options: learningRate, beta1, beta2, epsilon, weightDecay, clipnorm, clipvalue, globalClipnorm\.$/],
    ['a misspelled optimizer name', () => wg.sequential().compile({ optimizer: 'adma', loss: 'mse' }), /did you mean 'adam'\?/],
    ['a misspelled loss name', () => wg.sequential().compile({ optimizer: 'sgd', loss: 'meanSquareError' }), /did you mean 'meanSquaredError'\?/],
  ];
  for (const [what, call, message] of cases) {
    it(`${what}: InvalidArgumentError naming the key and the nearest valid one`, () => {
      expect(call).toThrow(wg.InvalidArgumentError);
      expect(call).toThrow(message);
    });
  }

  it('fit, evaluate, predict and callbacks: a misspelled key is rejected before any weight changes', async () => {
    const model = wg.sequential({ layers: [wg.layers.dense({ units: 1, inputShape: [2], kernelInitializer: wg.initializers.ones() })] });
    model.compile({ optimizer: wg.optimizers.sgd(0.1), loss: 'mse' });
    const x = wg.tensor([[1, 2], [3, 4]]);
    const y = wg.tensor([[1], [2]]);
    const before = await model.weights[0].data();
    await expect(model.fit(x, y, { epoch: 3 } as never)).rejects.toThrow(/^fit: unknown option 'epoch'; did you mean 'epochs'\?/);
    await expect(model.fit(x, y, { batch_size: 3 } as never)).rejects.toThrow(/did you mean 'batchSize'\?/);
    await expect(model.fit(x, y, { verbose: 0, callbacks: { onEpochEnds: () => {} } } as never)).rejects.toThrow(
      /^fit: callbacks: unknown option 'onEpochEnds'; did you mean 'onEpochEnd'\?/,
    );
    await expect(model.evaluate(x, y, { batchsize: 1 } as never)).rejects.toThrow(/^evaluate: unknown option 'batchsize'; did you mean 'batchSize'\?/);
    expect(() => model.predict(x, { batch: 1 } as never)).toThrow(/^predict: unknown option 'batch'/);
    await expect(model.fit(x, y, { verbose: 3 as never })).rejects.toThrow(/verbose must be 0, 1 or 2/);
    expect(await model.weights[0].data()).toEqual(before);
    // A callback object of a class keeps its own fields; TensorFlow.js options still work.
    class Counter {
      epochs = 0;
      onEpochEnd() {
        this.epochs++;
      }
    }
    const counter = new Counter();
    await model.fit(x, y, { epochs: 2, verbose: 0, callbacks: counter });
    expect(counter.epochs).toBe(2);
    await model.evaluate(x, y, { batchSize: 1, verbose: 0 });
    model.predict(x, { batchSize: 1, verbose: 0 }).dispose();
    model.dispose();
  });

  it('loading a saved initializer keeps ignoring keys it does not read (a file is not a typo)', async () => {
    const model = wg.sequential({ layers: [wg.layers.dense({ units: 2, inputShape: [3], kernelInitializer: wg.initializers.randomNormal({ seed: 1 }) })] });
    const artifacts = await model.save();
    const layer = (artifacts.modelTopology as { config: { layers: Array<{ config: Record<string, { config: Record<string, unknown> }> }> } }).config.layers[0];
    layer.config.kernel_initializer.config.dtype = 'float32';
    const loaded = await wg.loadModel(artifacts);
    expect(loaded.countParams()).toBe(8);
    model.dispose();
    loaded.dispose();
  });
});

describe("TensorFlow.js's optimizer call shapes", () => {
  it('adam(0.01), sgd(0.1), rmsprop(0.01), adamw(0.01): a number is the learning rate', () => {
    expect(wg.optimizers.adam(0.01).learningRate).toBe(0.01);
    expect(wg.optimizers.sgd(0.1).learningRate).toBe(0.1);
    expect(wg.optimizers.rmsprop(0.01).learningRate).toBe(0.01);
    expect(wg.optimizers.adamw(0.01).learningRate).toBe(0.01);
    const adam = wg.optimizers.adam(0.02, 0.8, 0.99, 1e-6);
    expect([adam.beta1, adam.beta2, adam.epsilon]).toEqual([0.8, 0.99, 1e-6]);
    const rms = wg.optimizers.rmsprop(0.01, 0.8, 0.5, 1e-6);
    expect([rms.rho, rms.momentum, rms.epsilon]).toEqual([0.8, 0.5, 1e-6]);
    // Defaults as before, also for an argument left undefined.
    expect(wg.optimizers.adam(undefined, 0.5).beta1).toBe(0.5);
    expect(wg.optimizers.adam(undefined, 0.5).learningRate).toBe(0.001);
    expect(wg.optimizers.adam().learningRate).toBe(0.001);
    expect(wg.optimizers.sgd().learningRate).toBe(0.01);
  });

  it('the same update as TensorFlow.js for tf.train.adam(0.1) and tf.train.sgd(0.1)', async () => {
    const w0 = [0.5, -1, 2];
    const g = [0.3, -0.2, 0.1];
    for (const [ours, theirs] of [
      [wg.optimizers.adam(0.1), tf.train.adam(0.1)],
      [wg.optimizers.sgd(0.1), tf.train.sgd(0.1)],
    ] as const) {
      const w = wg.variable(wg.tensor(w0));
      const tw = tf.variable(tf.tensor(w0));
      for (let step = 0; step < 3; step++) {
        ours.applyGradients([wg.tensor(g)], [w]);
        theirs.applyGradients([{ name: tw.name, tensor: tf.tensor(g) }]);
      }
      const expected = await tw.data();
      const got = await w.data();
      got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
      w.dispose();
    }
  });

  it('bad shorthands: NaN, an options object with positional extras, centered rmsprop', () => {
    expect(() => wg.optimizers.adam(NaN)).toThrow(wg.InvalidArgumentError);
    expect(() => wg.optimizers.adam({ learningRate: 0.1 }, 0.9)).toThrow(/not both/);
    expect(() => wg.optimizers.rmsprop(0.1, 0.9, 0, 1e-7, true)).toThrow(/centered/);
    expect(() => wg.optimizers.sgd('0.1' as never)).toThrow(wg.InvalidArgumentError);
  });
});

/** A model to summarize: 4 → dense 32 (frozen) → dropout → nested [dense 8 → dense 3]. */
function summarized(): wg.Sequential {
  const frozen = wg.layers.dense({ units: 32, inputShape: [4], name: 'hidden', activation: 'relu' });
  frozen.trainable = false;
  const head = wg.sequential({ name: 'head', layers: [wg.layers.dense({ units: 8, name: 'inner' }), wg.layers.dense({ units: 3, name: 'out' })] });
  return wg.sequential({ name: 'classifier', layers: [frozen, wg.layers.dropout({ rate: 0.5, name: 'drop' }), head] });
}

describe('model.summary() and countParams()', () => {
  it("prints Keras's table: layers, output shapes, parameter counts and the totals", () => {
    const model = summarized();
    const lines: string[] = [];
    model.summary((line) => lines.push(line));
    const hidden = 4 * 32 + 32;
    const head = 32 * 8 + 8 + (8 * 3 + 3);
    expect(lines).toEqual([
      'Model: "classifier"',
      '_'.repeat(65),
      'Layer (type)                 Output Shape              Param #   ',
      '='.repeat(65),
      `hidden (Dense)               (None, 32)                ${hidden}       `,
      '_'.repeat(65),
      'drop (Dropout)               (None, 32)                0         ',
      '_'.repeat(65),
      `head (Sequential)            (None, 3)                 ${head}       `,
      '='.repeat(65),
      'Total params: 451',
      'Trainable params: 291',
      'Non-trainable params: 160',
      '_'.repeat(65),
    ]);
    expect(model.countParams()).toBe(hidden + head);
    model.dispose();
  });

  it('countParams equals TensorFlow.js for the same architecture; summary defaults to console.log', () => {
    const model = summarized();
    const twin = tf.sequential({
      layers: [
        tf.layers.dense({ units: 32, inputShape: [4] }),
        tf.layers.dropout({ rate: 0.5 }),
        tf.sequential({ layers: [tf.layers.dense({ units: 8, inputShape: [32] }), tf.layers.dense({ units: 3 })] }),
      ],
    });
    expect(model.countParams()).toBe(twin.countParams());
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    model.summary();
    expect(log).toHaveBeenCalledTimes(14);
    expect(log.mock.calls[10][0]).toBe(`Total params: ${twin.countParams()}`);
    twin.dispose();
    model.dispose();
  });

  it("TensorFlow.js's summary(lineLength, positions, printFn); thousands separators; unbuilt layers", () => {
    const big = wg.sequential({ name: 'big', layers: [wg.layers.dense({ units: 1000, inputShape: [1000], name: 'wide' })] });
    const lines: string[] = [];
    big.summary(40, [20, 30, 40], (l) => lines.push(l));
    // Each field is cut at its column's end, as Keras cuts it.
    expect(lines[2]).toBe('Layer (type)        Output ShaParam #   ');
    expect(lines[4]).toBe('wide (Dense)        (None, 1001,001,000 ');
    expect(lines).toContain('Total params: 1,001,000');
    big.dispose();

    const unbuilt = wg.sequential({ name: 'later', layers: [wg.layers.dense({ units: 2, name: 'd' })] });
    const rows: string[] = [];
    unbuilt.summary((l) => rows.push(l));
    expect(rows[4]).toBe('d (Dense)                    ?                         unbuilt   ');
    expect(() => unbuilt.layers[0].countParams()).toThrow(/not built yet/);
    unbuilt.apply(wg.zeros([1, 5])).dispose();
    rows.length = 0;
    unbuilt.summary((l) => rows.push(l));
    expect(rows[4]).toBe('d (Dense)                    (None, 2)                 12        ');
    unbuilt.dispose();
  });
});

describe('summary of a subclassed model', () => {
  class TwoLayers extends wg.Model {
    readonly first = wg.layers.dense({ units: 6, name: 'first' });
    readonly second = wg.layers.dense({ units: 2, name: 'second' });
    override call(x: wg.Tensor): wg.Tensor {
      return this.second.apply(this.first.apply(x));
    }
  }

  it('lists the layers it holds, with the shapes of their last apply (unknown before)', () => {
    const model = new TwoLayers({ name: 'two' });
    const before: string[] = [];
    model.summary((l) => before.push(l));
    expect(before[4]).toBe('first (Dense)                ?                         unbuilt   ');
    model.apply(wg.zeros([3, 4])).dispose();
    const after: string[] = [];
    model.summary((l) => after.push(l));
    expect(after[4]).toBe(`first (Dense)                (None, 6)                 ${4 * 6 + 6}        `);
    expect(after[6]).toBe(`second (Dense)               (None, 2)                 ${6 * 2 + 2}        `);
    expect(after[8]).toBe(`Total params: ${4 * 6 + 6 + 6 * 2 + 2}`);
    expect(model.countParams()).toBe(44);
    model.dispose();
  });
});

describe('tensor.print() and toString()', () => {
  async function printed(t: wg.Tensor, verbose = false): Promise<string> {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await t.print(verbose);
    expect(log).toHaveBeenCalledTimes(1);
    const text = String(log.mock.calls[0][0]);
    log.mockRestore();
    return text;
  }

  const shapes = [[3], [2, 3], [2, 2, 3], [2, 2, 2, 2], [25], [25, 2], [2, 25], [30, 30], [3, 2, 24]];
  for (const shape of shapes) {
    it(`prints what TensorFlow.js's toString prints, shape [${shape}]`, async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      // Mixed widths, negatives, integers, a NaN and an infinity.
      const values = Float32Array.from(randomArray(n, n, -50, 50), (v, i) => (i === 1 ? NaN : i === 4 ? -Infinity : i % 3 === 0 ? Math.round(v) : v));
      const t = wg.tensor(values, shape);
      expect(await printed(t)).toBe(tf.tensor(values, shape).toString());
      expect(await printed(t, true)).toBe(tf.tensor(values, shape).toString(true));
      t.dispose();
    });
  }

  it('a scalar and a leading axis of 1 (where TensorFlow.js prints "[[1, 2],]")', async () => {
    expect(await printed(wg.scalar(0.1))).toBe('Tensor\n    0.1');
    expect(await printed(wg.tensor([[1, 2]]))).toBe('Tensor\n    [[1, 2]]');
  });

  it('toString is synchronous: shape and dtype', () => {
    const t = wg.tensor([[1, 2, 3]]);
    expect(t.toString()).toBe('Tensor(shape=[1,3], dtype=float32)');
    expect(`${t}`).toBe('Tensor(shape=[1,3], dtype=float32)');
    t.dispose();
  });
});

describe('fit output (verbose)', () => {
  function setup() {
    const model = wg.sequential({ layers: [wg.layers.dense({ units: 1, inputShape: [2], kernelInitializer: wg.initializers.ones() })] });
    model.compile({ optimizer: wg.optimizers.sgd(0.01), loss: 'mse' });
    const x = wg.tensor(randomArray(16 * 2, 5), [16, 2]);
    const y = wg.tensor(randomArray(16, 6), [16, 1]);
    return { model, x, y };
  }

  const isTTY = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
  afterEach(() => {
    if (isTTY) Object.defineProperty(process.stdout, 'isTTY', isTTY);
    else delete (process.stdout as { isTTY?: boolean }).isTTY;
  });

  /** Makes process.stdout look like a terminal (or not) and collects what is written to it. */
  function stdout(terminal: boolean): string[] {
    const written: string[] = [];
    Object.defineProperty(process.stdout, 'isTTY', { value: terminal, configurable: true, writable: true });
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
    return written;
  }

  it('the default (1) in a terminal: a progress bar per epoch, rewritten in place, ending with the logs', async () => {
    const { model, x, y } = setup();
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const written = stdout(true);
    const batches: Array<Record<string, number>> = [];
    const h = await model.fit(x, y, { epochs: 2, batchSize: 4, shuffle: false, callbacks: { onBatchEnd: (_, logs) => void batches.push(logs) } });
    vi.restoreAllMocks();
    expect(log).not.toHaveBeenCalled();
    const text = written.join('');
    expect(written[0]).toBe('Epoch 1/2\n');
    // The first batch draws at once: 1 of 4 done, a quarter of the bar, the time left, the running loss.
    expect(written[1]).toMatch(/^\r1\/4 \[======>\.{23}\] - ETA: \d+s - loss: /);
    expect(written[1]).toContain(`loss: ${batches[0].loss.toFixed(4)}`);
    const ends = text.split('\n').filter((l) => l.includes('4/4 [=============================='));
    expect(ends).toHaveLength(2);
    ends.forEach((line, e) => {
      expect(line).toMatch(/\r4\/4 \[={30}\] - \d+s \d+(ms|us|s)\/step - loss: /);
      expect(line.endsWith(`loss: ${h.history.loss[e].toFixed(4)} - regularizationLoss: 0.0000\x1b[K`)).toBe(true);
    });
    expect(text).toContain('Epoch 2/2\n');
    expect(text.endsWith('\n')).toBe(true);
    model.dispose();
  });

  it('the default elsewhere (output piped, or a browser console): one console.log line per epoch', async () => {
    const { model, x, y } = setup();
    const written = stdout(false);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const h = await model.fit(x, y, { epochs: 3, batchSize: 4 });
    expect(written).toEqual([]);
    expect(log).toHaveBeenCalledTimes(3);
    log.mock.calls.forEach(([line], e) => expect(line).toMatch(new RegExp(`^Epoch ${e + 1}/3 - 4 steps - [\\d.]+s - loss: ${h.history.loss[e].toFixed(4)} - regularizationLoss: `)));
    model.dispose();
  });

  it('verbose 2 prints one line per epoch even in a terminal; verbose 0 prints nothing', async () => {
    const { model, x, y } = setup();
    const written = stdout(true);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await model.fit(x, y, { epochs: 2, verbose: 2 });
    expect(log).toHaveBeenCalledTimes(2);
    expect(written).toEqual([]);
    await model.fit(x, y, { epochs: 2, verbose: 0 });
    expect(log).toHaveBeenCalledTimes(2);
    expect(written).toEqual([]);
    model.dispose();
  });
});
