// The package as a user gets it. `npm pack` builds dist/ (prepack) and packs what `npm publish`
// would upload; the tarball is unpacked into a fresh project's node_modules (beside links to the
// `webgpu` peer and `@webgpu/types`, which npm would install from the registry), and from there:
// arethetypeswrong, a strict TypeScript project, the Node examples, the browser example and the
// README's code in a bundled page, and Node without the optional `webgpu` peer.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../scripts/browser.mjs';
import { serve } from '../scripts/serve.mjs';
import { PACKAGE_NAME, readmeCode } from './readme_code';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const work = mkdtempSync(join(tmpdir(), 'webgrad-package-'));
/** A project with the package, its dependency and its `webgpu` peer installed. */
const app = join(work, 'app');
/** A project with the package alone: a browser-only install, run in Node. */
const bare = join(work, 'bare');

interface Packed {
  filename: string;
  size: number;
  files: Array<{ path: string; size: number }>;
}
let packed: Packed;

/** Runs a command to its end; resolves to its exit code and output, never throws. */
function run(cmd: string, args: string[], cwd: string, timeoutMs = 60_000): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

function install(project: string, links: string[]): void {
  const modules = join(project, 'node_modules');
  mkdirSync(join(modules, '@webgrad'), { recursive: true });
  execFileSync('tar', ['-xzf', join(work, packed.filename), '-C', join(modules, '@webgrad')]);
  renameSync(join(modules, '@webgrad', 'package'), join(modules, PACKAGE_NAME));
  for (const name of links) {
    mkdirSync(dirname(join(modules, name)), { recursive: true });
    symlinkSync(dirname(require.resolve(`${name}/package.json`)), join(modules, name), 'junction');
  }
  cpSync(join(root, 'test/consumer/package.json'), join(project, 'package.json'));
}

