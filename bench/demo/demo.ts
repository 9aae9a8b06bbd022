// The regularization demo: a dense classifier trained with model.fit, one epoch per animation
// tick, with L1/L2 penalties on every kernel. Plots the two parts of the training loss, the
// validation loss, accuracy, a histogram of the kernel weights and (for 2-D data) the decision
// regions. State is published on `window.__demo` for the browser tests.
//
// URL parameters: dataset=iris|spirals, l1, l2, lr, units, autostart=1, epochs=N (pause after
// N epochs each time Train is pressed; by default it trains until paused).
import * as wg from '../../src/index';
import { histogram, lineChart } from '../charts';
import { $, fmt, initAdapter, type PageState, trainingLoop } from '../demo_common';
import { type Dataset, iris, spirals } from './data';

export interface DemoState extends PageState {
  epoch: number;
  /** Per epoch: mean prediction loss, mean regularization loss (training), validation prediction loss. */
  predictionLoss: number[];
  regularizationLoss: number[];
  validationLoss: number[];
  trainAccuracy: number[];
  validationAccuracy: number[];
  /** Σ|w| over all kernels, after each epoch. */
  weightL1: number[];
}

declare global {
  interface Window {
    __demo: DemoState;
  }
}

const params = new URLSearchParams(location.search);
const demo: DemoState = (window.__demo = {
  state: 'loading',
  epoch: 0,
  predictionLoss: [],
  regularizationLoss: [],
  validationLoss: [],
  trainAccuracy: [],
  validationAccuracy: [],
  weightL1: [],
});

/** Log-scale sliders: position p means 10^p, and the leftmost position means 0 (off). */
function slider(id: string, initial: number | null) {
  const input = $<HTMLInputElement>(id);
  const out = $<HTMLOutputElement>(`${id}-out`);
  if (initial !== null) input.value = String(initial === 0 ? input.min : Math.log10(initial));
  const value = () => (id !== 'lr' && input.value === input.min ? 0 : 10 ** Number(input.value));
  const show = () => (out.textContent = value() === 0 ? 'off' : value().toPrecision(2));
  input.addEventListener('input', show);
  show();
  return { input, value };
}

const numberParam = (name: string): number | null => (params.has(name) ? Number(params.get(name)) : null);
const l1 = slider('l1', numberParam('l1'));
const l2 = slider('l2', numberParam('l2'));
const lr = slider('lr', numberParam('lr'));
const datasetSelect = $<HTMLSelectElement>('dataset');
const unitsSelect = $<HTMLSelectElement>('units');
if (params.get('dataset')) datasetSelect.value = params.get('dataset')!;
if (params.get('units')) unitsSelect.value = params.get('units')!;
const epochsPerRun = numberParam('epochs') ?? Infinity;

const BATCH = 32;
const lossChart = lineChart($('chart-loss'), {
  title: 'Loss per epoch',
  xLabel: 'epoch',
  yLabel: 'loss',
  log: true,
  series: [
    { label: 'prediction (train)', color: '#1c7ed6' },
    { label: 'regularization', color: '#e8590c' },
    { label: 'validation', color: '#2f9e44', dash: [6, 4] },
  ],
});
const accuracyChart = lineChart($('chart-accuracy'), {
  title: 'Accuracy',
  xLabel: 'epoch',
  yLabel: 'accuracy',
  series: [
    { label: 'train', color: '#1c7ed6' },
    { label: 'validation', color: '#2f9e44', dash: [6, 4] },
  ],
});
const weights = histogram($('chart-weights'), { title: 'Kernel weights (all layers)', xLabel: 'weight', color: '#7048e8' });

interface Session {
  data: Dataset;
  model: wg.Sequential;
  optimizer: wg.Optimizer;
  xTrain: wg.Tensor;
  yTrain: wg.Tensor;
  xVal: wg.Tensor;
  yVal: wg.Tensor;
  /** The penalties the model was built with; a slider change rebuilds it, keeping the weights. */
  l1: number;
  l2: number;
}

let session: Session | null = null;

const penalty = (a: number, b: number) => (a === 0 && b === 0 ? undefined : wg.regularizers.l1l2({ l1: a, l2: b }));

/** inputs → units (relu) → units (relu) → classes (logits), every kernel penalised. */
function buildModel(data: Dataset, units: number, a: number, b: number): wg.Sequential {
  return wg.sequential({
    layers: [
      wg.layers.dense({ units, activation: 'relu', inputShape: [data.features], kernelRegularizer: penalty(a, b) }),
      wg.layers.dense({ units, activation: 'relu', kernelRegularizer: penalty(a, b) }),
      wg.layers.dense({ units: data.classes, kernelRegularizer: penalty(a, b) }),
    ],
  });
}

