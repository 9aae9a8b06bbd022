// Rebuilds a functional model from its Keras JSON (class_name 'Functional' or 'Model'): the
// layers, then their calls ('inbound_nodes') replayed on symbolic tensors, each once the calls it
// takes tensors from have run, then the model from 'input_layers' to 'output_layers'. Calls come in
// the form TensorFlow.js and Keras 2 write, a list per call of [layer, node index, tensor index,
// kwargs], or Keras 3's { args, kwargs } with tensors as { class_name: '__keras_tensor__' }.
import { MultiHeadAttention } from '../layers/attention';
import { firstNodeIndex, Functional, input } from '../layers/functional';
import type { Layer, LayerShape } from '../layers/layer';
import { Add, Average, Concatenate, Multiply } from '../layers/merge';
import type { SymbolicTensor } from '../layers/symbolic';
import type { ConfigReader } from './conv_layers';

type Config = Record<string, unknown>;

const isObject = (v: unknown): v is Config => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What load.ts's topology reader lends to read a functional model. */
export interface GraphReader extends ConfigReader {
  /** Any layer but an InputLayer, nested models included. */
  layer(value: unknown, path: string): Layer;
  /** Records a layer or model name, failing on a second use of it. */
  claimName(name: string, label: string): void;
  batchShape(value: unknown, path: string): LayerShape | undefined;
}

/** A tensor of the graph: output `tensor` of call `node` of layer `name` (node as the file counts it). */
class Ref {
  constructor(
    readonly name: string,
    readonly node: number,
    readonly tensor: number,
  ) {}
}

/** One call of a layer as the file gives it. */
interface Call {
  inputs: Ref[];
  array: boolean;
  /** Call options; a Ref stands for a tensor of the graph (an attention mask). */
  options: Record<string, unknown>;
  at: string;
}

interface Entry {
  name: string;
  layer: Layer;
  isInput: boolean;
  label: string;
  calls: Call[];
  /** The outputs of each call replayed so far. */
  made: SymbolicTensor[][];
  /** The node index the file gives the layer's first call. */
  first: number;
}

/** The call options each layer class takes from a file; other non-null options are refused. */
const callOptionsOf = (layer: Layer): string[] => (layer instanceof MultiHeadAttention ? ['attentionMask', 'useCausalMask'] : []);

/** A reference [name, node, tensor] (list form) or a Keras 3 keras tensor, else undefined. */
function refOf(v: unknown): Ref | undefined {
  if (isObject(v) && v.className === '__keras_tensor__' && isObject(v.config)) return refOf(v.config.kerasHistory);
  if (!Array.isArray(v) || v.length < 3 || v.length > 4 || typeof v[0] !== 'string') return undefined;
  const [name, node, tensor] = v as [string, unknown, unknown];
  if (!Number.isSafeInteger(node) || !Number.isSafeInteger(tensor) || (node as number) < 0 || (tensor as number) < 0) return undefined;
  return new Ref(name, node as number, tensor as number);
}

const isRef = (v: unknown): v is Ref => v instanceof Ref;

const show = (r: Ref) => `['${r.name}', ${r.node}, ${r.tensor}]`;

/**
 * The functional model `value` describes, built from the layers up; on any error every layer made
 * is freed and a ModelFormatError names the place in the file.
 */
