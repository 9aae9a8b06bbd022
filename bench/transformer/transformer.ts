// The character-level transformer demo: trains on Shakespeare with trainOnBatch, one step per
// animation frame, plots the prediction and regularization losses against the text's unigram
// entropy, and samples text from the model as it learns. State is published on
// `window.__transformer` for the browser test.
//
// URL parameters: width (64), context (64), batch (16), blocks (2), heads (4), lr (0.005),
// l2 (1e-4), steps=N (pause after N steps each time Train is pressed), sampleEvery (100 steps),
// sampleLength (200 characters), temperature (0.8), greedy=1, autostart=1, seed.
import * as wg from '../../src/index';
import { seededRandom } from '../../src/rng';
import { lineChart } from '../charts';
import { $, fmt, initAdapter, type PageState, trainingLoop } from '../demo_common';
import { batchSampler, type CharModelSpec, charTransformer, compileCharModel, type Corpus, corpus, sample } from './model';

export interface TransformerDemoState extends PageState {
  step: number;
  /** Per step: the cross-entropy of the next-character predictions, and the L2 penalty, in nats. */
  predictionLoss: number[];
  regularizationLoss: number[];
  unigramEntropy: number;
  samples: Array<{ step: number; text: string }>;
  /** Mean milliseconds per training step so far (the animation frames between them excluded). */
  msPerStep: number;
}

declare global {
  interface Window {
    __transformer: TransformerDemoState;
  }
}

const params = new URLSearchParams(location.search);
const numberParam = (name: string, fallback: number): number => {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`URL parameter ${name}=${raw} must be a non-negative number`);
  return v;
};

const demo: TransformerDemoState = (window.__transformer = {
  state: 'loading',
  step: 0,
  predictionLoss: [],
  regularizationLoss: [],
  unigramEntropy: NaN,
  samples: [],
  msPerStep: NaN,
});

const widthSelect = $<HTMLSelectElement>('width');
const lrInput = $<HTMLInputElement>('lr');
const temperatureInput = $<HTMLInputElement>('temperature');
const greedyInput = $<HTMLInputElement>('greedy');
if (params.get('width')) widthSelect.value = params.get('width')!;
if (params.get('lr')) lrInput.value = params.get('lr')!;
if (params.get('temperature')) temperatureInput.value = params.get('temperature')!;
greedyInput.checked = params.get('greedy') === '1';
const showTemperature = () => ($('temperature-out').textContent = Number(temperatureInput.value).toFixed(2));
temperatureInput.addEventListener('input', showTemperature);
showTemperature();

const lossChart = lineChart($('chart-loss'), {
  title: 'Training loss per step (nats)',
  xLabel: 'step',
  yLabel: 'loss',
  width: 560,
  height: 300,
  log: true,
  series: [
    { label: 'prediction', color: '#1c7ed6' },
    { label: 'regularization', color: '#e8590c' },
    { label: 'unigram entropy', color: '#495057', dash: [6, 4] },
  ],
});

interface Session {
  spec: CharModelSpec;
  batch: number;
  model: wg.Model;
  optimizer: wg.Optimizer;
  batches: ReturnType<typeof batchSampler>;
  positions: wg.Tensor;
  random: () => number;
  trainingMs: number;
}

let text: Corpus | null = null;
let session: Session | null = null;

function startSession(c: Corpus): Session {
  const seed = numberParam('seed', 1);
  const spec: CharModelSpec = {
    vocab: c.chars.length,
    context: numberParam('context', 64),
    width: Number(widthSelect.value),
    heads: numberParam('heads', 4),
    blocks: numberParam('blocks', 2),
    l2: numberParam('l2', 1e-4),
  };
  const batch = numberParam('batch', 16);
  const model = charTransformer(spec);
  const optimizer = compileCharModel(model, Number(lrInput.value));
  const batches = batchSampler(c, spec.context, batch, seed);
  demo.step = 0;
  demo.predictionLoss.length = 0;
  demo.regularizationLoss.length = 0;
  demo.samples.length = 0;
  demo.msPerStep = NaN;
  $('samples').textContent = '';
  return { spec, batch, model, optimizer, batches, positions: wg.tensor(batches.positions, [batch, spec.context]), random: seededRandom(seed + 1), trainingMs: 0 };
}

