// Keras writes configs in Python's snake_case, keys and string values alike ('use_bias',
// 'fan_avg'); TensorFlow.js's getConfig gives camelCase. These convert between the two exactly as
// TensorFlow.js does (tfjs-layers serialization_utils), so files pass unchanged between webgrad,
// TensorFlow.js and Keras. Names (layer and class names) and 'Custom>...' markers are left alone.

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

function convert(value: unknown, rename: (s: string) => string, key?: string): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return keepsValue(key, value) ? value : rename(value);
  if (typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => convert(v, rename, key));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[rename(k)] = convert(v, rename, k);
  return out;
}

/** A camelCase config (from `getConfig`) as Keras JSON. */
export const toPythonic = (config: unknown): unknown => convert(config, toSnakeCase);

/** Keras JSON as a camelCase config. */
export const fromPythonic = (json: unknown): unknown => convert(json, toCamelCase);
