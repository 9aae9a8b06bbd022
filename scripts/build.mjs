// Bundles the library (src/index.ts) into dist/index.js with WGSL inlined as text, and
// the benchmark and demo pages into bench/dist/. `tsc` emits the type declarations beside it.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { buildPages } from './pages.mjs';

const common = { bundle: true, format: 'esm', loader: { '.wgsl': 'text' }, sourcemap: true, logLevel: 'warning' };
await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.js', platform: 'neutral', external: ['webgpu'] });

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
