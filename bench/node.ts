// The benchmark suite in Node on Dawn: matmul GFLOP/s and the training workloads of the browser
// page, printed as a markdown table. webgrad alone by default; `--engines webgrad,tfjs,jax` runs
// TensorFlow.js (WebGPU backend) and jax-js (WebGPU device) beside it on the same adapter, through
// the same Dawn instance. It bundles into one file for a GPU machine without Node or a registry:
//   ../shared/gpu/pack.sh bench/node.ts  then, there,  bash .gpu/run.sh [options]
//
//   --matmul 256,512,1024,2048,4096   square sizes (default: up to 1024 on SwiftShader, 4096 elsewhere)
//   --steps 784-256-10x128:ce,32-64-1x32:mse   --fit 784-256-10x128:ce|none   --samples 1024
//   --transformer 64x16|none (context x batch of the transformer-block step)
//   --conv 32x32x32-64x32|none   --cnn 8-16x32,8-16x128|none   --cnnFit 8-16x128|none   --cnnSamples 256
//   --engines webgrad,tfjs,jax   --budget 1500 (ms per workload)   --json FILE (also write the rows)
import './node_setup';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { jaxEngine } from './engines/jax';
import { tfjsEngine } from './engines/tfjs';
import { webgradEngine } from './engines/webgrad';
import {
  DEFAULT_CONFIG, type Engine, type EngineId, type FitSpec, markdownTable, parseMlp, planSuite, runTask, type SuiteConfig,
} from './suite';
import { type CnnFitSpec, parseCnn, parseConv } from './cnn';
import { parseTransformer } from './transformer_bench';

const { values: opt } = parseArgs({
  options: {
    matmul: { type: 'string' },
    steps: { type: 'string' },
    fit: { type: 'string' },
    transformer: { type: 'string' },
    conv: { type: 'string' },
    cnn: { type: 'string' },
    cnnFit: { type: 'string' },
    cnnSamples: { type: 'string', default: String(DEFAULT_CONFIG.cnnFit!.samples) },
    samples: { type: 'string', default: String(DEFAULT_CONFIG.fit!.samples) },
    budget: { type: 'string', default: String(DEFAULT_CONFIG.budgetMs) },
    engines: { type: 'string', default: 'webgrad' },
    json: { type: 'string' },
  },
});

const ALL: Record<EngineId, Engine> = { webgrad: webgradEngine, tfjs: tfjsEngine, jax: jaxEngine };
const ids = opt.engines.split(',').map((s) => s.trim()) as EngineId[];
for (const id of ids) if (!(id in ALL)) throw new Error(`unknown engine '${id}' (choose from ${Object.keys(ALL).join(', ')})`);

// Dawn's callbacks need the event loop to keep turning while a GPU promise is pending.
const keepAlive = setInterval(() => {}, 1000);
const started = performance.now();
const engines: Engine[] = [];
let description = '';
for (const id of ids) {
  const text = await ALL[id].init();
  console.log(`${ALL[id].label}: ${text}`);
  if (id === 'webgrad') description = text;
  engines.push(ALL[id]);
}
const slow = /swiftshader/i.test(description || (await navigator.gpu.requestAdapter())?.info.description || '');
const sizes = opt.matmul ? opt.matmul.split(',').map(Number) : slow ? [256, 512, 1024] : [256, 512, 1024, 2048, 4096];
const config: SuiteConfig = {
  ...DEFAULT_CONFIG,
  matmul: sizes,
  steps: opt.steps ? opt.steps.split(',').map((t) => parseMlp(t)) : DEFAULT_CONFIG.steps,
  fit: opt.fit === 'none' ? null : opt.fit ? ({ ...parseMlp(opt.fit), samples: Number(opt.samples) } as FitSpec) : { ...DEFAULT_CONFIG.fit!, samples: Number(opt.samples) },
  transformer: opt.transformer ? parseTransformer(opt.transformer) : DEFAULT_CONFIG.transformer,
  conv: opt.conv === 'none' ? [] : opt.conv ? opt.conv.split(',').map(parseConv) : DEFAULT_CONFIG.conv,
  cnn: opt.cnn === 'none' ? [] : opt.cnn ? opt.cnn.split(',').map((t) => parseCnn(t, DEFAULT_CONFIG.cnn[0])) : DEFAULT_CONFIG.cnn,
  cnnFit:
    opt.cnnFit === 'none'
      ? null
      : ({ ...(opt.cnnFit ? parseCnn(opt.cnnFit, DEFAULT_CONFIG.cnn[0]) : DEFAULT_CONFIG.cnnFit!), samples: Number(opt.cnnSamples) } as CnnFitSpec),
  budgetMs: Number(opt.budget),
};
const { rows, tasks } = planSuite(config, engines);
console.log(`(Node ${process.version}, Dawn)`);
let failed = false;
for (const task of tasks) {
  const id = task.engine.id;
  try {
    task.row.results[id] = await runTask(task, config);
  } catch (e) {
    task.row.results[id] = { ms: NaN, rate: NaN, runs: 0, firstMs: NaN, error: (e as Error).message };
    console.error(`${task.engine.label}, ${task.row.label}: ${(e as Error).message}`);
    failed ||= id === 'webgrad';
  }
  const m = task.row.results[id]!;
  if (!m.error) console.log(`  ${task.engine.label}, ${task.row.label}: ${task.row.unit === 'GFLOP/s' ? `${m.rate.toFixed(1)} GFLOP/s` : `${m.ms.toFixed(2)} ms`} (${m.runs} runs)`);
}
console.log(`\n${markdownTable(rows, ids)}\n`);
console.log(`${((performance.now() - started) / 1000).toFixed(1)} s in all`);
if (opt.json) writeFileSync(opt.json, `${JSON.stringify({ adapter: description, engines: ids, rows }, null, 2)}\n`);
clearInterval(keepAlive);
process.exit(failed ? 1 : 0);
