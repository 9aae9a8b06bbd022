// The benchmark page: reads the workloads from the URL, runs every engine on each in turn with
// a progress bar, fills the table as results arrive, then draws the charts. Its state is also
// published on `window.__bench` for the headless runner (bench/run.mjs) and the browser tests.
import { groupedBars, formatShort } from './charts';
import { jaxEngine } from './engines/jax';
import { tfjsEngine } from './engines/tfjs';
import { webgradEngine } from './engines/webgrad';
import {
  DEFAULT_CONFIG,
  ENGINE_LABELS,
  formatCount,
  type Engine,
  type EngineId,
  type FitSpec,
  markdownTable,
  type Measurement,
  parseMlp,
  planSuite,
  relativeToFastest,
  type Row,
  runTask,
  shapeText,
  shown,
  type SuiteConfig,
  webgradVsBestPeer,
} from './suite';
import { type CnnFitSpec, cnnText, convText, parseCnn, parseConv } from './cnn';
import { measureRoundTrip, type RoundTrip, roundTripText } from './round_trip';
import { parseTransformer, transformerText } from './transformer_bench';

const ALL_ENGINES: Record<EngineId, Engine> = { webgrad: webgradEngine, tfjs: tfjsEngine, jax: jaxEngine };
const COLORS: Record<EngineId, string> = { webgrad: '#e8590c', tfjs: '#1c7ed6', jax: '#7048e8' };

export interface BenchResult {
  adapter: string;
  /** The adapter's round trip without any engine (bench/round_trip.ts), measured before the suite. */
  roundTrip: RoundTrip | null;
  userAgent: string;
  engines: Partial<Record<EngineId, string>>;
  config: SuiteConfig;
  rows: Row[];
  markdown: string;
  startedAt: string;
  durationMs: number;
}

interface BenchState {
  state: 'running' | 'done' | 'error';
  /** 'no-webgpu' when the browser has no adapter, so the runner can say what to install. */
  reason?: string;
  error?: string;
  progress: { done: number; total: number; current: string };
  result?: BenchResult;
}

declare global {
  interface Window {
    __bench: BenchState;
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const bench: BenchState = (window.__bench = { state: 'running', progress: { done: 0, total: 0, current: '' } });

function positiveNumber(params: URLSearchParams, name: string, fallback: number): number {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`URL parameter ${name}=${raw} must be a non-negative number`);
  return v;
}

export function parseConfig(search: string): { config: SuiteConfig; engines: EngineId[] } {
  const p = new URLSearchParams(search);
  const base = {
    l1: positiveNumber(p, 'l1', DEFAULT_CONFIG.steps[0].l1),
    l2: positiveNumber(p, 'l2', DEFAULT_CONFIG.steps[0].l2),
    learningRate: positiveNumber(p, 'lr', DEFAULT_CONFIG.steps[0].learningRate),
  };
  const list = (name: string): string[] | null => {
    const raw = p.get(name);
    if (raw === null) return null;
    return raw.trim() === 'none' ? [] : raw.split(',').map((s) => s.trim()).filter(Boolean);
  };
  const matmul = (list('matmul') ?? DEFAULT_CONFIG.matmul.map(String)).map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) throw new Error(`matmul size "${s}" must be a positive integer`);
    return n;
  });
  const steps = (list('steps') ?? DEFAULT_CONFIG.steps.map(shapeText)).map((s) => parseMlp(s, base));
  const fitText = p.get('fit') ?? shapeText(DEFAULT_CONFIG.fit!);
  const fit: FitSpec | null =
    fitText === 'none' || fitText === ''
      ? null
      : { ...parseMlp(fitText, base), samples: Math.round(positiveNumber(p, 'samples', DEFAULT_CONFIG.fit!.samples)) };
  const transformer = parseTransformer(p.get('transformer') ?? (DEFAULT_CONFIG.transformer ? transformerText(DEFAULT_CONFIG.transformer) : 'none'));
  const conv = (list('conv') ?? DEFAULT_CONFIG.conv.map(convText)).map(parseConv);
  const cnn = (list('cnn') ?? DEFAULT_CONFIG.cnn.map(cnnText)).map((s) => parseCnn(s, base));
  const cnnFitText = p.get('cnnFit') ?? cnnText(DEFAULT_CONFIG.cnnFit!);
  const cnnFit: CnnFitSpec | null =
    cnnFitText === 'none' || cnnFitText === ''
      ? null
      : { ...parseCnn(cnnFitText, base), samples: Math.round(positiveNumber(p, 'cnnSamples', DEFAULT_CONFIG.cnnFit!.samples)) };
  const engines = (list('engines') ?? Object.keys(ALL_ENGINES)).map((id) => {
    if (!(id in ALL_ENGINES)) throw new Error(`unknown engine "${id}" (choose from ${Object.keys(ALL_ENGINES).join(', ')})`);
    return id as EngineId;
  });
  return {
    config: {
      matmul,
      steps,
      fit,
      transformer,
      conv,
      cnn,
      cnnFit,
      budgetMs: positiveNumber(p, 'budget', DEFAULT_CONFIG.budgetMs),
      minRuns: Math.max(1, Math.round(positiveNumber(p, 'minRuns', DEFAULT_CONFIG.minRuns))),
      maxRuns: Math.max(1, Math.round(positiveNumber(p, 'maxRuns', DEFAULT_CONFIG.maxRuns))),
    },
    engines,
  };
}

