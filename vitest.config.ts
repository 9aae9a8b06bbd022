import { defineConfig } from 'vitest/config';
import { wgslText } from './scripts/wgsl-plugin';

export default defineConfig({
  plugins: [wgslText()],
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // One GPU device per worker; SwiftShader runs on the CPU, so keep workers few.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
