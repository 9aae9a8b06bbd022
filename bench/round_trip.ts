// The adapter's round trip, measured with raw WebGPU and no engine: submit a few compute
// dispatches and a copy, then await mapAsync of the copy. A training step that reads its loss
// back can finish no sooner than this after its submit, whatever engine encoded it; in Chromium
// the wait is set by when the GPU process next checks for finished work, not by the work itself
// (see bench/README.md), so it is a floor shared by every engine on the page.
import { median } from './suite';

export interface RoundTrip {
  /** Median ms from submit to mapped, for 1 and for 20 one-workgroup dispatches before the copy. */
  oneDispatchMs: number;
  twentyDispatchesMs: number;
  /** The same with the copy alone, no compute. */
  copyOnlyMs: number;
}

const SHADER = `
@group(0) @binding(0) var<storage, read_write> b: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) { b[g.x] += 1.0; }`;

export async function measureRoundTrip(samples = 40): Promise<RoundTrip | null> {
  const adapter = await navigator.gpu?.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;
  const device = await adapter.requestDevice();
  try {
    const work = device.createBuffer({ size: 256, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const staging = device.createBuffer({ size: 256, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const pipeline = device.createComputePipeline({
      layout: 'auto',
      compute: { module: device.createShaderModule({ code: SHADER }), entryPoint: 'main' },
    });
    const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: work } }] });
    const once = async (dispatches: number): Promise<number> => {
      const t0 = performance.now();
      const encoder = device.createCommandEncoder();
      if (dispatches > 0) {
        const pass = encoder.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup);
        for (let i = 0; i < dispatches; i++) pass.dispatchWorkgroups(1);
        pass.end();
      }
      encoder.copyBufferToBuffer(work, 0, staging, 0, 256);
      device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      staging.unmap();
      return performance.now() - t0;
    };
    const timed = async (dispatches: number): Promise<number> => {
      for (let i = 0; i < 3; i++) await once(dispatches);
      const times: number[] = [];
      for (let i = 0; i < samples; i++) times.push(await once(dispatches));
      return median(times);
    };
    return { oneDispatchMs: await timed(1), twentyDispatchesMs: await timed(20), copyOnlyMs: await timed(0) };
  } finally {
    device.destroy();
  }
}

export const roundTripText = (r: RoundTrip): string =>
  `submit → mapAsync resolved, raw WebGPU (no engine), median: ${r.copyOnlyMs.toFixed(2)} ms for a copy alone, ` +
  `${r.oneDispatchMs.toFixed(2)} ms after 1 tiny dispatch, ${r.twentyDispatchesMs.toFixed(2)} ms after 20`;
