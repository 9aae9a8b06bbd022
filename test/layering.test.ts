import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// Dependencies point down (README, Layout): layers, training and io pass tensors and use of the
// device only what users may use; buffers, kernels and the command stream stay below the ops.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

/** src/device's public functions: the most that layers, training and io may import from it. */
const devicePublic = new Set(['init', 'sync', 'memory', 'profile', 'getDevice']);
/** The command stream's and the kernels' names, which no code above the ops and tensors may name. */
const streamNames = new Set(['GPUBuffer', 'engine', 'launch', 'grid', 'stream', 'dispatch', 'flush', 'copyElements', 'writeElements']);
/** What only the device and kernel layers may name. */
const bufferNames = new Set(['GPUBuffer']);

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

const folderOf = (file: string): string => relative(src, file).split(sep)[0];

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
}

function where(file: ts.SourceFile, node: ts.Node): string {
  const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
  return `${relative(root, file.fileName)}:${line + 1}`;
}

/** Every import or re-export of `file` from src/device that reaches past its public functions. */
function deviceReachesPast(file: ts.SourceFile): string[] {
  const found: string[] = [];
  const intoDevice = (specifier: ts.Node): boolean => {
    if (!ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) return false;
    const target = relative(src, resolve(dirname(file.fileName), specifier.text));
    return target === 'device' || target.startsWith(`device${sep}`);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && intoDevice(node.moduleSpecifier)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      if (!clause || clause.name || !bindings || !ts.isNamedImports(bindings)) found.push(`${where(file, node)}: ${node.getText(file)}`);
      else for (const el of bindings.elements) if (!devicePublic.has((el.propertyName ?? el.name).text)) found.push(`${where(file, el)}: imports ${el.getText(file)}`);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && intoDevice(node.moduleSpecifier)) {
      const clause = node.exportClause;
      if (!clause || !ts.isNamedExports(clause)) found.push(`${where(file, node)}: ${node.getText(file)}`);
      else for (const el of clause.elements) if (!devicePublic.has((el.propertyName ?? el.name).text)) found.push(`${where(file, el)}: re-exports ${el.getText(file)}`);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && intoDevice(node.arguments[0])) {
      found.push(`${where(file, node)}: ${node.getText(file)}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** Every identifier of `file` that is one of `names` (comments and strings do not count). */
function identifiersNamed(file: ts.SourceFile, names: ReadonlySet<string>): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && names.has(node.text)) found.push(`${where(file, node)}: ${node.text}`);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('layering', () => {
  const files = tsFiles(src);
  const upper = files.filter((f) => ['layers', 'train', 'io'].includes(folderOf(f)));
  const aboveOps = files.filter((f) => !['device', 'kernels', 'ops', 'tensor'].includes(folderOf(f)));

  it('the checks see the files they guard', () => {
    for (const folder of ['layers', 'train', 'io']) expect(upper.some((f) => folderOf(f) === folder), folder).toBe(true);
    expect(aboveOps.some((f) => relative(src, f) === 'index.ts')).toBe(true);
  });

  it('src/layers, src/train and src/io import from src/device only its public functions', () => {
    expect(upper.flatMap((f) => deviceReachesPast(parse(f)))).toEqual([]);
  });

  it('nothing above src/ops and src/tensor names a GPU buffer, the engine or the command stream', () => {
    expect(aboveOps.flatMap((f) => identifiersNamed(parse(f), streamNames))).toEqual([]);
  });

  it('nothing outside src/device and src/kernels names GPUBuffer', () => {
    const outside = files.filter((f) => !['device', 'kernels'].includes(folderOf(f)));
    expect(outside.flatMap((f) => identifiersNamed(parse(f), bufferNames))).toEqual([]);
  });

  it('src/layers, src/train and src/io launch no kernel themselves: nothing of src/kernels is imported there', () => {
    const intoKernels = (f: string) =>
      parse(f).statements.filter(
        (st) => ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier) && relative(src, resolve(dirname(f), st.moduleSpecifier.text)).split(sep)[0] === 'kernels',
      );
    expect(upper.filter((f) => intoKernels(f).length > 0).map((f) => relative(src, f))).toEqual([]);
  });

  it('a device import past the public functions, or a GPUBuffer, is caught', () => {
    const probe = (text: string) => ts.createSourceFile(join(src, 'train', 'probe.ts'), text, ts.ScriptTarget.Latest, true);
    expect(deviceReachesPast(probe("import { sync, getDevice } from '../device/kernels';\nimport { init } from '../device/gpu';"))).toEqual([]);
    expect(deviceReachesPast(probe("import { sync, encodeCopy } from '../device/kernels';"))).toHaveLength(1);
    expect(deviceReachesPast(probe("import * as k from '../device/kernels';"))).toHaveLength(1);
    expect(deviceReachesPast(probe("import '../device/gpu';"))).toHaveLength(1);
    expect(deviceReachesPast(probe("export { flush as submit } from '../device/kernels';"))).toHaveLength(1);
    expect(identifiersNamed(probe("import { flush } from '../tensor/copy';"), streamNames)).toHaveLength(1);
    expect(identifiersNamed(probe('engine().stream.flush();'), streamNames)).toHaveLength(3);
    expect(identifiersNamed(probe('// a GPUBuffer in a comment\nlet b: GPUBuffer;'), streamNames)).toHaveLength(1);
  });
});
