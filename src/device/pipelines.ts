/**
 * Shader modules, compute pipelines and bind groups, each created once per device and looked up
 * by key afterwards.
 */

const MAX_BIND_GROUPS = 8192;

export class Pipelines {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 0;
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

  /**
   * Bind groups, reused when a dispatch repeats one from an earlier batch: same pipeline, same
   * buffers, same place in the arena. A training step encodes the same sequence every time and
   * the pool hands back the same buffers, so from the second step on nearly every lookup hits and
   * the step creates no bind groups (each is a call into the GPU process in a browser).
   * Binding 0 is the uniform slice of `arena`; bindings 1.. are `buffers` in order.
   */
  bindGroup(pipe: GPUComputePipeline, arena: GPUBuffer, offset: number, bytes: number, buffers: readonly GPUBuffer[]): GPUBindGroup {
    let key = `${pipe.label}@${offset}:${bytes}`;
    for (const b of buffers) key += `,${this.bufferId(b)}`;
    let group = this.bindGroups.get(key);
    if (!group) {
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: arena, offset, size: bytes } }];
      buffers.forEach((buffer, i) => entries.push({ binding: i + 1, resource: { buffer } }));
      group = this.device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries });
      if (this.bindGroups.size >= MAX_BIND_GROUPS) this.bindGroups.clear();
      this.bindGroups.set(key, group);
    }
    return group;
  }

  /** Drops every cached bind group (they hold the buffers they bind). */
  forgetBindGroups(): void {
    this.bindGroups.clear();
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
