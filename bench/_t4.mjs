import { readFileSync } from 'node:fs';
process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
process.env.XDG_RUNTIME_DIR ??= '/tmp';
const { create, globals } = await import('webgpu');
Object.assign(globalThis, globals);
const adapter = await create([]).requestAdapter();
const limits = {};
for (const k in adapter.limits) limits[k] = adapter.limits[k];
const device = await adapter.requestDevice();
const info = adapter.info;
console.log(`adapter: ${info.vendor} ${info.architecture} ${info.device} ${info.description}`);
const mod = device.createShaderModule({ code: readFileSync(`shaders/naive.wgsl`, 'utf8') });
const pipe = device.createComputePipeline({ layout: 'auto', compute: { module: mod, entryPoint: 'main', constants: {TRANSPOSE_A: 0, TRANSPOSE_B: 0} } });
function storage(data) {
  const buf = device.createBuffer({ size: Math.max(16, data.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buf, 0, data);
  return buf;
}
const a = storage(new Float32Array([1])), b = storage(new Float32Array([2])), c = storage(new Float32Array([NaN]));
const params = device.createBuffer({ size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
device.queue.writeBuffer(params, 0, new Uint32Array([1, 1, 1, 1, 1, 0, 0, 0]));
const entries = [params, a, b, c].map((buffer, binding) => ({ binding, resource: { buffer } }));
const group = device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries });
const enc = device.createCommandEncoder();
const pass = enc.beginComputePass(); pass.setPipeline(pipe); pass.setBindGroup(0, group); pass.dispatchWorkgroups(1, 1, 1); pass.end();
device.queue.submit([enc.finish()]);
console.log('sub');
await device.queue.onSubmittedWorkDone();
console.log('done');
