// Run by test/gpu_lifetime.test.ts in a child `node --expose-gc` process: a caller makes its own
// Dawn device, hands it to init() with the GPU object it came from, drops every reference of its
// own, forces garbage collections and keeps allocating. Exits 0 with "ok" when all of it ran.
import * as wg from '../../src';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

async function start(): Promise<void> {
  const { create, globals } = (await import(process.env.WEBGPU_ENTRY!)) as { create(flags: string[]): GPU; globals: object };
  Object.assign(globalThis, globals);
  const gpu = create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('no adapter');
  const device = await adapter.requestDevice();
  await wg.init({ device, gpu });
}

await start();
const pause = () => new Promise((resolve) => setTimeout(resolve, 10));
for (let i = 0; i < 5; i++) {
  gc();
  await pause();
}
for (let i = 1; i <= 12; i++) {
  const x = wg.fill([4 << 20], i); // 16 MiB
  const total = wg.sum(x);
  const [value] = await total.data();
  if (value !== i * (4 << 20)) throw new Error(`round ${i}: sum ${value}`);
  x.dispose();
  total.dispose();
  wg.releaseMemory();
  gc();
  await pause();
}
console.log('ok');
