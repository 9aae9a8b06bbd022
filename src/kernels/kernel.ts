import { engine } from '../device/engine';
import type { Pipelines } from '../device/pipelines';
import { Storage } from '../device/storage';
import { InvalidArgumentError, ResourceLimitError } from '../errors';

/**
 * A kernel is declared once, beside its WGSL: its bindings, its uniform struct, its workgroup
 * size, its override constants and op-code table, its entry points. Callers launch it with
 * tensors and named values; uniform packing and padding, bind-group order and grid sizes all
 * come from the declaration. test/kernels.test.ts holds every declaration against its WGSL.
 */

/** Element types of tensors, and the WGSL scalar each is stored as. */
export const dtypeScalars = { float32: 'f32', int32: 'i32', uint32: 'u32' } as const;
/** Tensor element types. */
export type DType = 'float32' | 'int32';
/** What a binding holds: tensors of a DType, or raw words (`uint32`: tables built on the CPU). */
export type ElementType = keyof typeof dtypeScalars;

export type ScalarField = 'u32' | 'i32' | 'f32';
/** A WGSL struct used inside the uniform struct (an array of records). */
export interface StructDecl {
  name: string;
  fields: Record<string, ScalarField>;
}
/** `dims` is a shape or strides as `array<vec4u, 2>`: up to MAX_RANK u32s, zero-padded. */
export type FieldDecl = ScalarField | 'dims' | { array: StructDecl; count: number };
export type UniformDecl = Record<string, FieldDecl>;

export interface BindingDecl {
  access: 'read' | 'read_write';
  /**
   * Element type of what is bound here; a list when the kernel is built for each, the first
   * being the one its WGSL file spells out (see `alias`).
   */
  dtype: ElementType | readonly ElementType[];
  /**
   * The WGSL `alias` that names this binding's element type (`alias Index = f32;`). When the
   * binding takes several dtypes, the kernel is compiled once per dtype with the alias set to
   * that dtype's scalar: a variant is a declaration change, not an edit at call sites.
   */
  alias?: string;
  /** The WGSL variables declared at this binding (some entries read it as vec4s); default: its name. */
  vars?: readonly string[];
}

export type OverrideType = 'u32' | 'i32' | 'f32' | 'bool';

export interface KernelDecl<
  U extends UniformDecl = UniformDecl,
  B extends Record<string, BindingDecl> = Record<string, BindingDecl>,
  O extends Record<string, OverrideType> = Record<string, OverrideType>,
  E extends string = string,
> {
  /** The file under shaders/, without `.wgsl`. */
  shader: string;
  /** Tells apart declarations of one file built with other includes (labels and caches use it). */
  variant?: string;
  /** Its WGSL text. */
  source: string;
  /** WGSL text appended to `source` (after it, so enable directives stay first): shared functions. */
  includes?: readonly string[];
  /** The fields of `struct Params` at binding 0, in order. */
  uniforms: U;
  /** Storage bindings 1, 2, ... in order. */
  bindings: B;
  /** `@workgroup_size` of every entry: numbers, or names of overrides given at launch. */
  workgroupSize: readonly [number | (keyof O & string), ...Array<number | (keyof O & string)>];
  overrides?: O;
  /** Module-scope `const`s that callers depend on (BLOCK: vec4s per workgroup). */
  consts?: Record<string, number>;
  entries: readonly E[];
  /** The override that selects a function, and its codes: one WGSL `case` each. */
  opCodes?: { override: keyof O & string; codes: Record<string, number> };
}

/** The smallest multiple of `align` that is ≥ n. */
const roundUp = (n: number, align: number) => Math.ceil(n / align) * align;

export const MAX_RANK = 8;

type FieldValue<F> = F extends 'dims'
  ? readonly number[]
  : F extends { array: { fields: infer S }; count: number }
    ? ReadonlyArray<{ [K in keyof S]: number }>
    : number;
export type UniformValues<U extends UniformDecl> = { [K in keyof U]: FieldValue<U[K]> };

/** Anything that can be bound: a tensor (checked for use and dtype) or a scratch Storage. */
export interface Bindable {
  readonly dtype: DType;
  storageFor(op: string): Storage;
}

export type OverrideValues<O extends Record<string, OverrideType>> = { [K in keyof O]?: number | boolean };