function disposeSession(s: Session) {
  s.model.dispose();
  s.positions.dispose();
}

async function trainStep(s: Session) {
  s.optimizer.learningRate = Number(lrInput.value);
  const { x, y } = s.batches.next();
  const tokens = wg.tensor(x, [s.batch, s.spec.context]);
  const next = wg.tensor(y, [s.batch, s.spec.context]);
  const t0 = performance.now();
  const logs = await s.model.trainOnBatch([tokens, s.positions], next);
  s.trainingMs += performance.now() - t0;
  tokens.dispose();
  next.dispose();
  demo.step++;
  demo.predictionLoss.push(logs.loss - logs.regularizationLoss);
  demo.regularizationLoss.push(logs.regularizationLoss);
  demo.msPerStep = s.trainingMs / demo.step;
}

/** A continuation of a random stretch of the text, shown under the step it was taken at. */
async function addSample(s: Session, c: Corpus) {
  const start = Math.floor(s.random() * (c.ids.length - s.spec.context));
  const prompt = c.ids.subarray(start, start + s.spec.context);
  const temperature = greedyInput.checked ? 0 : Number(temperatureInput.value);
  const out = await sample(s.model, c, prompt, numberParam('sampleLength', 200), temperature, s.random);
  demo.samples.push({ step: demo.step, text: out });
  const box = $('samples');
  const entry = document.createElement('div');
  const label = document.createElement('span');
  label.className = 'step';
  label.textContent = `step ${demo.step}, ${temperature === 0 ? 'greedy' : `temperature ${temperature.toFixed(2)}`}, after “…${Array.from(prompt.subarray(-24), (id) => c.chars[id]).join('')}”:\n`;
  entry.append(label, out, '\n\n');
  box.prepend(entry);
}

function render(c: Corpus) {
  const steps = demo.predictionLoss.map((_, i) => i + 1);
  lossChart.update(steps, [demo.predictionLoss, demo.regularizationLoss.map((v) => (v > 0 ? v : null)), steps.map(() => c.unigramEntropy)]);
  const recent = demo.predictionLoss.slice(-20);
  const mean = recent.reduce((a, v) => a + v, 0) / Math.max(1, recent.length);
  $('stats').textContent =
    `step ${demo.step} · prediction loss ${fmt(mean)} (mean of the last ${recent.length}) · ` +
    `regularization loss ${fmt(demo.regularizationLoss.at(-1) ?? 0)} · unigram entropy ${fmt(c.unigramEntropy)} nats · ` +
    `${demo.msPerStep.toFixed(0)} ms per step`;
}

const training = trainingLoop(demo, {
  step: async () => {
    const sampleEvery = numberParam('sampleEvery', 100);
    await trainStep(session!);
    render(text!);
    if (sampleEvery > 0 && demo.step % sampleEvery === 0) await addSample(session!, text!);
  },
  done: () => demo.step,
  perRun: () => numberParam('steps', Infinity),
  // Every pause shows what the model writes now.
  onPause: async () => {
    if (session && text && demo.samples.at(-1)?.step !== demo.step) await addSample(session, text);
  },
});

const reset = () =>
  training.restart(() => {
    if (session) disposeSession(session);
    session = startSession(text!);
    render(text!);
  });

async function main() {
  if (!(await initAdapter(demo))) return;
  const response = await fetch('shakespeare.txt');
  if (!response.ok) throw new Error(`shakespeare.txt: HTTP ${response.status}`);
  text = corpus(await response.text());
  demo.unigramEntropy = text.unigramEntropy;
  session = startSession(text);
  render(text);
  demo.state = 'ready';
  $('toggle').addEventListener('click', () => void training.setRunning(!training.running));
  $('reset').addEventListener('click', () => void reset());
  if (params.get('autostart') === '1') await training.setRunning(true);
}

main().catch((e) => {
  demo.state = 'error';
  demo.error = e instanceof Error ? e.message : String(e);
  console.error(e);
});