function compile(model: wg.Sequential, optimizer: wg.Optimizer) {
  model.compile({
    optimizer,
    loss: (yTrue: wg.Tensor, yPred: wg.Tensor) => wg.losses.categoricalCrossentropy(yTrue, yPred, { fromLogits: true }),
  });
}

function startSession(): Session {
  const data = datasetSelect.value === 'spirals' ? spirals() : iris();
  const rows = (y: Float32Array) => y.length / data.classes;
  const xVal = wg.tensor(data.xVal, [rows(data.yVal), data.features]);
  const model = buildModel(data, Number(unitsSelect.value), l1.value(), l2.value());
  // One prediction builds the layers, so the weight histogram has something to show at once.
  model.predict(xVal).dispose();
  const optimizer = wg.optimizers.sgd({ learningRate: lr.value(), momentum: 0.9 });
  compile(model, optimizer);
  for (const key of Object.keys(demo) as Array<keyof DemoState>) {
    if (Array.isArray(demo[key])) (demo[key] as number[]).length = 0;
  }
  demo.epoch = 0;
  return {
    data,
    model,
    optimizer,
    xTrain: wg.tensor(data.xTrain, [rows(data.yTrain), data.features]),
    yTrain: wg.tensor(data.yTrain, [rows(data.yTrain), data.classes]),
    xVal,
    yVal: wg.tensor(data.yVal, [rows(data.yVal), data.classes]),
    l1: l1.value(),
    l2: l2.value(),
  };
}

function disposeSession(s: Session) {
  for (const t of [s.xTrain, s.yTrain, s.xVal, s.yVal]) t.dispose();
  s.model.dispose();
}

/**
 * A slider moved: the same weights under new penalties (a layer's regularizer is fixed when it
 * is made). The new model is built by one prediction, then takes the old weights.
 */
function applyPenalties(s: Session) {
  const a = l1.value();
  const b = l2.value();
  if (a === s.l1 && b === s.l2) return;
  const next = buildModel(s.data, Number(unitsSelect.value), a, b);
  next.predict(s.xVal).dispose();
  const values = s.model.getWeights();
  next.setWeights(values);
  for (const t of values) t.dispose();
  s.model.dispose();
  s.optimizer = wg.optimizers.sgd({ learningRate: lr.value(), momentum: 0.9 });
  compile(next, s.optimizer);
  s.model = next;
  s.l1 = a;
  s.l2 = b;
}

function accuracy(logits: Float32Array, labels: Float32Array, classes: number): number {
  let right = 0;
  const rows = labels.length / classes;
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
    right += labels[i * classes + best];
  }
  return right / rows;
}

