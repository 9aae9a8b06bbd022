// Builds the package's dist/: index.js (src/index.ts bundled by esbuild, WGSL inlined as text)
// and index.d.ts, the declarations in one file. A single declaration file has no relative
// imports, so it reads the same under every moduleResolution (node16, nodenext, bundler); tsc's
// one-file-per-module output re-exports './device/gpu' without an extension, which nodenext
// cannot follow, and every type then turns into `any`. `node scripts/library.mjs` runs it alone.
// package.json's `sideEffects` names src/ and bench/ (esbuild must keep their bare imports, such
// as src/ops/chain.ts) and leaves dist/index.js out: loading it changes nothing outside it, so a
// user's bundler may drop it when nothing of it is used.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

export async function buildLibrary(outdir = join(root, 'dist')) {
  rmSync(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    bundle: true,
    format: 'esm',
    loader: { '.wgsl': 'text' },
    sourcemap: true,
    logLevel: 'warning',
    entryPoints: ['src/index.ts'],
    outfile: join(outdir, 'index.js'),
    platform: 'neutral',
    external: ['webgpu'],
  });
  writeFileSync(join(outdir, 'index.d.ts'), bundleDeclarations());
  return outdir;
}

/**
 * The declarations of src (`@internal` members stripped), merged into one file by
 * dts-bundle-generator. They are emitted under `exactOptionalPropertyTypes`, the setting
 * `tsc --init` gives new projects: an inferred optional property then reads `?: never` instead of
 * `?: undefined`, which such a project could not assign to the base type (`npm run typecheck`
 * checks src under its own settings; this emit only shapes the inferred types).
 */
function bundleDeclarations() {
  const emitted = mkdtempSync(join(tmpdir(), 'webgrad-types-'));
  try {
    const ts = require('typescript');
    const overrides = { noEmit: false, declaration: true, emitDeclarationOnly: true, declarationMap: false, outDir: emitted, exactOptionalPropertyTypes: true };
    const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), overrides, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: fail });
    const { diagnostics } = ts.createProgram(config.fileNames, config.options).emit(undefined, undefined, undefined, true);
    if (diagnostics.length) fail(diagnostics);
    const { generateDtsBundle } = require('dts-bundle-generator');
    const [bundle] = generateDtsBundle(
      [{ filePath: join(emitted, 'index.d.ts'), output: { noBanner: true, exportReferencedTypes: false } }],
      { preferredConfigPath: join(root, 'scripts/tsconfig.types.json') },
    );
    // The declarations name GPUDevice, GPUBuffer and the rest; a consumer's compiler finds them
    // through this reference (`@webgpu/types` is a dependency of the package).
    return `/// <reference types="@webgpu/types" />\n${bundle}`;
  } finally {
    rmSync(emitted, { recursive: true, force: true });
  }

  function fail(diagnostics) {
    const ts = require('typescript');
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
    throw new Error(`declaration emit failed:\n${ts.formatDiagnostics([diagnostics].flat(), host)}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildLibrary();
}
