// TensorFlow.js knows no 'leakyRelu' activation (nor Keras 3's 'leaky_relu', which it refuses to
// load), only a LeakyReLU layer. So a Sequential is saved the way TensorFlow.js reads it: an
// Activation layer with leakyRelu becomes a LeakyReLU layer, and a Dense with it becomes a linear
// Dense followed by a LeakyReLU layer named '<dense>_leaky_relu'. Loading joins such a pair back
// into one Dense (and still reads the activation name that Keras 3 writes).
import type { ConfigValue, LayerConfig } from '../layers/layer';

/** The slope of webgrad's leakyRelu activation below 0 (Keras 3's default for the activation). */
export const LEAKY_SLOPE = 0.2;

type LayerNode = { className: string; config: LayerConfig };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNode = (v: unknown): v is LayerNode => isObject(v) && typeof v.className === 'string' && isObject(v.config);

/** A model's `{ className, config }` with every leakyRelu of its Sequential layer lists as a LeakyReLU layer. */
export function splitLeakyRelu(root: LayerNode): LayerNode {
  const names = new Set<string>();
  const collect = (node: LayerNode): void => {
    if (typeof node.config.name === 'string') names.add(node.config.name);
    if (Array.isArray(node.config.layers)) for (const child of node.config.layers) if (isNode(child)) collect(child);
  };
  collect(root);
  const freshName = (base: string): string => {
    let name = base;
    for (let k = 1; names.has(name); k++) name = `${base}_${k}`;
    names.add(name);
    return name;
  };
  const split = (node: LayerNode): LayerNode[] => {
    const { className, config } = node;
    if (className === 'Sequential' && Array.isArray(config.layers)) {
      return [{ className, config: { ...config, layers: config.layers.flatMap((l): ConfigValue[] => (isNode(l) ? split(l) : [l])) } }];
    }
    if (config.activation !== 'leakyRelu' || (className !== 'Dense' && className !== 'Activation')) return [node];
    const { activation: _, ...rest } = config;
    if (className === 'Activation') return [{ className: 'LeakyReLU', config: { ...rest, alpha: LEAKY_SLOPE } }];
    // An activity regularizer penalizes the layer's output, which is now the LeakyReLU's.
    const { activityRegularizer, ...dense } = rest;
    const leaky: LayerConfig = { name: freshName(`${String(config.name)}_leaky_relu`), trainable: config.trainable ?? true, dtype: 'float32', alpha: LEAKY_SLOPE };
    if (activityRegularizer !== undefined && activityRegularizer !== null) leaky.activityRegularizer = activityRegularizer;
    return [{ className, config: { ...dense, activation: 'linear' } }, { className: 'LeakyReLU', config: leaky }];
  };
  return split(root)[0];
}

/**
 * The layer list of a Sequential's config (camelCase) with each pair written by `splitLeakyRelu`
 * (a linear Dense, then a LeakyReLU of slope 0.2 named after it) joined into one Dense with
 * leakyRelu; each entry with its index in the original list, for error messages.
 */
export function joinLeakyRelu(list: readonly unknown[]): Array<[unknown, number]> {
  const out: Array<[unknown, number]> = [];
  list.forEach((item, i) => {
    const previous = out.length > 0 ? out[out.length - 1][0] : undefined;
    if (isNode(item) && item.className === 'LeakyReLU' && isNode(previous) && previous.className === 'Dense' && pairs(previous.config, item.config)) {
      const config: LayerConfig = { ...previous.config, activation: 'leakyRelu' };
      if (item.config.activityRegularizer !== undefined) config.activityRegularizer = item.config.activityRegularizer;
      out[out.length - 1] = [{ className: 'Dense', config }, out[out.length - 1][1]];
      return;
    }
    out.push([item, i]);
  });
  return out;
}

function pairs(dense: LayerConfig, leaky: LayerConfig): boolean {
  const linear = dense.activation === undefined || dense.activation === null || dense.activation === 'linear';
  const noPenalty = dense.activityRegularizer === undefined || dense.activityRegularizer === null;
  const named = typeof dense.name === 'string' && typeof leaky.name === 'string' && new RegExp(`^${escape(dense.name)}_leaky_relu(_\\d+)?$`).test(leaky.name);
  return linear && noPenalty && named && leakySlope(leaky) === LEAKY_SLOPE;
}

/** A LeakyReLU layer's slope: TensorFlow.js's `alpha` or Keras 3's `negative_slope` (both default to 0.3). */
export function leakySlope(config: LayerConfig): number | undefined {
  const slope = config.alpha ?? config.negativeSlope ?? 0.3;
  if (typeof slope !== 'number') return undefined;
  // A slope saved through float32 (0.2 → 0.20000000298…) is the same slope.
  return Math.abs(slope - LEAKY_SLOPE) <= 1e-7 ? LEAKY_SLOPE : slope;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
