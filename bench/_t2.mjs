process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
process.env.XDG_RUNTIME_DIR ??= '/tmp';
const { create, globals } = await import('webgpu'); Object.assign(globalThis, globals);
const adapter = await create([]).requestAdapter();
const device = await adapter.requestDevice();
const m = device.createShaderModule({ code: `
@group(0) @binding(0) var<storage, read_write> C: array<f32>;
@compute @workgroup_size(1) fn main() { C[0] = 42.0; }` });
const p = device.createComputePipeline({ layout: 'auto', compute: { module: m, entryPoint: 'main' } });
const buf = device.createBuffer({size: 16, usage: GPUBufferUsage.STORAGE});
const bg = device.createBindGroup({layout: p.getBindGroupLayout(0), entries: [{binding: 0, resource: {buffer: buf}}]});
const enc = device.createCommandEncoder();
const pass = enc.beginComputePass(); pass.setPipeline(p); pass.setBindGroup(0, bg); pass.dispatchWorkgroups(1); pass.end();
device.queue.submit([enc.finish()]);
console.log('sub');
await device.queue.onSubmittedWorkDone();
console.log('done');
