// The MNIST page: a small CNN trained with model.fit on real digits (mnist.bin, made at build
// time by data.mjs), with L2 penalties on its kernels. Callbacks plot the prediction and
// regularization losses per batch and, per epoch, the accuracy on held-out digits, a grid of
// test digits with their predictions and the first layer's filters. A drawing pad classifies
// what a person draws. State is published on `window.__mnist` for the browser test.
//
// URL parameters: samples=N (training digits, at most 8000), epochs=N (per press of Train),
// l2, lr, autostart=1.
import * as wg from '../../src/index';
import { lineChart } from '../charts';
import { $, fmt, initAdapter, type PageState, showError } from '../demo_common';
import { digitGrid, digitImage, drawFilters, drawingPad, SIDE, toMnist } from './draw';

const PIXELS = SIDE * SIDE;
/** The last TEST digits of mnist.bin are held out; training takes its digits from the others. */
const TEST = 2000;
const BATCH = 64;
const KERNEL = 5;
const FILTERS = [8, 16];

export interface MnistState extends PageState {
  trainSamples: number;
  testSamples: number;
  /** Epochs that fit has finished (an epoch cut short by Pause counts too). */
  epoch: number;
  /** Per epoch, as fit's logs give them: prediction loss (loss − regularizationLoss), regularization loss, training accuracy. */
  predictionLoss: number[];
  regularizationLoss: number[];
  trainAccuracy: number[];
  /** Per epoch: accuracy on the held-out digits. */
  testAccuracy: number[];
  /** Per batch, for the live plot: the batch's own prediction and regularization loss. */
  batchPredictionLoss: number[];
  batchRegularizationLoss: number[];
  /** Seconds in fit (its callbacks included), all runs together. */
  trainSeconds: number;
  /** The digit on the pad as the network saw it (784 values), its class probabilities and the best class. */
  drawn: { pixels: number[]; probabilities: number[]; predicted: number } | null;
}

declare global {
  interface Window {
    __mnist: MnistState;
  }
}

const params = new URLSearchParams(location.search);
const mnist: MnistState = (window.__mnist = {
  state: 'loading',
  trainSamples: 0,
  testSamples: TEST,
  epoch: 0,
  predictionLoss: [],
  regularizationLoss: [],
  trainAccuracy: [],
  testAccuracy: [],
  batchPredictionLoss: [],
  batchRegularizationLoss: [],
  trainSeconds: 0,
  drawn: null,
});

const samplesSelect = $<HTMLSelectElement>('samples');
const epochsInput = $<HTMLInputElement>('epochs');
const l2Select = $<HTMLSelectElement>('l2');
if (params.has('samples')) {
  const option = new Option(params.get('samples')!);
  if (!Array.from(samplesSelect.options).some((o) => o.value === option.value)) samplesSelect.add(option);
  samplesSelect.value = option.value;
}
if (params.has('epochs')) epochsInput.value = params.get('epochs')!;
if (params.has('l2')) {
  const option = new Option(params.get('l2')!, String(Number(params.get('l2'))));
  if (!Array.from(l2Select.options).some((o) => o.value === option.value)) l2Select.add(option);
  l2Select.value = option.value;
}
const learningRate = Number(params.get('lr') ?? 0.01);

const lossChart = lineChart($('chart-loss'), {
  title: 'Training loss, per batch',
  xLabel: 'epoch',
  yLabel: 'loss',
  log: true,
  series: [
    { label: 'prediction loss', color: '#1c7ed6' },
    { label: 'regularization loss', color: '#e8590c' },
  ],
});
const accuracyChart = lineChart($('chart-accuracy'), {
  title: 'Accuracy, per epoch',
  xLabel: 'epoch',
  yLabel: 'accuracy',
  series: [
    { label: 'training (during the epoch)', color: '#1c7ed6' },
    { label: 'held-out test digits', color: '#2f9e44', dash: [6, 4] },
  ],
});