async function kernelValues(model: wg.Sequential): Promise<Float32Array> {
  const kernels = model.weights.filter((w) => w.rank === 2);
  const parts = await Promise.all(kernels.map((k) => k.data()));
  const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

/** One epoch of fit, then the validation numbers, the plots and the weight histogram. */
async function epoch(s: Session) {
  applyPenalties(s);
  s.optimizer.learningRate = lr.value();
  const history = await s.model.fit(s.xTrain, s.yTrain, { epochs: 1, batchSize: BATCH, shuffle: true, seed: demo.epoch, verbose: 0 });
  const total = history.history.loss[0];
  const reg = history.history.regularizationLoss[0];
  const val = await s.model.evaluate(s.xVal, s.yVal, { batchSize: 256 });
  const [trainLogits, valLogits] = [s.model.predict(s.xTrain), s.model.predict(s.xVal)];
  const [tl, vl] = await Promise.all([trainLogits.data(), valLogits.data()]);
  trainLogits.dispose();
  valLogits.dispose();
  const w = await kernelValues(s.model);
  demo.epoch++;
  demo.predictionLoss.push(total - reg);
  demo.regularizationLoss.push(reg);
  demo.validationLoss.push(val.loss - val.regularizationLoss);
  demo.trainAccuracy.push(accuracy(tl, s.data.yTrain, s.data.classes));
  demo.validationAccuracy.push(accuracy(vl, s.data.yVal, s.data.classes));
  demo.weightL1.push(w.reduce((a, v) => a + Math.abs(v), 0));
  const epochs = demo.predictionLoss.map((_, i) => i + 1);
  // The log-scale plot cannot show a zero penalty: leave those points out.
  lossChart.update(epochs, [demo.predictionLoss, demo.regularizationLoss.map((v) => (v > 0 ? v : null)), demo.validationLoss]);
  accuracyChart.update(epochs, [demo.trainAccuracy, demo.validationAccuracy]);
  weights.update(w);
  const nearZero = w.reduce((n, v) => n + (Math.abs(v) < 1e-3 ? 1 : 0), 0);
  $('stats').textContent =
    `epoch ${demo.epoch} · prediction loss ${fmt(total - reg)} · regularization loss ${fmt(reg)} · ` +
    `validation loss ${fmt(demo.validationLoss.at(-1)!)} · accuracy ${pct(demo.trainAccuracy.at(-1)!)} train, ` +
    `${pct(demo.validationAccuracy.at(-1)!)} validation · Σ|w| ${fmt(demo.weightL1.at(-1)!)} · ` +
    `${nearZero} of ${w.length} weights below 10⁻³`;
  if (s.data.features === 2 && demo.epoch % 5 === 1) await drawRegions(s);
}

const pct = (v: number) => `${(100 * v).toFixed(0)}%`;

const CLASS_COLORS = [
  [28, 126, 214],
  [232, 89, 12],
  [47, 158, 68],
];

/** For 2-D data: the class the model predicts over a grid, faint, and the points on top. */
async function drawRegions(s: Session) {
  const canvas = $<HTMLCanvasElement>('boundary');
  const ctx = canvas.getContext('2d')!;
  const n = 64;
  const { lo, hi } = s.data.range!;
  const grid = new Float32Array(n * n * 2);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      grid[(i * n + j) * 2] = lo + ((j + 0.5) / n) * (hi - lo);
      grid[(i * n + j) * 2 + 1] = hi - ((i + 0.5) / n) * (hi - lo);
    }
  }
  const x = wg.tensor(grid, [n * n, 2]);
  const logits = s.model.predict(x);
  const out = await logits.data();
  x.dispose();
  logits.dispose();
  const size = Math.min(canvas.width, canvas.height);
  const edge = (k: number) => Math.round((k * size) / n);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  for (let i = 0; i < n * n; i++) {
    // A pale tint of the class colour: opaque, so neighbouring cells never overlap into lines.
    const [r, g, b] = CLASS_COLORS[out[i * 2 + 1] > out[i * 2] ? 1 : 0].map((c) => Math.round(255 - 0.25 * (255 - c)));
    const [col, row] = [i % n, Math.floor(i / n)];
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fillRect(edge(col), edge(row), edge(col + 1) - edge(col), edge(row + 1) - edge(row));
  }
  const dot = (xs: Float32Array, ys: Float32Array, filled: boolean) => {
    for (let i = 0; i < ys.length / 2; i++) {
      const [r, g, b] = CLASS_COLORS[ys[i * 2 + 1] > ys[i * 2] ? 1 : 0];
      ctx.beginPath();
      ctx.arc(((xs[i * 2] - lo) / (hi - lo)) * size, ((hi - xs[i * 2 + 1]) / (hi - lo)) * size, 3, 0, 2 * Math.PI);
      ctx.fillStyle = ctx.strokeStyle = `rgb(${r},${g},${b})`;
      if (filled) ctx.fill();
      else ctx.stroke();
    }
  };
  dot(s.data.xTrain, s.data.yTrain, true);
  dot(s.data.xVal, s.data.yVal, false);
  ctx.fillStyle = '#333';
  ctx.font = '12px system-ui, sans-serif';
  ['decision regions', '● training points', '○ validation points'].forEach((line, k) => ctx.fillText(line, size + 10, 16 + 18 * k));
}

const training = trainingLoop(demo, { step: () => epoch(session!), done: () => demo.epoch, perRun: () => epochsPerRun });

const reset = () =>
  training.restart(async () => {
    if (session) disposeSession(session);
    session = startSession();
    $('boundary-box').style.display = session.data.features === 2 ? '' : 'none';
    lossChart.update([], [[], [], []]);
    accuracyChart.update([], [[], []]);
    weights.update(await kernelValues(session.model));
    $('stats').textContent = `${session.data.description} · epoch 0`;
  });

async function main() {
  if (!(await initAdapter(demo))) return;
  session = startSession();
  $('boundary-box').style.display = session.data.features === 2 ? '' : 'none';
  weights.update(await kernelValues(session.model));
  $('stats').textContent = `${session.data.description} · epoch 0`;
  demo.state = 'ready';
  $('toggle').addEventListener('click', () => void training.setRunning(!training.running));
  $('reset').addEventListener('click', () => void reset());
  datasetSelect.addEventListener('change', () => void reset());
  unitsSelect.addEventListener('change', () => void reset());
  if (params.get('autostart') === '1') await training.setRunning(true);
}

main().catch((e) => {
  demo.state = 'error';
  demo.error = e instanceof Error ? e.message : String(e);
  console.error(e);
});
