// Bundles the library (src/index.ts) into dist/webgrad.js with WGSL inlined as text, and
// the benchmark and demo pages into bench/dist/. `tsc` emits the type declarations beside it.
import { build } from 'esbuild';

const common = { bundle: true, format: 'esm', loader: { '.wgsl': 'text' }, sourcemap: true, logLevel: 'warning' };
await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.js', platform: 'neutral', external: ['webgpu'] });