/** A positive whole number typed in a field or a URL, or `fallback` for anything else. */
function wholeNumber(text: string, fallback: number): number {
  const n = Math.floor(Number(text));
  return Number.isFinite(n) && n >= 1 ? n : fallback;
}

/** mnist.bin: N·784 pixel bytes, then N label bytes. */
interface Digits {
  pixels: Uint8Array;
  labels: Uint8Array;
  count: number;
}

async function loadDigits(): Promise<Digits> {
  const response = await fetch('mnist.bin');
  if (!response.ok) throw new Error(`mnist.bin: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const count = bytes.length / (PIXELS + 1);
  if (!Number.isInteger(count) || count <= TEST) throw new Error(`mnist.bin: ${bytes.length} bytes is not N·785 with N > ${TEST}`);
  return { pixels: bytes.subarray(0, count * PIXELS), labels: bytes.subarray(count * PIXELS), count };
}

/** Digits first … first + n − 1 as images [n, 28, 28, 1] with values in [0, 1]. */
const imagesOf = (d: Digits, first: number, n: number) =>
  wg.tensor(Float32Array.from(d.pixels.subarray(first * PIXELS, (first + n) * PIXELS), (p) => p / 255), [n, SIDE, SIDE, 1]);

/** Their classes [n], as float class indices (sparse labels). */
const labelsOf = (d: Digits, first: number, n: number) => wg.tensor(Float32Array.from(d.labels.subarray(first, first + n)), [n]);

interface Session {
  model: wg.Sequential;
  xTrain: wg.Tensor;
  yTrain: wg.Tensor;
  /** Fit runs so far: each shuffles with its own seed. */
  runs: number;
  /** Batches per epoch: the loss plot's x is in epochs. */
  steps: number;
}

let digits: Digits;
let xTest: wg.Tensor;
let session: Session | null = null;

/** conv 5×5 relu → pool 2 → conv 5×5 relu → pool 2 → flatten → dense logits; L2 on every kernel. */
function buildModel(l2: number): wg.Sequential {
  const kernelRegularizer = l2 > 0 ? wg.regularizers.l2(l2) : undefined;
  const seeded = (seed: number) => ({ kernelInitializer: wg.initializers.glorotUniform({ seed }), kernelRegularizer });
  return wg.sequential({
    layers: [
      wg.layers.conv2d({ filters: FILTERS[0], kernelSize: KERNEL, activation: 'relu', inputShape: [SIDE, SIDE, 1], ...seeded(1) }),
      wg.layers.maxPooling2d({ poolSize: 2 }),
      wg.layers.conv2d({ filters: FILTERS[1], kernelSize: KERNEL, activation: 'relu', ...seeded(2) }),
      wg.layers.maxPooling2d({ poolSize: 2 }),
      wg.layers.flatten(),
      wg.layers.dense({ units: 10, ...seeded(3) }),
    ],
  });
}

function startSession(): Session {
  const samples = Math.min(wholeNumber(samplesSelect.value, digits.count - TEST), digits.count - TEST);
  const model = buildModel(Number(l2Select.value));
  model.compile({
    optimizer: wg.optimizers.adam({ learningRate }),
    loss: (yTrue: wg.Tensor, yPred: wg.Tensor) => wg.losses.sparseCategoricalCrossentropy(yTrue, yPred, { fromLogits: true }),
    metrics: ['accuracy'],
  });
  for (const key of Object.keys(mnist) as Array<keyof MnistState>) {
    if (Array.isArray(mnist[key])) (mnist[key] as number[]).length = 0;
  }
  Object.assign(mnist, { trainSamples: samples, epoch: 0, trainSeconds: 0 });
  return { model, xTrain: imagesOf(digits, 0, samples), yTrain: labelsOf(digits, 0, samples), runs: 0, steps: Math.ceil(samples / BATCH) };
}

/** Class probabilities for images [n, 28, 28, 1]: softmax of the logits, read back. */
async function probabilities(model: wg.Sequential, x: wg.Tensor): Promise<Float32Array> {
  const p = wg.tidy(() => wg.softmax(model.predict(x, { batchSize: 500 })));
  const values = await p.data();
  p.dispose();
  return values;
}

const argMax = (p: Float32Array, row: number) => {
  let best = 0;
  for (let c = 1; c < 10; c++) if (p[row * 10 + c] > p[row * 10 + best]) best = c;
  return best;
};

/** Accuracy on the held-out digits, and the digit grids. */
async function showTest(s: Session): Promise<number> {
  const p = await probabilities(s.model, xTest);
  const first = digits.count - TEST;
  const cells = Array.from({ length: TEST }, (_, i) => ({
    pixels: digits.pixels.subarray((first + i) * PIXELS, (first + i + 1) * PIXELS),
    predicted: argMax(p, i),
    label: digits.labels[first + i],
  }));
  digitGrid($('test-digits'), cells.slice(0, 40), 10);
  digitGrid($('mistakes'), cells.filter((c) => c.predicted !== c.label).slice(0, 20), 10);
  return cells.filter((c) => c.predicted === c.label).length / TEST;
}

async function showFilters(s: Session) {
  const kernel = await s.model.layers[0].weights[0].data();
  drawFilters($('filters'), kernel, KERNEL, FILTERS[0]);
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

function plotLosses(s: Session) {
  const x = mnist.batchPredictionLoss.map((_, b) => (b + 1) / s.steps);
  // The log-scale plot cannot show a zero penalty: leave those points out.
  lossChart.update(x, [mnist.batchPredictionLoss, mnist.batchRegularizationLoss.map((v) => (v > 0 ? v : null))]);
}

/** Held-out accuracy of the untrained model: the accuracy plot starts from it at epoch 0. */
let untrainedAccuracy = 0;

function plotAccuracy() {
  const x = [0, ...mnist.testAccuracy.map((_, i) => i + 1)];
  accuracyChart.update(x, [[null, ...mnist.trainAccuracy], [untrainedAccuracy, ...mnist.testAccuracy]]);
}

let pauseRequested = false;

/** Trains for the epochs the page asks for, with the plots following along through callbacks. */
async function train(s: Session) {
  const epochs = wholeNumber(epochsInput.value, 1);
  // fit's batch logs are means over the epoch so far; the batch's own value is the difference
  // of running sums: (m_b·seen_b − m_{b−1}·seen_{b−1}) / count_b.
  let before = { loss: 0, regularizationLoss: 0, seen: 0 };
  const started = performance.now();
  const secondsBefore = mnist.trainSeconds;
  await s.model.fit(s.xTrain, s.yTrain, {
    epochs,
    batchSize: BATCH,
    shuffle: true,
    seed: s.runs++,
    verbose: 0,
    callbacks: {
      onEpochBegin: () => {
        before = { loss: 0, regularizationLoss: 0, seen: 0 };
      },
      onBatchEnd: (batch, logs) => {
        const seen = Math.min((batch + 1) * BATCH, mnist.trainSamples);
        const count = seen - before.seen;
        const total = (logs.loss * seen - before.loss * before.seen) / count;
        const reg = (logs.regularizationLoss * seen - before.regularizationLoss * before.seen) / count;
        before = { loss: logs.loss, regularizationLoss: logs.regularizationLoss, seen };
        mnist.batchPredictionLoss.push(total - reg);
        mnist.batchRegularizationLoss.push(reg);
        plotLosses(s);
        if (pauseRequested) s.model.stopTraining = true;
      },
      onEpochEnd: async (_epoch, logs) => {
        const testAccuracy = await showTest(s);
        await showFilters(s);
        mnist.trainSeconds = secondsBefore + (performance.now() - started) / 1000;
        mnist.epoch++;
        mnist.predictionLoss.push(logs.loss - logs.regularizationLoss);
        mnist.regularizationLoss.push(logs.regularizationLoss);
        mnist.trainAccuracy.push(logs.accuracy);
        mnist.testAccuracy.push(testAccuracy);
        plotAccuracy();
        $('stats').textContent =
          `epoch ${mnist.epoch} · ${mnist.trainSamples} training digits · prediction loss ${fmt(mnist.predictionLoss.at(-1)!)} · ` +
          `regularization loss ${fmt(logs.regularizationLoss)} · accuracy ${pct(logs.accuracy)} training, ` +
          `${pct(testAccuracy)} on ${TEST} held-out digits · ${mnist.trainSeconds.toFixed(1)} s`;
        await classifyDrawing();
      },
    },
  });
}

/** The run in flight, if any: at most one runs, and Reset waits for it. */
let running: Promise<void> = Promise.resolve();

function showState(state: MnistState['state']) {
  mnist.state = state;
  $('toggle').textContent = state === 'training' ? 'Pause' : 'Train';
}

const fail = (e: unknown) => showError(mnist, e);

async function run() {
  await running;
  if (!session || mnist.state === 'error') return;
  pauseRequested = false;
  showState('training');
  running = train(session).then(() => showState('paused'), fail);
  await running;
}

async function reset() {
  pauseRequested = true;
  await running;
  if (mnist.state === 'error') return;
  if (session) {
    for (const t of [session.xTrain, session.yTrain]) t.dispose();
    session.model.dispose();
  }
  session = startSession();
  lossChart.update([], [[], []]);
  // One prediction builds the layers: the untrained filters and guesses show at once.
  untrainedAccuracy = await showTest(session);
  plotAccuracy();
  await showFilters(session);
  await classifyDrawing();
  $('stats').textContent = `${session.xTrain.shape[0]} training digits · epoch 0 · ${pct(untrainedAccuracy)} of ${TEST} held-out digits right before training`;
  showState('ready');
}

let pad: ReturnType<typeof drawingPad>;

/** The pad's drawing through the current model: the 28×28 preview, the guess and the probabilities. */
async function classifyDrawing() {
  const preview = $<HTMLCanvasElement>('preview').getContext('2d')!;
  const pixels = pad ? toMnist(pad.ink(), $<HTMLCanvasElement>('pad').width, $<HTMLCanvasElement>('pad').height) : null;
  if (!pixels || !session) {
    preview.clearRect(0, 0, SIDE, SIDE);
    $('guess').textContent = '–';
    $('bars').replaceChildren();
    mnist.drawn = null;
    return;
  }
  preview.putImageData(digitImage(pixels, 1), 0, 0);
  const x = wg.tensor(pixels, [1, SIDE, SIDE, 1]);
  const p = await probabilities(session.model, x);
  x.dispose();
  const predicted = argMax(p, 0);
  $('guess').textContent = String(predicted);
  $('bars').replaceChildren(
    ...Array.from(p).flatMap((v, c) => {
      const bar = document.createElement('div');
      bar.className = c === predicted ? 'bar best' : 'bar';
      bar.style.width = `${Math.max(1, 120 * v)}px`;
      const [label, value, track] = [document.createElement('span'), document.createElement('span'), document.createElement('div')];
      label.textContent = String(c);
      value.textContent = pct(v);
      track.append(bar);
      return [label, track, value];
    }),
  );
  mnist.drawn = { pixels: Array.from(pixels), probabilities: Array.from(p), predicted };
}

async function main() {
  if (!(await initAdapter(mnist))) return;
  digits = await loadDigits();
  xTest = imagesOf(digits, digits.count - TEST, TEST);
  pad = drawingPad($('pad'), () => void classifyDrawing().catch(fail));
  $('clear').addEventListener('click', () => {
    pad.clear();
    void classifyDrawing();
  });
  $('toggle').addEventListener('click', () => {
    if (mnist.state === 'training') pauseRequested = true;
    else void run();
  });
  $('reset').addEventListener('click', () => void reset().catch(fail));
  await reset();
  for (const id of ['toggle', 'reset']) $<HTMLButtonElement>(id).disabled = false;
  if (params.get('autostart') === '1') await run();
}

main().catch(fail);
