import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// In Node, Dawn aborts the whole process (a futex error, a heap corruption) once the GPU object
// that `create()` returned is garbage-collected while a device made from it is still in use. The
// engine keeps the `gpu` given to init() with the device; test/child/gpu_dropped.ts drops its own
// references, forces collections and keeps working, in a process of its own.

describe('the GPU object a device came from', () => {
  it('init({ device, gpu }) keeps it alive: a child process that drops its references and collects garbage exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webgrad-gc-'));
    try {
      const outfile = join(dir, 'gpu_dropped.mjs');
      await build({
        entryPoints: [fileURLToPath(new URL('./child/gpu_dropped.ts', import.meta.url))],
        outfile,
        bundle: true,
        format: 'esm',
        platform: 'node',
        target: 'node20',
        loader: { '.wgsl': 'text' },
        logLevel: 'error',
      });
      const webgpu = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
      const run = spawnSync(process.execPath, ['--expose-gc', outfile], {
        env: { ...process.env, WEBGPU_ENTRY: webgpu },
        encoding: 'utf8',
        timeout: 100_000,
      });
      expect({ status: run.status, signal: run.signal, stdout: run.stdout.trim(), stderr: run.stderr.trim() }).toEqual({
        status: 0,
        signal: null,
        stdout: 'ok',
        stderr: '',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