export interface Launch<U extends UniformDecl, B extends Record<string, BindingDecl>, O extends Record<string, OverrideType>, E extends string> {
  /** The op on whose behalf this runs, for error messages. */
  op: string;
  entry?: E;
  constants?: OverrideValues<O>;
  uniforms: UniformValues<U>;
  /** What each binding holds; null binds a placeholder (a slot the dispatch leaves unused). */
  bindings: { [K in keyof B]: Bindable | Storage | null };
  /** Workgroups along x, y, z. */
  groups: readonly [number, number?, number?];
  /**
   * Uniforms that change from step to step (a seed, an optimizer's bias correction): a captured
   * step (compileStep) calls this on every replay and writes the fields it returns over the ones
   * recorded. Without it, the uniforms replay as they were.
   */
  refresh?: () => Partial<UniformValues<U>>;
}

/** How one uniform field is written: its offset in 32-bit words and its kind. */
type Writer =
  | { key: string; word: number; kind: ScalarField }
  | { key: string; word: number; kind: 'dims' }
  | { key: string; word: number; kind: 'array'; count: number; strideWords: number; fields: Array<{ key: string; word: number; kind: ScalarField }> };

/**
 * Offsets by WGSL's uniform address-space layout: scalars align to 4, `array<vec4u, 2>` to 16,
 * arrays of structs to 16 with a stride that is a multiple of 16; the struct's size rounds up to
 * its alignment, and a uniform binding is at least 16 bytes.
 */
function uniformLayout(decl: UniformDecl): { writers: Writer[]; bytes: number } {
  const writers: Writer[] = [];
  let offset = 0;
  let align = 4;
  for (const [key, field] of Object.entries(decl)) {
    if (field === 'dims') {
      offset = roundUp(offset, 16);
      writers.push({ key, word: offset / 4, kind: 'dims' });
      offset += 32;
      align = 16;
    } else if (typeof field === 'object') {
      const names = Object.keys(field.array.fields);
      const stride = roundUp(4 * names.length, 16);
      if (stride !== 4 * names.length) throw new Error(`${field.array.name}: a uniform array element must fill 16-byte units.`);
      offset = roundUp(offset, 16);
      const fields = names.map((k, i) => ({ key: k, word: i, kind: field.array.fields[k] }));
      writers.push({ key, word: offset / 4, kind: 'array', count: field.count, strideWords: stride / 4, fields });
      offset += stride * field.count;
      align = 16;
    } else {
      writers.push({ key, word: offset / 4, kind: field });
      offset += 4;
    }
  }
  return { writers, bytes: Math.max(16, roundUp(offset, align)) };
}

/**
 * Throws a ResourceLimitError unless tensors of each of these element counts (4 bytes each, in
 * buffers of whole 16-byte units) fit one storage binding on this device: kernels bind whole
 * buffers. Ops call it with every operand and result before they allocate or encode anything, so
 * an op that fails leaves nothing behind, neither a tensor nor a dispatch, and the rest of the
 * batch runs as if it had never been called.
 */
export function checkBindable(op: string, ...elements: number[]): void {
  for (const n of elements) {
    if (!fitsBinding(n)) throw new ResourceLimitError(op, 4 * n, 'maxStorageBufferBindingSize', maxBindingBytes(), 'a tensor');
  }
}

/** Whether a tensor of `elements` values fits one storage binding on this device. */
export function fitsBinding(elements: number): boolean {
  return !(Math.ceil(elements / 4) * 16 > maxBindingBytes());
}

const maxBindingBytes = (): number => engine().info.limits.maxStorageBufferBindingSize ?? Infinity;

/** Splits `count` workgroups over x and y so neither exceeds the per-dimension limit. */
export function grid(count: number): [number, number] {
  const groups = Math.max(1, Math.ceil(count));
  const maxX = engine().info.limits.maxComputeWorkgroupsPerDimension ?? 65535;
  if (groups <= maxX) return [groups, 1];
  const y = Math.ceil(groups / maxX);
  return [Math.ceil(groups / y), y];
}

/** Maps from an entry, a variant, then each override's value in turn, to the pipeline (under PIPELINE). */
type PipelineTree = Map<unknown, PipelineTree | GPUComputePipeline>;
const PIPELINE = Symbol('pipeline');

export class Kernel<
  U extends UniformDecl = UniformDecl,
  B extends Record<string, BindingDecl> = Record<string, BindingDecl>,
  O extends Record<string, OverrideType> = Record<string, OverrideType>,
  E extends string = string,
