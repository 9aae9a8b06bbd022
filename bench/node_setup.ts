// Makes Node look like a WebGPU browser to the benchmark's engines, before their modules run
// (bench/node.ts imports this file first): TensorFlow.js registers its WebGPU backend at import
// time only if navigator.gpu exists, and jax-js reads navigator.userAgent. One Dawn instance
// serves all three engines, so they share the adapter.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';

// TensorFlow.js's Node platform calls require('util'); an ES-module bundle has no `require`.
const scope = globalThis as { require?: NodeRequire };
scope.require ??= createRequire(import.meta.url);

// Without a GPU device node, Dawn needs pointing at SwiftShader's Vulkan driver first.
if (!existsSync('/dev/nvidia0') && !existsSync('/dev/dri/renderD128') && existsSync('/usr/lib/chromium/vk_swiftshader_icd.json')) {
  process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
}
process.env.XDG_RUNTIME_DIR ??= '/tmp';
const dawn = (await import('webgpu')) as unknown as { create(flags: string[]): GPU; globals: object };
Object.assign(globalThis, dawn.globals);
Object.defineProperty(globalThis, 'navigator', {
  value: { gpu: dawn.create([]), userAgent: `Node.js ${process.version}` },
  configurable: true,
});
