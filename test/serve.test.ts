import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../scripts/serve.mjs';

// scripts/serve.mjs serves one folder and nothing outside it, whatever the request's spelling.
describe('serve', () => {
  const parent = mkdtempSync(join(tmpdir(), 'webgrad-serve-'));
  let server: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    mkdirSync(join(parent, 'dist'));
    mkdirSync(join(parent, 'dist-secret'));
    writeFileSync(join(parent, 'dist', 'page.html'), 'the page');
    writeFileSync(join(parent, 'dist-secret', 'x.txt'), 'secret in a sibling whose name starts like the root');
    writeFileSync(join(parent, 'top.txt'), 'secret in the parent');
    server = await serve(join(parent, 'dist'));
  });

  afterAll(async () => {
    await server.close();
    rmSync(parent, { recursive: true, force: true });
  });

  const get = async (path: string) => {
    const res = await fetch(server.url + path);
    return { status: res.status, body: await res.text() };
  };

  it('serves a file of its folder', async () => {
    expect(await get('page.html')).toEqual({ status: 200, body: 'the page' });
  });

  it.each(['..%2fdist-secret/x.txt', '..%2Fdist-secret%2Fx.txt', '%2e%2e%2ftop.txt', '..%5ctop.txt', 'x/..%2f..%2f..%2ftop.txt'])(
    'refuses %s, which leads outside it',
    async (path) => {
      const { status, body } = await get(path);
      expect(body).not.toContain('secret');
      expect([403, 404]).toContain(status);
    },
  );

  it('answers a malformed escape with 400 and keeps serving', async () => {
    expect((await get('%E0%A4%A')).status).toBe(400);
    expect((await get('page.html')).status).toBe(200);
  });
});
