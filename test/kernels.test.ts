import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as wg from '../src';
import { allKernels } from '../src/kernels/index';
import { type AnyKernel, type BindingDecl, dtypeScalars, type FieldDecl, Kernel, type StructDecl } from '../src/kernels/kernel';
import { binaryCodes, binaryKernel } from '../src/kernels/binary';
import { gatherKernel } from '../src/kernels/gather';
import { unaryCodes, unaryKernel } from '../src/kernels/unary';

// Every kernel declaration (src/kernels) held against its WGSL, read from shaders/ as text:
// uniform struct, bindings, workgroup size, overrides, constants, entry points and op codes.

const shaderDir = new URL('../shaders/', import.meta.url);
const fileText = (name: string) => readFileSync(new URL(`${name}.wgsl`, shaderDir), 'utf8');

/** WGSL without comments. */
const strip = (code: string) => code.replace(/\/\/[^\n]*/g, '');

/** The fields of `struct name { ... }`: [name, type] in order, attributes dropped. */
function structFields(code: string, name: string): Array<[string, string]> {
  const m = new RegExp(`struct\\s+${name}\\s*\\{([^}]*)\\}`).exec(strip(code));
  if (!m) throw new Error(`no struct ${name}`);
  const fields: Array<[string, string]> = [];
  // Split on commas outside <...>.
  let depth = 0;
  let cur = '';
  for (const ch of m[1]) {
    if (ch === '<') depth++;
    if (ch === '>') depth--;
    if (ch === ',' && depth === 0) {
      if (cur.trim()) fields.push(parseField(cur));
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) fields.push(parseField(cur));
  return fields;
}

function parseField(text: string): [string, string] {
  const t = text.replace(/@\w+\([^)]*\)/g, '').trim();
  const i = t.indexOf(':');
  return [t.slice(0, i).trim(), t.slice(i + 1).replace(/\s+/g, ' ').trim()];
}

function wgslType(field: FieldDecl): string {
  if (field === 'dims') return 'array<vec4u, 2>';
  if (typeof field === 'object') return `array<${field.array.name}, ${field.count}>`;
  return field;
}

interface StorageVar {
  binding: number;
  access: string;
  element: string;
}

/** `@group(0) @binding(i) var<...> name: type;` declarations by variable name. */
function bindingVars(code: string): Map<string, StorageVar & { space: string; type: string }> {
  const out = new Map<string, StorageVar & { space: string; type: string }>();
  const re = /@group\(0\)\s*@binding\((\d+)\)\s*var<([^>]*)>\s*(\w+)\s*:\s*([^;]+);/g;
  for (const m of strip(code).matchAll(re)) {
    const [space, access = 'read'] = m[2].split(',').map((s) => s.trim());
    const type = m[4].trim();
    const element = /^array<(\w+)>$/.exec(type)?.[1] ?? type;
    out.set(m[3], { binding: Number(m[1]), space, access, element, type });
  }
  return out;
}

/** Entry points with their `@workgroup_size` arguments. */
function entries(code: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const re = /@compute\s+@workgroup_size\(([^)]*)\)\s*fn\s+(\w+)/g;
  for (const m of strip(code).matchAll(re)) out.set(m[2], m[1].split(',').map((s) => s.trim()).filter(Boolean));
  return out;
}

function overrides(code: string): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const m of strip(code).matchAll(/override\s+(\w+)\s*(?::\s*(\w+))?\s*=/g)) out.set(m[1], m[2] ?? null);
  return out;
}

function consts(code: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of strip(code).matchAll(/const\s+(\w+)\s*:\s*\w+\s*=\s*(\d+)u?\s*;/g)) out.set(m[1], Number(m[2]));
  return out;
}