export function readFunctional(value: Config, path: string, r: GraphReader): Functional {
  const config = value.config;
  if (!isObject(config) || !Array.isArray(config.layers)) throw r.fail(`${path}.config`, 'a functional model needs { name, layers: [...], input_layers, output_layers }.');
  const modelName = config.name ?? undefined;
  if (modelName !== undefined && (typeof modelName !== 'string' || modelName === '')) throw r.fail(path, 'name must be a non-empty string.');
  if (modelName !== undefined) r.claimName(modelName, path);
  const entries: Entry[] = [];
  try {
    const keras3 = config.layers.some((item) => isObject(item) && Array.isArray(item.inboundNodes) && item.inboundNodes.some(isObject));
    config.layers.forEach((item: unknown, i) => entries.push(makeEntry(item, `${path}.config.layers[${i}]`, r, keras3)));
    const byName = new Map(entries.map((e) => [e.name, e]));
    /** The entry and the index in `made` of a reference, checked against what the file lists. */
    const target = (ref: Ref, at: string): [Entry, number] => {
      const e = byName.get(ref.name);
      if (!e) throw r.fail(at, `refers to layer '${ref.name}', which is not among the model's layers.`);
      // Keras reads any node index of an InputLayer as its one node.
      const k = e.isInput ? 0 : ref.node - e.first;
      if (k < 0 || k >= (e.isInput ? 1 : e.calls.length)) {
        throw r.fail(at, `refers to call ${ref.node} of '${ref.name}', which the file does not list (${e.calls.length} call${e.calls.length === 1 ? '' : 's'}, numbered from ${e.first}).`);
      }
      return [e, k];
    };
    const refsOf = (call: Call) => [...call.inputs, ...Object.values(call.options).filter(isRef)];
    for (const e of entries) for (const call of e.calls) for (const ref of refsOf(call)) target(ref, call.at);
    const tensorOf = (ref: Ref, at: string): SymbolicTensor => {
      const [e, k] = target(ref, at);
      const outs = e.made[k];
      if (ref.tensor >= outs.length) throw r.fail(at, `refers to output ${ref.tensor} of ${show(ref)}, but that call gives ${outs.length}.`);
      return outs[ref.tensor];
    };
    const ready = (ref: Ref) => {
      const [e, k] = target(ref, '');
      return e.made.length > k;
    };
    // Replays the calls, each layer's in order, each once its inputs exist (Keras's loop).
    for (let progress = true; progress;) {
      progress = false;
      for (const e of entries) {
        while (e.made.length < e.calls.length && refsOf(e.calls[e.made.length]).every(ready)) {
          const call = e.calls[e.made.length];
          const xs = call.inputs.map((ref) => tensorOf(ref, call.at));
          const options = Object.fromEntries(Object.entries(call.options).map(([k, v]) => [k, isRef(v) ? tensorOf(v, call.at) : v]));
          const y = r.construct(call.at, () => e.layer.apply(call.array ? xs : xs[0], options));
          e.made.push(Array.isArray(y) ? y : [y]);
          progress = true;
        }
      }
    }
    const stuck = entries.filter((e) => e.made.length < e.calls.length);
    if (stuck.length) {
      throw r.fail(stuck[0].calls[stuck[0].made.length].at, `the calls of ${stuck.map((e) => `'${e.name}'`).join(', ')} wait on each other's outputs: the graph has a cycle.`);
    }
    const inputs = refList(config.inputLayers, `${path}.config.input_layers`, 'inputs', r).map(([ref, at]) => {
      if (!byName.get(ref.name)?.isInput) throw r.fail(at, `'${ref.name}' is not an InputLayer of the model.`);
      return tensorOf(ref, at);
    });
    const outputs = refList(config.outputLayers, `${path}.config.output_layers`, 'outputs', r).map(([ref, at]) => tensorOf(ref, at));
    const model = r.construct(path, () => new Functional({ inputs, outputs: outputs.length === 1 ? outputs[0] : outputs, name: modelName as string | undefined }));
    const unused = entries.filter((e) => !model.layers.includes(e.layer));
    if (unused.length) throw r.fail(unused[0].label, 'this layer leads to none of the model\'s outputs.');
    // As in Keras and TensorFlow.js, the layers (and so the weights, for getWeights and setWeights) keep the file's order.
    const order = new Map(entries.map((e, i) => [e.layer, i]));
    model.layers.sort((x, y) => order.get(x)! - order.get(y)!);
    if (config.trainable === false) model.trainable = false;
    return model;
  } catch (e) {
    for (const entry of entries) entry.layer.dispose();
    throw e;
  }
}

/** One item of config.layers: its layer (or input) and its calls, not yet replayed. */
function makeEntry(item: unknown, at: string, r: GraphReader, keras3: boolean): Entry {
  if (!isObject(item) || typeof item.className !== 'string' || !isObject(item.config)) throw r.fail(at, 'must be { name, class_name, config, inbound_nodes }.');
  const { className, config } = item;
  const name = item.name ?? config.name;
  if (typeof name !== 'string' || name === '') throw r.fail(at, `name must be a non-empty string, got ${JSON.stringify(name)}.`);
  if (config.name !== undefined && config.name !== null && config.name !== name) throw r.fail(at, `name '${name}' differs from config.name '${String(config.name)}'.`);
  const label = `${at} (${className} '${name}')`;
  const nodes = item.inboundNodes ?? [];
  if (!Array.isArray(nodes)) throw r.fail(`${label}.inbound_nodes`, 'must be an array of calls.');
  if (className === 'InputLayer') {
    if (nodes.length > 0) throw r.fail(`${label}.inbound_nodes`, 'an InputLayer has no inbound nodes.');
    r.claimName(name, label);
    const shape = r.batchShape(config.batchInputShape ?? config.batchShape, `${label}.config.batch_input_shape`);
    if (!shape) throw r.fail(label, 'an InputLayer needs batch_input_shape (or batch_shape).');
    const dtype = config.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'int32') throw r.fail(label, `dtype ${JSON.stringify(dtype)} is not supported; inputs are float32 or int32.`);
    const t = r.construct(label, () => input({ shape: shape.slice(1), name, dtype }));
    return { name, layer: t.node.layer, isInput: true, label, calls: [], made: [[t]], first: 0 };
  }
  const layer = r.layer({ ...item, config: { ...config, name } }, at);
  try {
    const calls = nodes.map((node: unknown, k) => readCall(node, `${label}.inbound_nodes[${k}]`, layer, r));
    // Keras 3 numbers from 1 only the calls of functional models; Keras 2 and TensorFlow.js also those of Sequential ones with an input shape.
    const first = keras3 ? (layer instanceof Functional ? 1 : 0) : firstNodeIndex(layer);
    return { name, layer, isInput: false, label, calls, made: [], first };
  } catch (e) {
    layer.dispose();
    throw e;
  }
}

