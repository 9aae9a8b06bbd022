import { beforeAll } from 'vitest';
import { init } from '../src';

// Every test file gets a real WebGPU device: Dawn on whatever adapter the machine has
// (Chromium's SwiftShader on a GPU-less CI box, the real GPU elsewhere).
beforeAll(async () => {
  await init();
});
