// Builds the pages into `outdir`: bench.js (webgrad, TensorFlow.js and jax-js side by side),
// demo.js (training with live plots), mnist.js and mnist.bin (a CNN on real digits),
// transformer.js (a character-level transformer and the text it learns, shakespeare.txt),
// webgrad.js (the library alone, for check.html: a blank page for the browser tests and for
// trying webgrad from the console), and the HTML and CSS.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { writeDigits } from '../bench/mnist/data.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/** @param {string} pkg */
const versionOf = (pkg) => JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;

export async function buildPages(outdir = join(root, 'bench/dist')) {
  mkdirSync(outdir, { recursive: true });
  await build({
    absWorkingDir: root,
    bundle: true,
    format: 'esm',
    loader: { '.wgsl': 'text' },
    sourcemap: true,
    logLevel: 'warning',
    entryPoints: { bench: 'bench/page.ts', demo: 'bench/demo/demo.ts', mnist: 'bench/mnist/mnist.ts', transformer: 'bench/transformer/transformer.ts', webgrad: 'src/index.ts' },
    outdir,
    platform: 'browser',
    target: 'es2022',
    minify: true,
    // jax-js does not export its version; the page reports the one it was built with.
    define: { JAX_JS_VERSION: JSON.stringify(versionOf('@jax-js/jax')) },
  });
  for (const [from, to] of [
    ['bench/index.html', 'index.html'],
    ['bench/demo/demo.html', 'demo.html'],
    ['bench/mnist/mnist.html', 'mnist.html'],
    ['bench/transformer/transformer.html', 'transformer.html'],
    ['bench/transformer/shakespeare.txt', 'shakespeare.txt'],
    ['bench/check.html', 'check.html'],
    ['bench/style.css', 'style.css'],
  ]) {
    copyFileSync(join(root, from), join(outdir, to));
  }
  writeDigits(root, join(outdir, 'mnist.bin'));
  return outdir;
}