/** Each `switch` of the code: its case codes, the names their comments give, and whether a NaN default closes it. */
function switches(code: string): Array<{ on: string; cases: Map<number, string>; nanDefault: boolean }> {
  const out: Array<{ on: string; cases: Map<number, string>; nanDefault: boolean }> = [];
  const lines = code.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const head = /^\s*switch\s+(\w+)\s*\{/.exec(lines[i]);
    if (!head) continue;
    const cases = new Map<number, string>();
    let nanDefault = false;
    // The switch's lines, to the brace that closes it.
    let depth = 1;
    for (let j = i + 1; j < lines.length && depth > 0; j++) {
      const line = strip(lines[j]);
      if (depth === 1) {
        const c = /^\s*case\s+(\d+)u\s*:.*?\/\/\s*(\w+)/.exec(lines[j]);
        if (c) cases.set(Number(c[1]), c[2]);
        else if (/^\s*case\s/.test(line)) cases.set(Number(/case\s+(\d+)/.exec(line)![1]), '');
        if (/default\s*:\s*\{\s*return nan\(\);/.test(line)) nanDefault = true;
      }
      for (const ch of line) depth += ch === '{' ? 1 : ch === '}' ? -1 : 0;
    }
    out.push({ on: head[1], cases, nanDefault });
  }
  return out;
}

/** Holds one declaration against its WGSL; returns the problems found (empty: they agree). */
function problems(k: AnyKernel, code: string = k.code): string[] {
  const bad: string[] = [];
  const d = k.decl;
  const where = `${d.shader} (${d.entries.join(', ')})`;
  // Uniforms: binding 0 is `p: Params`, whose fields are the declaration's, in order.
  const vars = bindingVars(code);
  const p = vars.get('p');
  if (!p || p.binding !== 0 || p.space !== 'uniform' || p.type !== 'Params') bad.push(`${where}: binding 0 must be 'var<uniform> p: Params'`);
  const fields = structFields(code, 'Params');
  const declared = Object.entries(d.uniforms as Record<string, FieldDecl>).map(([n, f]) => [n, wgslType(f)]);
  if (JSON.stringify(fields) !== JSON.stringify(declared)) bad.push(`${where}: Params is ${JSON.stringify(fields)}, declared ${JSON.stringify(declared)}`);
  for (const f of Object.values(d.uniforms as Record<string, FieldDecl>)) {
    if (typeof f !== 'object') continue;
    const s: StructDecl = f.array;
    const got = structFields(code, s.name);
    if (JSON.stringify(got) !== JSON.stringify(Object.entries(s.fields))) bad.push(`${where}: struct ${s.name} is ${JSON.stringify(got)}, declared ${JSON.stringify(s.fields)}`);
  }
  // Bindings 1.. in declaration order: every variable at its index, with its access and element type.
  Object.entries(d.bindings as Record<string, BindingDecl>).forEach(([name, b], i) => {
    for (const v of b.vars ?? [name]) {
      const got = vars.get(v);
      if (!got) {
        bad.push(`${where}: binding '${name}' names variable '${v}', which the WGSL does not declare`);
        continue;
      }
      if (got.binding !== i + 1) bad.push(`${where}: '${v}' is at binding ${got.binding}, declared at ${i + 1}`);
      if (got.space !== 'storage' || got.access !== b.access) bad.push(`${where}: '${v}' is var<${got.space}, ${got.access}>, declared ${b.access}`);
      const spelled = typeof b.dtype === 'string' ? b.dtype : b.dtype[0];
      const scalar = dtypeScalars[spelled];
      if (b.alias) {
        // The element type is the alias, which the file sets to the first declared dtype.
        if (got.element !== b.alias) bad.push(`${where}: '${v}' holds ${got.element}, declared the alias ${b.alias}`);
        if (!new RegExp(`alias\\s+${b.alias}\\s*=\\s*${scalar}\\s*;`).test(strip(code))) bad.push(`${where}: no 'alias ${b.alias} = ${scalar};' for '${name}' (${spelled})`);
      } else if (!new RegExp(`^(${scalar}|vec[234]${scalar[0]})$`).test(got.element)) bad.push(`${where}: '${v}' holds ${got.element}, declared ${spelled}`);
    }
  });
  // Workgroup size of every declared entry.
  const eps = entries(code);
  const cs = consts(code);
  const os = overrides(code);
  for (const e of d.entries) {
    const size = eps.get(e);
    if (!size) {
      bad.push(`${where}: no @compute entry '${e}'`);
      continue;
    }
    const want = [...d.workgroupSize];
    while (want.length < size.length) want.push(1);
    size.forEach((arg, i) => {
      const w = want[i];
      const value = /^\d+u?$/.test(arg) ? Number(arg.replace('u', '')) : cs.get(arg);
      const ok = typeof w === 'number' ? value === w : arg === w && os.has(arg);
      if (!ok) bad.push(`${where}: entry '${e}' has @workgroup_size(${size.join(', ')}), declared (${d.workgroupSize.join(', ')})`);
    });
  }
  // Overrides, both ways, with their types.
  const declaredOverrides = (d.overrides ?? {}) as Record<string, string>;
  for (const [name, type] of os) {
    if (!(name in declaredOverrides)) bad.push(`${where}: override ${name} is not declared`);
    else if (type !== null && type !== declaredOverrides[name]) bad.push(`${where}: override ${name} is ${type}, declared ${declaredOverrides[name]}`);
  }
  for (const name of Object.keys(declaredOverrides)) if (!os.has(name)) bad.push(`${where}: declared override ${name} is not in the WGSL`);
  for (const [name, value] of Object.entries(d.consts ?? {})) {
    if (cs.get(name) !== value) bad.push(`${where}: const ${name} is ${cs.get(name)}, declared ${value}`);
  }
  // Op codes: every switch over codes has one case per code, named by its comment, and a NaN default.
  if (d.opCodes) {
    const codes = d.opCodes.codes;
    const byCode = new Map(Object.entries(codes).map(([name, c]) => [c, name]));
    const sw = switches(code).filter((s) => s.cases.size > 0);
    if (sw.length === 0) bad.push(`${where}: no switch over op codes`);
    for (const s of sw) {
      for (const [c, name] of byCode) {
        if (!s.cases.has(c)) bad.push(`${where}: switch ${s.on} has no case ${c}u (${name})`);
        else if (s.cases.get(c) !== name) bad.push(`${where}: case ${c}u of switch ${s.on} is commented '${s.cases.get(c)}', the code belongs to ${name}`);
      }
      for (const c of s.cases.keys()) if (!byCode.has(c)) bad.push(`${where}: switch ${s.on} has case ${c}u, which no op has`);
      if (!s.nanDefault) bad.push(`${where}: switch ${s.on} must end in a default that returns NaN`);
    }
  }
  return bad;
}

describe('kernel declarations match their WGSL', () => {
  it('every shader file belongs to a declaration, and each declaration carries that file as it is', () => {
    const files = readdirSync(shaderDir).filter((f) => f.endsWith('.wgsl')).map((f) => f.slice(0, -5));
    const used = new Set<string>();
    for (const k of allKernels) {
      expect(k.decl.source, k.name).toBe(fileText(k.name));
      used.add(k.name);
      for (const inc of k.decl.includes ?? []) used.add(files.find((f) => fileText(f) === inc) ?? '?');
    }
    expect([...used].sort()).toEqual([...files].sort());
  });

  for (const k of allKernels) {
    it(`${k.name} (${k.decl.entries.join(', ')}): uniforms, bindings, workgroup size, overrides, constants, op codes`, () => {
      expect(problems(k)).toEqual([]);
    });
  }

  it('every entry point and storage variable of a file is claimed by one of its declarations', () => {
    const byFile = new Map<string, AnyKernel[]>();
    for (const k of allKernels) byFile.set(k.name, [...(byFile.get(k.name) ?? []), k]);
    for (const [file, ks] of byFile) {
      const code = ks[0].code;
      const claimedEntries = new Set(ks.flatMap((k) => [...k.decl.entries]));
      expect([...entries(code).keys()].sort(), file).toEqual([...claimedEntries].sort());
      const claimedVars = new Set(ks.flatMap((k) => Object.entries(k.decl.bindings as Record<string, BindingDecl>).flatMap(([n, b]) => [...(b.vars ?? [n])])));
      const storageVars = [...bindingVars(code)].filter(([, v]) => v.space === 'storage').map(([n]) => n);
      expect(storageVars.filter((v) => !claimedVars.has(v)), file).toEqual([]);
    }
  });

  // The checks above must catch a change made on one side only: each edit below breaks one thing.
  const breakages: Array<[string, AnyKernel, (code: string) => string, RegExp]> = [
    ['a uniform field renamed', unaryKernel, (c) => c.replace('  alpha: f32,', '  slope: f32,'), /Params is/],
    ['two uniform fields swapped', binaryKernel, (c) => c.replace('  rank: u32,\n  scalar: f32,', '  scalar: f32,\n  rank: u32,'), /Params is/],
    ['a binding moved', unaryKernel, (c) => c.replace('@binding(2) var<storage, read_write> y', '@binding(3) var<storage, read_write> y'), /'y' is at binding 3/],
    ['a binding made writable', binaryKernel, (c) => c.replace('var<storage, read> b: array<f32>', 'var<storage, read_write> b: array<f32>'), /'b' is var<storage, read_write>/],
    ['an element type changed', unaryKernel, (c) => c.replace('var<storage, read> x: array<vec4f>', 'var<storage, read> x: array<vec4i>'), /holds vec4i, declared float32/],
    ['the workgroup size changed', unaryKernel, (c) => c.replace('const WG: u32 = 64u;', 'const WG: u32 = 128u;'), /@workgroup_size/],
    ['BLOCK changed', unaryKernel, (c) => c.replace('const BLOCK: u32 = 1024u;', 'const BLOCK: u32 = 512u;'), /const BLOCK is 512/],
    ['an op code missing', unaryKernel, (c) => c.replace(/\n\s*case 15u:[^\n]*/g, ''), /no case 15u \(rsqrt\)/],
    ['two op codes swapped', unaryKernel, (c) => c.replace('case 8u: { return max(v, 0.0); }                            // relu', 'case 8u: { return max(v, 0.0); }                            // leakyRelu'), /commented 'leakyRelu'/],
    ['an aliased element type changed', gatherKernel, (c) => c.replace('alias Index = f32;', 'alias Index = u32;'), /no 'alias Index = f32;'/],
    ['an identity default', binaryKernel, (c) => c.replace('default: { return nan(); }', 'default: { return x; }'), /default that returns NaN/],
  ];
  for (const [what, k, edit, message] of breakages) {
    it(`fails when ${what} on the WGSL side alone`, () => {
      const broken = edit(k.code);
      expect(broken, 'the edit must apply').not.toBe(k.code);
      expect(problems(k, broken).join('\n')).toMatch(message);
    });
  }

  it('fails when the declaration alone changes: a field, a binding, an op code', () => {
    const d = unaryKernel.decl;
    const withField = new Kernel({ ...d, uniforms: { ...d.uniforms, gamma: 'f32' } });
    expect(problems(withField).join('\n')).toMatch(/Params is/);
    const swapped = new Kernel({ ...d, bindings: { y: d.bindings.y, x: d.bindings.x } });
    expect(problems(swapped).join('\n')).toMatch(/'y' is at binding 2, declared at 1/);
    const extraCode = new Kernel({ ...d, opCodes: { override: 'OP', codes: { ...unaryCodes, cube: 17 } } });
    expect(problems(extraCode).join('\n')).toMatch(/no case 17u \(cube\)/);
  });
});

describe('op codes', () => {
  it('an unknown code yields NaN, not the identity (unary and binary)', async () => {
    const x = wg.tensor([1, 2, 3, 4, 5]);
    const y = wg.zeros([5]);
    unaryKernel.launch({ op: 'test', constants: { OP: 99 }, uniforms: { n: 5, alpha: 0, beta: 0 }, bindings: { x, y }, groups: unaryKernel.blocks(5) });
    expect(Array.from(await y.data()).every(Number.isNaN)).toBe(true);
    const out = wg.zeros([5]);
    binaryKernel.launch({
      op: 'test',
      entry: 'main4',
      constants: { OP: 99, LAYOUT: 0, SCALAR_A: false, SCALAR_B: false },
      uniforms: { n: 5, rank: 1, scalar: 0, period: 0, shape: [5], a_strides: [1], b_strides: [1] },
      bindings: { a: x, b: x, out },
      groups: binaryKernel.blocks(5),
    });
    expect(Array.from(await out.data()).every(Number.isNaN)).toBe(true);
    for (const t of [x, y, out]) t.dispose();
  });

  it('the codes are distinct', () => {
    for (const codes of [unaryCodes, binaryCodes]) expect(new Set(Object.values(codes)).size).toBe(Object.keys(codes).length);
  });
});
