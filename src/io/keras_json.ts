// Keras writes configs in Python's snake_case, keys and string values alike ('use_bias',
// 'fan_avg'); TensorFlow.js's getConfig gives camelCase. These convert between the two exactly as
// TensorFlow.js does (tfjs-layers serialization_utils), so files pass unchanged between webgrad,
// TensorFlow.js and Keras. Names (layer and class names) and 'Custom>...' markers are left alone.
import { ModelFormatError } from '../errors';

/** TensorFlow.js's `toSnakeCase`: 'useBias' → 'use_bias', 'L1L2' stays. */
export function toSnakeCase(name: string): string {
  const intermediate = name.replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2');
  const snake = intermediate.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  return snake[0] === '_' ? `private${snake}` : snake;
}

/** TensorFlow.js's `toCamelCase`: 'use_bias' → 'useBias'. */
export function toCamelCase(name: string): string {
  return name.length > 1 && name.includes('_') ? name.replace(/_+(\w|$)/g, (_, c: string) => c.toUpperCase()) : name;
}

const keepsValue = (key: string | undefined, value: string) => key === 'name' || key === 'className' || key === 'class_name' || value.includes('>');

/**
 * The keys under which a functional model names layers by [name, node index, tensor index]:
 * TensorFlow.js keeps a string first in such a list; so do we, anywhere below these keys (in a
 * call's kwargs and in Keras 3's keras_history too).
 */
const graphKeys = new Set(['inboundNodes', 'inbound_nodes', 'inputLayers', 'input_layers', 'outputLayers', 'output_layers']);

/**
 * How deep a model's JSON may nest. A Keras topology nests a few levels per layer and per nested
 * model; anything deeper is a malformed (or hostile) file, refused before recursion runs out of stack.
 */
const MAX_DEPTH = 256;

/**
 * Renames keys and values throughout `value`; `open` holds the objects being converted (a cycle's
 * way back); `graph` is set below the keys that hold layer references, where a list's first
 * string is a layer name.
 */
function convert(value: unknown, rename: (s: string) => string, where: string, open: Set<object>, key?: string, graph = false): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return keepsValue(key, value) ? value : rename(value);
  if (typeof value !== 'object') return value;
  if (open.has(value)) throw new ModelFormatError(`${where}: the model's JSON contains a cycle (an object inside itself).`);
  if (open.size >= MAX_DEPTH) throw new ModelFormatError(`${where}: the model's JSON nests more than ${MAX_DEPTH} levels deep.`);
  open.add(value);
  let out: unknown;
  if (Array.isArray(value)) {
    out = value.map((v, i) => (graph && i === 0 && typeof v === 'string' ? v : convert(v, rename, where, open, key, graph)));
  } else {
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) fields[rename(k)] = convert(v, rename, where, open, k, graph || graphKeys.has(k));
    out = fields;
  }
  open.delete(value);
  return out;
}

/** A camelCase config (from `getConfig`) as Keras JSON; `where` names the operation in errors. */
export const toPythonic = (config: unknown, where = 'save'): unknown => convert(config, toSnakeCase, where, new Set());

/** Keras JSON as a camelCase config. A cycle or absurd depth is a ModelFormatError naming `where`. */
export const fromPythonic = (json: unknown, where = 'loadModel'): unknown => convert(json, toCamelCase, where, new Set());
