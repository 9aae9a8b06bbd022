// webgrad alone in Node (Dawn): matmul GFLOP/s and the training workloads of the browser suite,
// printed as a markdown table. It bundles into one file for a GPU machine without Node or a
// registry:  ../shared/gpu/pack.sh bench/node.ts  then, there,  bash .gpu/run.sh [options]
//
//   --matmul 256,512,1024,2048,4096   square sizes (default: up to 1024 on SwiftShader, 4096 elsewhere)
//   --steps 784-256-10x128:ce,32-64-1x32:mse   --fit 784-256-10x128:ce|none   --samples 1024
//   --budget 1500 (ms per workload)   --json FILE (also write the rows as JSON)
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { webgradEngine } from './engines/webgrad';
import { DEFAULT_CONFIG, type FitSpec, markdownTable, parseMlp, planSuite, runTask, type SuiteConfig } from './suite';

const { values: opt } = parseArgs({
  options: {
    matmul: { type: 'string' },
    steps: { type: 'string' },
    fit: { type: 'string' },
    samples: { type: 'string', default: String(DEFAULT_CONFIG.fit!.samples) },
    budget: { type: 'string', default: String(DEFAULT_CONFIG.budgetMs) },
    json: { type: 'string' },
  },
});

// Dawn's callbacks need the event loop to keep turning while a GPU promise is pending.
const keepAlive = setInterval(() => {}, 1000);
const started = performance.now();
const description = await webgradEngine.init();
const slow = /swiftshader/i.test(description);
const sizes = opt.matmul ? opt.matmul.split(',').map(Number) : slow ? [256, 512, 1024] : [256, 512, 1024, 2048, 4096];
const config: SuiteConfig = {
  ...DEFAULT_CONFIG,
  matmul: sizes,
  steps: opt.steps ? opt.steps.split(',').map((t) => parseMlp(t)) : DEFAULT_CONFIG.steps,
  fit: opt.fit === 'none' ? null : opt.fit ? ({ ...parseMlp(opt.fit), samples: Number(opt.samples) } as FitSpec) : { ...DEFAULT_CONFIG.fit!, samples: Number(opt.samples) },
  budgetMs: Number(opt.budget),
};
const { rows, tasks } = planSuite(config, [webgradEngine]);
console.log(`${description} (Node ${process.version}, Dawn)`);
for (const task of tasks) {
  try {
    task.row.results.webgrad = await runTask(task, config);
  } catch (e) {
    task.row.results.webgrad = { ms: NaN, rate: NaN, runs: 0, firstMs: NaN, error: (e as Error).message };
    console.error(`${task.row.label}: ${(e as Error).message}`);
  }
  const m = task.row.results.webgrad;
  if (!m.error) console.log(`  ${task.row.label}: ${task.row.kind === 'matmul' ? `${m.rate.toFixed(1)} GFLOP/s` : `${m.ms.toFixed(2)} ms`} (${m.runs} runs)`);
}
console.log(`\n${markdownTable(rows, ['webgrad'])}\n`);
console.log(`${((performance.now() - started) / 1000).toFixed(1)} s in all`);
if (opt.json) writeFileSync(opt.json, `${JSON.stringify({ adapter: description, rows }, null, 2)}\n`);
clearInterval(keepAlive);
process.exit(rows.some((r) => r.results.webgrad?.error) ? 1 : 0);
