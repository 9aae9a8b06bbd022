// Makes Node look like a WebGPU browser to the benchmark's engines, before their modules run
// (bench/node.ts imports this file first): TensorFlow.js registers its WebGPU backend at import
// time only if navigator.gpu exists, and jax-js reads navigator.userAgent. One Dawn instance
// serves all three engines, so they share the adapter.
import { createRequire } from 'node:module';
import { findGpu } from '../src/device/gpu';

// TensorFlow.js's Node platform calls require('util'); an ES-module bundle has no `require`.
const scope = globalThis as { require?: NodeRequire };
scope.require ??= createRequire(import.meta.url);

// webgrad's own lookup: Dawn from the `webgpu` package, its globals installed, SwiftShader where
// the machine has no GPU. init() then finds this same object on navigator.gpu, which also keeps it
// alive for the whole process: Dawn aborts once it is collected while its devices live on.
Object.defineProperty(globalThis, 'navigator', {
  value: { gpu: await findGpu(), userAgent: `Node.js ${process.version}` },
  configurable: true,
});
