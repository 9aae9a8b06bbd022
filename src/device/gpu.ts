import { WebGPUUnavailableError } from '../errors';
import { Engine, type EngineInfo, engine, nextGeneration, replaceEngine } from './engine';

export type { EngineInfo };

export interface InitOptions {
  /**
   * A device of your own. In Node, pass the `gpu` it came from too (or keep that object alive
   * yourself for as long as the device is used): Dawn aborts the process once the GPU object
   * that `create()` returned is garbage-collected while a device made from it lives on.
   */
  device?: GPUDevice;
  /** The GPU object to take an adapter from (or that `device` came from); the engine keeps it. */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
}

/**
 * Node's own GPU object, made once and kept for the life of the process: Dawn's instance dies
 * when it is garbage-collected, taking every device made from it along (an abort, not an error).
 */
let nodeGpu: GPU | null = null;

const NO_ADAPTER_HELP =
  'No WebGPU adapter is available. In a browser, use one with WebGPU enabled (Chrome/Edge 113+, ' +
  'or Chromium started with --enable-unsafe-webgpu on an http://localhost or https page). In Node, ' +
  "install the 'webgpu' npm package and a Vulkan driver; without a GPU, Chromium's SwiftShader " +
  'works: apt-get install chromium libvulkan1 and set ' +
  'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json before webgrad loads.';

/** True in Node (where WebGPU comes from the `webgpu` package's Dawn), false in a browser. */
export const inNode = typeof process !== 'undefined' && !!process.versions?.node;

/**
 * The GPU object init() uses: the one given, else the page's navigator.gpu, else (in Node) Dawn
 * from the `webgpu` package, made once, with its globals installed and, on a machine without a
 * GPU device node, pointed at Chromium's SwiftShader driver. The Node benchmark hands the same
 * object to the other engines it runs.
 */
export async function findGpu(opts: InitOptions = {}): Promise<GPU> {
  if (opts.gpu) return opts.gpu;
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (!inNode) throw new WebGPUUnavailableError(NO_ADAPTER_HELP);
  // Dawn finds no Vulkan driver on a GPU-less Linux box unless pointed at SwiftShader first.
  const fs = (process as unknown as { getBuiltinModule?(id: string): typeof import('node:fs') }).getBuiltinModule?.('node:fs');
  const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json';
  const hasGpuNode = fs?.existsSync('/dev/nvidia0') || fs?.existsSync('/dev/dri/renderD128');
  if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && !hasGpuNode && fs?.existsSync(swiftshader)) {
    process.env.VK_ICD_FILENAMES = swiftshader;
  }
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  if (nodeGpu) return nodeGpu;
  const moduleName = 'webgpu';
  let mod: { create(flags: string[]): GPU; globals: object };
  try {
    mod = await import(/* @vite-ignore */ moduleName);
  } catch (e) {
    // 'webgpu' is an optional peer dependency: browser-only installs go without its Dawn binaries.
    if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && (e as Error).message.includes(`'${moduleName}'`)) {
      throw new WebGPUUnavailableError(
        `WebGPU in Node comes from the 'webgpu' package (Dawn), an optional peer dependency of webgrad that is not installed: run \`npm install webgpu\`, or pass init({ gpu }).`,
      );
    }
    throw new WebGPUUnavailableError(`${NO_ADAPTER_HELP} (loading 'webgpu' failed: ${(e as Error).message})`);
  }
  Object.assign(globalThis, mod.globals);
  return (nodeGpu = mod.create([]));
}

function limitsRecord(limits: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key in limits) {
    const v = (limits as unknown as Record<string, unknown>)[key];
    if (typeof v === 'number') out[key] = v;
  }
  return out;
}

function adapterName(info: GPUAdapterInfo | undefined): string {
  if (!info) return 'unknown adapter';
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s);
  return parts.length ? parts.join(' ') : 'unknown adapter';
}

/**
 * Starts (or restarts) the engine. Requests the adapter's own limits rather than the WebGPU
 * defaults: large models need big storage buffers, tiled kernels need workgroup storage.
 */
export async function init(opts: InitOptions = {}): Promise<EngineInfo> {
  let device = opts.device;
  let adapterInfo: GPUAdapterInfo | undefined;
  // Held by the engine for as long as the device is in use (see InitOptions.device).
  let gpu = opts.gpu;
  if (!device) {
    gpu ??= await findGpu(opts);
    const adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
    if (!adapter) throw new WebGPUUnavailableError(NO_ADAPTER_HELP);
    adapterInfo = adapter.info;
    const requiredLimits: Record<string, number> = {};
    for (const key of [
      'maxStorageBufferBindingSize',
      'maxBufferSize',
      'maxComputeWorkgroupStorageSize',
      'maxComputeInvocationsPerWorkgroup',
      'maxComputeWorkgroupSizeX',
      'maxComputeWorkgroupSizeY',
      'maxComputeWorkgroupsPerDimension',
      'maxStorageBuffersPerShaderStage',
    ]) {
      const v = (adapter.limits as unknown as Record<string, number>)[key];
      if (typeof v === 'number') requiredLimits[key] = v;
    }
    const wanted: GPUFeatureName[] = (['timestamp-query', 'subgroups'] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures: wanted });
  } else {
    adapterInfo = device.adapterInfo;
  }
  const name = adapterName(adapterInfo);
  const info: EngineInfo = {
    adapter: name,
    isSwiftShader: /swiftshader/i.test(name),
    limits: limitsRecord(device.limits),
    features: [...device.features].map(String),
  };
  const old = replaceEngine(new Engine(device, gpu, info, nextGeneration()));
  if (old && old.device !== device && old.lost === null) old.device.destroy();
  return info;
}

/** The device in use; throws if `init()` has not run or the device was lost. */
export function getDevice(): GPUDevice {
  return engine().device;
}

export function engineInfo(): EngineInfo {
  return engine().info;
}