/** Shows the run's settings in the form, so "Run with these" starts from them. */
function fillForm(config: SuiteConfig, engines: EngineId[]) {
  const form = $<HTMLFormElement>('config');
  const set = (name: string, value: string) => ((form.elements.namedItem(name) as HTMLInputElement).value = value);
  set('matmul', config.matmul.join(','));
  set('steps', config.steps.map(shapeText).join(','));
  set('fit', config.fit ? shapeText(config.fit) : 'none');
  set('samples', String(config.fit?.samples ?? DEFAULT_CONFIG.fit!.samples));
  set('transformer', config.transformer ? transformerText(config.transformer) : 'none');
  set('conv', config.conv.length ? config.conv.map(convText).join(',') : 'none');
  set('cnn', config.cnn.length ? config.cnn.map(cnnText).join(',') : 'none');
  set('cnnFit', config.cnnFit ? cnnText(config.cnnFit) : 'none');
  set('cnnSamples', String(config.cnnFit?.samples ?? DEFAULT_CONFIG.cnnFit!.samples));
  const first = config.steps[0] ?? config.fit ?? DEFAULT_CONFIG.steps[0];
  set('l1', String(first.l1));
  set('l2', String(first.l2));
  set('lr', String(first.learningRate));
  set('engines', engines.join(','));
  set('budget', String(config.budgetMs));
}

function setProgress(done: number, total: number, current: string) {
  bench.progress = { done, total, current };
  const bar = $<HTMLProgressElement>('progress');
  bar.max = Math.max(total, 1);
  bar.value = done;
  $('status').textContent = total ? `${done} / ${total}${current ? ` · ${current}` : ''}` : current;
}

function renderTable(rows: Row[], engines: EngineId[], running?: { row: Row; engine: EngineId }) {
  const head = ['workload', 'unit', ...engines.map((id) => ENGINE_LABELS[id]), 'webgrad ÷ fastest peer', 'webgrad dispatches'];
  $('results').querySelector('thead')!.innerHTML = `<tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>`;
  const body = $('results').querySelector('tbody')!;
  body.innerHTML = '';
  for (const row of rows) {
    const tr = document.createElement('tr');
    const cell = (text: string, cls = '', title = '') => {
      const td = document.createElement('td');
      td.textContent = text;
      if (cls) td.className = cls;
      if (title) td.title = title;
      tr.appendChild(td);
    };
    cell(row.label);
    cell(row.unit);
    for (const id of engines) {
      const m = row.results[id];
      if (running && running.row === row && running.engine === id) cell('running…', 'running');
      else if (!m) cell('–');
      else if (m.error) cell('error', 'error', m.error);
      else cell(formatShort(shown(row, m)), relativeToFastest(row, id) === 1 ? 'best' : '', describe(m));
    }
    const ratio = webgradVsBestPeer(row);
    cell(ratio === undefined ? '–' : `${ratio.toFixed(2)}×`, `ratio ${ratio === undefined ? '' : ratio >= 1 ? 'ahead' : 'behind'}`);
    const d = row.results.webgrad?.dispatchesPerUnit;
    cell(d === undefined ? '–' : `${formatCount(d)}${row.kind === 'matmul' || row.kind === 'conv' ? '' : row.kind === 'fit' ? ' / epoch' : ' / step'}`);
    body.appendChild(tr);
  }
}

function describe(m: Measurement): string {
  const parts = [`median of ${m.runs} runs: ${m.ms.toFixed(2)} ms`, `first call ${m.firstMs.toFixed(0)} ms`];
  if (m.firstLoss !== undefined) parts.push(`loss ${m.firstLoss.toFixed(4)} after the first unit, ${m.lastLoss?.toFixed(4)} after the last`);
  return parts.join('\n');
}