beforeAll(() => {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  [packed] = JSON.parse(out.slice(out.indexOf('['))) as Packed[];
  install(app, ['@webgpu/types', 'webgpu']);
  install(bare, []);
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed package', () => {
  it('holds the bundle, one declaration file, the docs and the licence, and no sources', () => {
    const paths = packed.files.map((f) => f.path).sort();
    expect(paths).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'docs/api.md', 'docs/getting-started.md']));
    expect(paths.filter((p) => !/^(dist|docs)\/|^(LICENSE|README\.md|CHANGELOG\.md|package\.json)$/.test(p))).toEqual([]);
    expect(paths.filter((p) => p.startsWith('dist/'))).toEqual(['dist/index.d.ts', 'dist/index.js', 'dist/index.js.map']);
    const dts = readFileSync(join(app, 'node_modules', PACKAGE_NAME, 'dist/index.d.ts'), 'utf8');
    expect(dts.startsWith('/// <reference types="@webgpu/types" />\n')).toBe(true);
    // Relative specifiers without an extension are what nodenext cannot follow.
    expect(dts.match(/\bfrom\s+['"]\.[^'"]*['"]/g)).toBeNull();
    const pkg = JSON.parse(readFileSync(join(app, 'node_modules', PACKAGE_NAME, 'package.json'), 'utf8'));
    expect(pkg.peerDependenciesMeta.webgpu.optional).toBe(true);
    expect(pkg.dependencies.webgpu).toBeUndefined();
  });

  it('a browser-only install (no optional peer) stays under 20 MB: the package and its one dependency', () => {
    const pkg = JSON.parse(readFileSync(join(app, 'node_modules', PACKAGE_NAME, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies ?? {})).toEqual(['@webgpu/types']);
    const bytes = (dir: string): number =>
      readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? bytes(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
    const total = bytes(join(bare, 'node_modules', PACKAGE_NAME)) + bytes(dirname(require.resolve('@webgpu/types/package.json')));
    expect(total).toBeLessThan(20 * 2 ** 20);
  });

  it('arethetypeswrong finds no problem for an ESM-only package', () => {
    const cli = dirname(require.resolve('@arethetypeswrong/cli/package.json'));
    const attw = join(cli, JSON.parse(readFileSync(join(cli, 'package.json'), 'utf8')).bin.attw);
    const r = run(process.execPath, [attw, join(work, packed.filename), '--profile', 'esm-only', '--format', 'table-flipped'], root);
    expect(r.code, r.out).toBe(0);
  });

  it.each([
    ['nodenext', 'tsconfig.json'],
    ['bundler', 'tsconfig.bundler.json'],
  ])('a strict TypeScript project (%s) type-checks the README and rejects wrong types', (_, config) => {
    for (const f of readdirSync(join(root, 'test/consumer'))) cpSync(join(root, 'test/consumer', f), join(app, f));
    writeFileSync(join(app, 'readme.ts'), readmeCode());
    const r = run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', config], app);
    expect(r.code, r.out).toBe(0);
  });

  it('examples/node-regression.mjs learns w ≈ [3, −2], b ≈ 1', () => {
    cpSync(join(root, 'examples/node-regression.mjs'), join(app, 'node-regression.mjs'));
    const r = run(process.execPath, ['node-regression.mjs'], app);
    expect(r.code, r.out).toBe(0);
    const m = r.out.match(/learned: w = \[(\S+), (\S+)\], b = (\S+) /);
    expect(m, r.out).not.toBeNull();
    const [w0, w1, b] = m!.slice(1).map(Number);
    expect(Math.abs(w0 - 3)).toBeLessThan(0.02);
    expect(Math.abs(w1 + 2)).toBeLessThan(0.02);
    expect(Math.abs(b - 1)).toBeLessThan(0.02);
  });

  it('examples/node-classifier.mjs trains, reads model.losses, and saves and loads', () => {
    cpSync(join(root, 'examples/node-classifier.mjs'), join(app, 'node-classifier.mjs'));
    const r = run(process.execPath, ['node-classifier.mjs'], app, 120_000);
    expect(r.code, r.out).toBe(0);
    const [, first, last, accuracy] = r.out.match(/loss (\S+) → (\S+), validation accuracy (\S+)/) ?? [];
    expect(Number(last), r.out).toBeLessThan(Number(first));
    expect(Number(accuracy)).toBeGreaterThan(0.9);
    const [, penalty, kernels] = r.out.match(/penalty now (\S+) from (\d+) kernels/) ?? [];
    expect(Number(penalty), r.out).toBeGreaterThan(0);
    expect(kernels).toBe('2');
    const [, dir, gap] = r.out.match(/saved to (.+); restored predictions differ by (\S+)/) ?? [];
    expect(gap, r.out).toBe('0');
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('in Node without the optional webgpu peer, init() throws WebGPUUnavailableError naming `npm install webgpu`', () => {
    const probe = `import('${PACKAGE_NAME}').then((wg) => wg.init()).then(
      () => console.log('no error'),
      (e) => console.log(JSON.stringify({ name: e.name, typed: e instanceof Error, message: e.message })));`;
    const r = run(process.execPath, ['--input-type=module', '-e', probe], bare);
    const error = JSON.parse(r.out.trim().split('\n').at(-1)!);
    expect(error.name, r.out).toBe('WebGPUUnavailableError');
    expect(error.message).toContain('npm install webgpu');
  });

  it('the browser example and the README code run in bundled pages', async () => {
    const site = join(work, 'site');
    mkdirSync(site);
    cpSync(join(root, 'examples/browser/index.html'), join(site, 'index.html'));
    cpSync(join(root, 'examples/browser/main.js'), join(app, 'main.js'));
    // The README's code in a page of its own: a status element says how it ended.
    writeFileSync(join(app, 'readme.mjs'), readmeCode());
    writeFileSync(
      join(app, 'readme-page.mjs'),
      "import('./readme.mjs').then(() => { document.getElementById('status').value = 'done'; }, (e) => { document.getElementById('status').value = `failed: ${e.name}: ${e.message}`; });\n",
    );
    writeFileSync(join(site, 'readme.html'), readFileSync(join(site, 'index.html'), 'utf8').replace('./bundle.js', './readme.js'));
    // As the example's comment says: esbuild main.js --bundle --format=esm, from the app's folder.
    await build({ absWorkingDir: app, entryPoints: { bundle: 'main.js', readme: 'readme-page.mjs' }, bundle: true, format: 'esm', outdir: site, logLevel: 'error' });

    const server = await serve(site);
    const browser: Browser = await launchChromium();
    try {
      const outcome = async (path: string) => {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto(server.url + path);
        await page.waitForFunction(() => document.getElementById('status')?.textContent !== 'starting', { timeout: 90_000 });
        const status = await page.$eval('#status', (e) => e.textContent);
        const log = await page.$eval('#log', (e) => e.textContent ?? '');
        await page.close();
        return { status, log, errors };
      };
      const example = await outcome('index.html');
      expect(example.status, example.log + example.errors.join('\n')).toBe('done');
      expect(Number(example.log.match(/final accuracy (\S+)/)?.[1])).toBeGreaterThan(0.9);
      const readme = await outcome('readme.html');
      expect(readme.status, readme.errors.join('\n')).toBe('done');
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
