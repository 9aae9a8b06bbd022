// `npm run bench`: builds the pages, serves them on 127.0.0.1, runs the benchmark page in the
// system's headless Chromium, prints the results as a markdown table and writes
// bench/results/browser.json and bench/results/browser.png; then the host time per training step
// (bench/host.ts), printed after the browser's table and written to bench/results/host.md.
//
//   npm run bench [-- matmul=256,512 steps=784-256-10x128:ce fit=none budget=3000 ...]
// Each key=value argument becomes a URL parameter of the page (see bench/README.md).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { INSTALL_HELP, NoBrowserError, launchChromium, probeWebGPU } from '../scripts/browser.mjs';
import { serve } from '../scripts/serve.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const resultsDir = fileURLToPath(new URL('results/', import.meta.url));
const TIMEOUT_MS = 30 * 60_000;

const query = new URLSearchParams();
for (const arg of process.argv.slice(2)) {
  const at = arg.indexOf('=');
  if (at < 1) {
    console.error(`Arguments are page parameters written key=value (e.g. matmul=256,512); got "${arg}".`);
    process.exit(2);
  }
  query.set(arg.slice(0, at).replace(/^--/, ''), arg.slice(at + 1));
}

execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });

let browser;
try {
  browser = await launchChromium();
} catch (e) {
  console.error(e instanceof NoBrowserError ? e.message : `Chromium did not start: ${e.message}\n${INSTALL_HELP}`);
  process.exit(1);
}
const server = await serve();
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warn') console.log(`[page ${msg.type()}] ${msg.text()}`);
  });
  page.on('pageerror', (err) => console.log(`[page error] ${err.message}`));
  await page.goto(`${server.url}check.html`);
  const adapter = await probeWebGPU(page);
  if (!adapter) {
    console.error(`Chromium started but offers no WebGPU adapter. ${INSTALL_HELP}`);
    process.exitCode = 1;
  } else {
    const url = `${server.url}index.html${query.size ? `?${query}` : ''}`;
    console.log(`Benchmark page: ${url}\nWebGPU adapter: ${adapter}`);
    await page.goto(url);
    let last = '';
    const started = Date.now();
    for (;;) {
      const s = await page.evaluate(() => window.__bench && { state: window.__bench.state, progress: window.__bench.progress });
      const line = s ? `${s.progress.done}/${s.progress.total} ${s.progress.current}` : '';
      if (line && line !== last) {
        console.log(`  ${line}`);
        last = line;
      }
      if (s && s.state !== 'running') break;
      if (Date.now() - started > TIMEOUT_MS) throw new Error(`the benchmark did not finish in ${TIMEOUT_MS / 60_000} minutes`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const bench = await page.evaluate(() => window.__bench);
    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: `${resultsDir}browser.png`, fullPage: true });
    if (bench.state === 'done') {
      writeFileSync(`${resultsDir}browser.json`, `${JSON.stringify(bench.result, null, 2)}\n`);
      console.log(`\nAdapter: ${bench.result.adapter}`);
      const rt = bench.result.roundTrip;
      if (rt) {
        console.log(`Round trip (${rt.copyOnlyMs.toFixed(2)} ms copy only, raw WebGPU): ${rt.oneDispatchMs.toFixed(2)} ms after 1 dispatch, ${rt.twentyDispatchesMs.toFixed(2)} ms after 20`);
      }
      for (const [id, d] of Object.entries(bench.result.engines)) console.log(`  ${id}: ${d}`);
      console.log(`\n${bench.result.markdown}\n`);
      console.log(`Wrote bench/results/browser.json and bench/results/browser.png (${(bench.result.durationMs / 1000).toFixed(0)} s).`);
    } else {
      console.error(bench.reason === 'no-webgpu' ? `${bench.error}\n${INSTALL_HELP}` : `The benchmark failed: ${bench.error}`);
      process.exitCode = 1;
    }
  }
} finally {
  await browser.close();
  await server.close();
}

// Host time per training step (bench/host.ts, Dawn's null backend: JavaScript and encoding, no
// GPU work), tracked on every run beside the browser's table.
try {
  const out = execFileSync(process.execPath, ['--expose-gc', 'bench/dist/host.mjs'], { cwd: root, encoding: 'utf8' });
  console.log(`\n${out.trim()}`);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(`${resultsDir}host.md`, `${out.trim()}\n`);
} catch (e) {
  console.error(`The host-time benchmark failed: ${e.message}`);
  process.exitCode = 1;
}