function renderCharts(rows: Row[], engines: EngineId[]) {
  const width = Math.min(560, Math.max(360, (document.body.clientWidth - 64) / 2));
  const matmuls = rows.filter((r) => r.unit === 'GFLOP/s');
  const training = rows.filter((r) => r.unit !== 'GFLOP/s');
  const matEl = $('chart-matmul');
  const trainEl = $('chart-train');
  matEl.innerHTML = trainEl.innerHTML = '';
  if (matmuls.length) {
    groupedBars(matEl, {
      title: 'Matmul and convolution, GFLOP/s (higher is faster)',
      yLabel: 'GFLOP/s',
      width,
      groups: matmuls.map((r) => r.short),
      series: engines.map((id) => ({
        label: ENGINE_LABELS[id],
        color: COLORS[id],
        values: matmuls.map((r) => (r.results[id] && !r.results[id]!.error ? r.results[id]!.rate : null)),
      })),
    });
  }
  if (training.length) {
    groupedBars(trainEl, {
      title: 'Training, speed relative to the fastest (labels: ms)',
      yLabel: 'relative speed',
      width,
      groups: training.map((r) => r.short),
      series: engines.map((id) => ({
        label: ENGINE_LABELS[id],
        color: COLORS[id],
        values: training.map((r) => relativeToFastest(r, id) ?? null),
        labels: training.map((r) => (r.results[id] && !r.results[id]!.error ? formatShort(r.results[id]!.ms) : null)),
      })),
    });
  }
}

async function adapterDescription(): Promise<string | null> {
  if (!('gpu' in navigator)) return null;
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;
  const i = adapter.info;
  const name = [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' ') || 'unnamed adapter';
  return adapter.info.isFallbackAdapter ? `${name} (fallback adapter)` : name;
}

function fail(reason: string, message: string) {
  bench.state = 'error';
  bench.reason = reason;
  bench.error = message;
  $('status').textContent = message;
  $('status').className = 'error-box';
  console.error(message);
}

async function main() {
  $('browser').textContent = navigator.userAgent;
  let parsed: ReturnType<typeof parseConfig>;
  try {
    parsed = parseConfig(location.search);
  } catch (e) {
    fail('bad-parameters', `Bad URL parameter: ${(e as Error).message}`);
    return;
  }
  const { config } = parsed;
  fillForm(config, parsed.engines);
  const adapter = await adapterDescription();
  if (!adapter) {
    $('adapter').textContent = 'none';
    fail(
      'no-webgpu',
      'This browser offers no WebGPU adapter. Use Chrome or Edge 113+ (or Chromium started with --enable-unsafe-webgpu) on an https:// or http://localhost page.',
    );
    return;
  }
  $('adapter').textContent = adapter;

  const started = performance.now();
  setProgress(0, 0, 'measuring the round trip…');
  const roundTrip = await measureRoundTrip();
  $('round-trip').textContent = roundTrip ? roundTripText(roundTrip) : '–';
  const engines: Engine[] = [];
  const descriptions: Partial<Record<EngineId, string>> = {};
  for (const id of parsed.engines) {
    setProgress(0, 0, `starting ${ENGINE_LABELS[id]}…`);
    try {
      descriptions[id] = await ALL_ENGINES[id].init();
      engines.push(ALL_ENGINES[id]);
    } catch (e) {
      descriptions[id] = `failed to start: ${(e as Error).message}`;
      console.error(`${ENGINE_LABELS[id]} failed to start:`, e);
    }
  }
  $('engines').textContent = parsed.engines.map((id) => `${ENGINE_LABELS[id]}: ${descriptions[id]}`).join(' · ');
  const ids = engines.map((e) => e.id);
  const { rows, tasks } = planSuite(config, engines);
  renderTable(rows, ids);
  for (const [k, task] of tasks.entries()) {
    setProgress(k, tasks.length, `${task.engine.label}: ${task.row.label}`);
    renderTable(rows, ids, { row: task.row, engine: task.engine.id });
    try {
      task.row.results[task.engine.id] = await runTask(task, config);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      task.row.results[task.engine.id] = { ms: NaN, rate: NaN, runs: 0, firstMs: NaN, error: message };
      console.error(`${task.engine.label} failed on ${task.row.label}:`, e);
    }
  }
  renderTable(rows, ids);
  renderCharts(rows, ids);
  const result: BenchResult = {
    adapter,
    roundTrip,
    userAgent: navigator.userAgent,
    engines: descriptions,
    config,
    rows,
    markdown: markdownTable(rows, ids),
    startedAt: new Date(Date.now() - (performance.now() - started)).toISOString(),
    durationMs: performance.now() - started,
  };
  $('json').textContent = JSON.stringify(result, null, 2);
  setProgress(tasks.length, tasks.length, `done in ${(result.durationMs / 1000).toFixed(1)} s`);
  bench.result = result;
  bench.state = 'done';
}

main().catch((e) => fail('exception', `The benchmark stopped: ${e instanceof Error ? e.stack ?? e.message : String(e)}`));
