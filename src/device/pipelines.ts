/**
 * Shader modules, compute pipelines and bind groups, each created once per device and looked up
 * by key afterwards.
 */

const MAX_BIND_GROUPS = 8192;

interface CachedGroup {
  pipe: GPUComputePipeline;
  offset: number;
  bytes: number;
  buffers: readonly GPUBuffer[];
  group: GPUBindGroup;
}

function sameBuffers(a: readonly GPUBuffer[], b: readonly GPUBuffer[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class Pipelines {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly bindGroups = new Map<number, CachedGroup[]>();
  private groupCount = 0;
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 0;
  private readonly pipelineIds = new WeakMap<GPUComputePipeline, number>();
  private nextPipelineId = 0;
  private readonly placeholders = new Map<number, GPUBuffer>();

  constructor(private readonly device: GPUDevice) {}

  /** The module of `shader` (a kernel's label, for caching, labels and errors, and its complete WGSL). */
  module(shader: string, code: string): GPUShaderModule {
    let m = this.modules.get(shader);
    if (!m) {
      m = this.device.createShaderModule({ label: `shaders/${shader}.wgsl`, code });
      this.modules.set(shader, m);
    }
    return m;
  }

  /** The pipeline `key` names, built by `make` the first time. */
  pipeline(key: string, make: (device: GPUDevice) => GPUComputePipelineDescriptor): GPUComputePipeline {
    let p = this.pipelines.get(key);
    if (!p) {
      p = this.device.createComputePipeline(make(this.device));
      this.pipelines.set(key, p);
    }
    return p;
  }

  private bufferId(b: GPUBuffer): number {
    let id = this.bufferIds.get(b);
    if (id === undefined) this.bufferIds.set(b, (id = this.nextBufferId++));
    return id;
  }

  private pipelineId(p: GPUComputePipeline): number {
    let id = this.pipelineIds.get(p);
    if (id === undefined) this.pipelineIds.set(p, (id = this.nextPipelineId++));
    return id;
  }

  /**
   * Bind groups, reused when a dispatch repeats one from an earlier batch: same pipeline, same
   * buffers, same place in the arena. A training step encodes the same sequence every time and
   * the pool hands back the same buffers, so from the second step on nearly every lookup hits and
   * the step creates no bind groups (each is a call into the GPU process in a browser).
   * Binding 0 is the uniform slice of `arena`; bindings 1.. are `buffers` in order. Looked up by
   * a number hashed from the pipeline, the offset and the buffers, then compared in full.
   */
  bindGroup(pipe: GPUComputePipeline, arena: GPUBuffer, offset: number, bytes: number, buffers: readonly GPUBuffer[]): GPUBindGroup {
    let hash = Math.imul(this.pipelineId(pipe), 0x9e3779b1) ^ Math.imul(offset + 1, 0x85ebca6b) ^ bytes;
    for (let i = 0; i < buffers.length; i++) hash = Math.imul(hash ^ this.bufferId(buffers[i]), 0x01000193);
    let bucket = this.bindGroups.get(hash);
    if (bucket) {
      for (const c of bucket) if (c.pipe === pipe && c.offset === offset && c.bytes === bytes && sameBuffers(c.buffers, buffers)) return c.group;
    }
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: arena, offset, size: bytes } }];
    buffers.forEach((buffer, i) => entries.push({ binding: i + 1, resource: { buffer } }));
    const group = this.device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries });
    if (this.groupCount >= MAX_BIND_GROUPS) this.forgetBindGroups();
    if (!bucket || this.bindGroups.get(hash) !== bucket) this.bindGroups.set(hash, (bucket = []));
    bucket.push({ pipe, offset, bytes, buffers, group });
    this.groupCount++;
    return group;
  }

  /** Drops every cached bind group (they hold the buffers they bind). */
  forgetBindGroups(): void {
    this.bindGroups.clear();
    this.groupCount = 0;
  }

  /**
   * A 16-byte storage buffer of its own for binding `index`, to fill a binding that a dispatch
   * leaves unused (a multi-tensor kernel with fewer tensors than slots). One per binding, because
   * WebGPU refuses one buffer bound twice in a dispatch where either binding is writable.
   */
  placeholder(index: number): GPUBuffer {
    let b = this.placeholders.get(index);
    if (!b) {
      b = this.device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
      this.placeholders.set(index, b);
    }
    return b;
  }
}