/** One call: its input tensors and options, in either form. */
function readCall(node: unknown, at: string, layer: Layer, r: GraphReader): Call {
  const inputs: Ref[] = [];
  let kwargs: Config = {};
  let array: boolean;
  if (isObject(node)) {
    // Keras 3: { args: [tensor] | [[tensors]] | [query, value, key?], kwargs }.
    const args = node.args ?? [];
    if (!Array.isArray(args) || args.length === 0) throw r.fail(at, 'args must be a non-empty array of tensors.');
    const flat = args.length === 1 && Array.isArray(args[0]) && refOf(args[0]) === undefined ? args[0] : args;
    array = flat !== args || args.length > 1;
    flat.forEach((a: unknown, i) => {
      const ref = refOf(a);
      if (!ref) throw r.fail(`${at}.args[${i}]`, `must be a keras tensor, got ${JSON.stringify(a)}.`);
      inputs.push(ref);
    });
    if (node.kwargs !== undefined && node.kwargs !== null && !isObject(node.kwargs)) throw r.fail(`${at}.kwargs`, 'must be an object.');
    kwargs = (node.kwargs ?? {}) as Config;
  } else if (Array.isArray(node) && node.length > 0) {
    // TensorFlow.js and Keras 2: one [layer, node, tensor, kwargs] per input; several mean an array input.
    node.forEach((item: unknown, i) => {
      const ref = refOf(item);
      if (!ref) throw r.fail(`${at}[${i}]`, `must be [layer name, node index, tensor index, kwargs], got ${JSON.stringify(item)}.`);
      inputs.push(ref);
      const extra = (item as unknown[])[3];
      if (extra !== undefined && extra !== null && !isObject(extra)) throw r.fail(`${at}[${i}]`, 'kwargs must be an object.');
      kwargs = { ...kwargs, ...(extra as Config | undefined) };
    });
    // A merge layer takes a list even of one tensor.
    array = node.length > 1 || [Add, Average, Concatenate, Multiply].some((c) => layer instanceof c);
  } else {
    throw r.fail(at, `must be a non-empty list of [layer name, node index, tensor index, kwargs] or Keras 3's { args, kwargs }, got ${JSON.stringify(node)}.`);
  }
  const options: Record<string, unknown> = {};
  const allowed = callOptionsOf(layer);
  for (const [key, v] of Object.entries(kwargs)) {
    const ref = refOf(v);
    // Keras 2 passes an attention layer's value and key as keyword arguments.
    if (layer instanceof MultiHeadAttention && (key === 'value' || key === 'key') && ref) {
      inputs[key === 'value' ? 1 : 2] = ref;
      array = true;
    } else if (key === 'training' || v === null || v === false) {
      continue;
    } else if (!allowed.includes(key)) {
      throw r.fail(at, `call argument '${key}' is not supported by webgrad${allowed.length ? ` for this layer (it takes ${allowed.join(', ')})` : ''}.`);
    } else {
      options[key] = ref ?? v;
    }
  }
  for (let i = 0; i < inputs.length; i++) if (!inputs[i]) throw r.fail(at, 'an attention call gives a key without a value.');
  return { inputs, array, options, at };
}

/** input_layers / output_layers: a list of [name, node, tensor], or one such (Keras 3, one tensor). */
function refList(value: unknown, path: string, what: string, r: GraphReader): Array<[Ref, string]> {
  const single = refOf(value);
  if (single) return [[single, path]];
  if (!Array.isArray(value) || value.length === 0) throw r.fail(path, `must list the model's ${what} as [layer name, node index, tensor index], got ${JSON.stringify(value ?? null)}.`);
  return value.map((v: unknown, i) => {
    const ref = refOf(v);
    if (!ref) throw r.fail(`${path}[${i}]`, `must be [layer name, node index, tensor index], got ${JSON.stringify(v)}.`);
    return [ref, `${path}[${i}]`];
  });
}