> {
  /** The complete WGSL the device compiles: the kernel's own file, then its includes. */
  readonly code: string;
  /** The file name, and the variant where there is one: what pipelines and modules are cached by. */
  readonly label: string;
  private readonly writers: Writer[];
  readonly uniformBytes: number;
  private readonly bindingNames: Array<keyof B & string>;
  private readonly overrideNames: string[];
  /** Invocations per workgroup, when the size is fixed by the declaration. */
  private readonly fixedThreads: number | undefined;
  /** The pipelines built on the current engine's device, with what each was built for. */
  private built: { pipelines: Pipelines; tree: PipelineTree } | null = null;
  /** Bindings whose element type an alias names, with the dtype the WGSL file spells out. */
  private readonly aliased: Array<{ name: keyof B & string; alias: string; spelled: ElementType }>;

  constructor(readonly decl: KernelDecl<U, B, O, E>) {
    this.code = [decl.source, ...(decl.includes ?? [])].join('\n');
    this.label = decl.variant ? `${decl.shader}+${decl.variant}` : decl.shader;
    ({ writers: this.writers, bytes: this.uniformBytes } = uniformLayout(decl.uniforms));
    this.bindingNames = Object.keys(decl.bindings) as Array<keyof B & string>;
    this.overrideNames = Object.keys(decl.overrides ?? {});
    this.aliased = [];
    for (const name of this.bindingNames) {
      const { alias, dtype } = decl.bindings[name];
      if (alias) this.aliased.push({ name, alias, spelled: typeof dtype === 'string' ? dtype : dtype[0] });
    }
    const sizes = decl.workgroupSize;
    let threads: number | undefined = 1;
    for (const s of sizes) threads = typeof s === 'number' && threads !== undefined ? threads * s : undefined;
    this.fixedThreads = threads;
  }

  get name(): string {
    return this.decl.shader;
  }

  /** Workgroups for one invocation per element of `n` (a kernel of fixed workgroup size). */
  threads(n: number): [number, number] {
    if (this.fixedThreads === undefined) throw new Error(`${this.name}: its workgroup size is set at launch.`);
    return grid(n / this.fixedThreads);
  }

  /** Workgroups for a kernel that takes a block of BLOCK vec4s per workgroup, over n floats. */
  blocks(n: number): [number, number] {
    const block = this.decl.consts?.BLOCK;
    if (block === undefined) throw new Error(`${this.name}: declares no BLOCK.`);
    return grid(Math.ceil(n / 4) / block);
  }

  /** The WGSL of a variant: each aliased element type set as `types` gives it (in binding order). */
  private variantCode(types: readonly ElementType[]): string {
    let code = this.code;
    this.aliased.forEach(({ alias }, i) => {
      code = code.replace(new RegExp(`alias\\s+${alias}\\s*=\\s*\\w+\\s*;`), `alias ${alias} = ${dtypeScalars[types[i]]};`);
    });
    return code;
  }

  /**
   * The pipeline for an entry, a variant and override values: found in a tree of maps keyed by
   * those values in turn (no key string is built per launch), else built once and kept by the
   * engine under its string key.
   */
  private pipeline(entry: string, constants: OverrideValues<O> | undefined, variant: string, types: readonly ElementType[]): GPUComputePipeline {
    const pipelines = engine().pipelines;
    if (this.built?.pipelines !== pipelines) this.built = { pipelines, tree: new Map() };
    const names = this.overrideNames;
    let node = this.built.tree;
    for (let i = -2; i < names.length; i++) {
      const k = i === -2 ? entry : i === -1 ? variant : constants?.[names[i]];
      let next = node.get(k);
      if (next === undefined) node.set(k, (next = new Map()));
      node = next as PipelineTree;
    }
    const found = node.get(PIPELINE);
    if (found) return found as GPUComputePipeline;
    let key = `${this.label}${variant}:${entry}`;
    if (constants) for (const name of names) key += `,${constants[name] ?? ''}`;
    const pipe = pipelines.pipeline(key, () => {
      const values: Record<string, number> = {};
      if (constants) {
        for (const [k, v] of Object.entries(constants)) if (v !== undefined) values[k] = Number(v);
      }
      return {
        label: key,
        layout: 'auto',
        compute: {
          module: variant ? pipelines.module(`${this.label}${variant}`, this.variantCode(types)) : pipelines.module(this.label, this.code),
          entryPoint: entry,
          constants: values,
        },
      };
    });
    node.set(PIPELINE, pipe);
    return pipe;
  }

  /**
   * Encodes one dispatch. Every binding is checked (alive, on this device, of the declared dtype,
   * within the device's binding size) before anything is encoded; ops check sizes earlier still,
   * with `checkBindable`, before they allocate their results.
   */
  launch(args: Launch<U, B, O, E>): void {
    const e = engine();
    const maxBinding = e.info.limits.maxStorageBufferBindingSize ?? Infinity;
    const buffers: GPUBuffer[] = [];
    for (let i = 0; i < this.bindingNames.length; i++) {
      const name = this.bindingNames[i];
      const bound = args.bindings[name];
      let storage: Storage;
      if (bound === null) {
        const placeholder = e.pipelines.placeholder(i + 1);
        e.stream.recording?.permanent.add(placeholder);
        buffers.push(placeholder);
        continue;
      }
      if (bound instanceof Storage) storage = bound;
      else {
        const want = this.decl.bindings[name].dtype;
        if (typeof want === 'string' ? bound.dtype !== want : !want.includes(bound.dtype)) {
          throw new InvalidArgumentError(`${args.op}: ${this.name}'s '${name}' takes ${typeof want === 'string' ? want : want.join(' or ')} values, got a ${bound.dtype} tensor.`);
        }
        storage = bound.storageFor(args.op);
      }
      if (storage.buffer.size > maxBinding) {
        throw new ResourceLimitError(args.op, storage.buffer.size, 'maxStorageBufferBindingSize', maxBinding, `binding '${name}' of shaders/${this.name}.wgsl`);
      }
      buffers.push(storage.buffer);
    }
    // Aliased element types pick the variant: '' for the one the WGSL file spells out.
    let variant = '';
    let types: ElementType[] = [];
    if (this.aliased.length) {
      types = this.aliased.map(({ name, spelled }) => {
        const bound = args.bindings[name];
        return bound === null || bound instanceof Storage ? spelled : bound.dtype;
      });
      if (types.some((t, i) => t !== this.aliased[i].spelled)) variant = `<${types.join(',')}>`;
    }
    const pipe = this.pipeline(args.entry ?? this.decl.entries[0], args.constants, variant, types);
    const stream = e.stream;
    const offset = stream.reserve(this.uniformBytes);
    const base = offset / 4;
    stream.arenaU32.fill(0, base, base + this.uniformBytes / 4);
    this.writeFields(stream.arenaU32, stream.arenaI32, stream.arenaF32, base, args.uniforms as Record<string, unknown>);
    const group = e.pipelines.bindGroup(pipe, stream.arenaGpu, offset, this.uniformBytes, buffers);
    const [x, y = 1, z = 1] = args.groups;
    const recording = stream.recording;
    if (recording) {
      for (const name of this.bindingNames) {
        const bound = args.bindings[name];
        if (bound !== null) recording.bind(bound instanceof Storage ? bound : bound.storageFor(args.op), bound);
      }
      const at = recording.dispatch(pipe, buffers, stream.arenaBytes.subarray(offset, offset + this.uniformBytes), x, y, z);
      const refresh = args.refresh;
      if (refresh) recording.eachReplay(() => this.writeFields(recording.u32, recording.i32, recording.f32, at, refresh() as Record<string, unknown>));
    }
    stream.dispatch(pipe, group, x, y, z);
  }

  /** Writes the uniform fields given in `values` (the others keep what is there) at word `base`. */
  private writeFields(u32: Uint32Array, i32: Int32Array, f32: Float32Array, base: number, values: Record<string, unknown>): void {
    for (const w of this.writers) {
      const v = values[w.key];
      if (v === undefined) continue;
      switch (w.kind) {
        case 'u32':
          u32[base + w.word] = (v as number) >>> 0;
          break;
        case 'i32':
          i32[base + w.word] = (v as number) | 0;
          break;
        case 'f32':
          f32[base + w.word] = v as number;
          break;
        case 'dims': {
          const dims = v as readonly number[];
          for (let i = 0; i < dims.length; i++) u32[base + w.word + i] = dims[i] >>> 0;
          break;
        }
        case 'array': {
          const records = v as ReadonlyArray<Record<string, number>>;
          for (let r = 0; r < records.length && r < w.count; r++) {
            const at = base + w.word + r * w.strideWords;
            for (const f of w.fields) {
              const fv = records[r][f.key] ?? 0;
              if (f.kind === 'f32') f32[at + f.word] = fv;
              else if (f.kind === 'i32') i32[at + f.word] = fv | 0;
              else u32[at + f.word] = fv >>> 0;
            }
          }
          break;
        }
      }
    }
  }
}

/** Declares a kernel; the declaration's literal types make launch arguments type-checked. */
export function defineKernel<
  U extends UniformDecl,
  B extends Record<string, BindingDecl>,
  E extends string,
  O extends Record<string, OverrideType> = Record<never, OverrideType>,
>(decl: KernelDecl<U, B, O, E>): Kernel<U, B, O, E> {
  return new Kernel(decl);
}

/** A kernel of any declaration, for code that handles kernels generically (tables, tests). */
export type AnyKernel = Kernel<any, any, any, any>;
