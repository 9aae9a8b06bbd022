// Builds the package (scripts/library.mjs: dist/index.js with WGSL inlined as text, and
// dist/index.d.ts), and the benchmark and demo pages into bench/dist/.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { buildLibrary } from './library.mjs';
import { buildPages } from './pages.mjs';

const common = { bundle: true, format: 'esm', loader: { '.wgsl': 'text' }, sourcemap: true, logLevel: 'warning' };
await buildLibrary();
await buildPages();
// The Node entry of the benchmark (on Dawn; webgrad alone unless --engines names its peers):
// `node bench/dist/node.mjs`.
const jaxVersion = JSON.parse(readFileSync('node_modules/@jax-js/jax/package.json', 'utf8')).version;
await build({
  ...common,
  entryPoints: ['bench/node.ts'],
  outfile: 'bench/dist/node.mjs',
  platform: 'node',
  target: 'node20',
  external: ['webgpu'],
  define: { JAX_JS_VERSION: JSON.stringify(jaxVersion) },
});
// Host time per training step on Dawn's null backend (bench/host.ts): `npm run bench:host`.
await build({
  ...common,
  entryPoints: ['bench/host.ts'],
  outfile: 'bench/dist/host.mjs',
  platform: 'node',
  target: 'node20',
  external: ['webgpu'],
});
