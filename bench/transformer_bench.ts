// The transformer-block benchmark row: its spec, and the data and weights every engine starts
// from (made here on the CPU by the seeded generator, so the loss after the first step agrees
// across engines).
import { seededRandom as rng } from '../src/rng';

/**
 * One pre-LN block on [batch, context, width] inputs, then a dense head and a loss:
 *   h = x + MHA(LN₁(x)) (causal), z = h + W₂·relu(W₁·LN₂(h) + b₁) + b₂,
 *   logits = z·Wₒ + bₒ, loss = mean softmax cross-entropy against one class id per position;
 * plain SGD.
 */
export interface TransformerSpec {
  batch: number;
  context: number;
  width: number;
  heads: number;
  /** Classes of the head (a vocabulary). */
  classes: number;
  learningRate: number;
}

export const DEFAULT_TRANSFORMER: TransformerSpec = { batch: 16, context: 64, width: 64, heads: 4, classes: 64, learningRate: 0.05 };

/** Layer normalization's ε, as Keras's default. */
export const LN_EPSILON = 1e-3;

/**
 * Row-major float32 values. The attention kernels are in Keras's shapes: query, key and value
 * [width, heads, width/heads] with biases [heads, width/heads], output [heads, width/heads, width]
 * with bias [width]. Layer norms start at gamma 1, beta 0 (Keras's initializers), so they carry
 * no data here.
 */
export interface TransformerData {
  x: Float32Array;
  /** Class ids as float32 integers, [batch, context]. */
  labels: Float32Array;
  /** The same labels one-hot, [batch, context, classes], for engines that take them so. */
  oneHot: Float32Array;
  wq: Float32Array;
  bq: Float32Array;
  wk: Float32Array;
  bk: Float32Array;
  wv: Float32Array;
  bv: Float32Array;
  wo: Float32Array;
  bo: Float32Array;
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
  wHead: Float32Array;
  bHead: Float32Array;
}

/** "64x16" (context × batch) or "none". */
export function parseTransformer(text: string): TransformerSpec | null {
  if (text.trim() === 'none' || text.trim() === '') return null;
  const m = /^(\d+)x(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`transformer "${text}" must be contextxbatch (e.g. 64x16) or none`);
  const [context, batch] = m.slice(1).map(Number);
  if (context < 1 || batch < 1) throw new Error(`transformer "${text}": context and batch must be at least 1`);
  return { ...DEFAULT_TRANSFORMER, context, batch };
}

export const transformerText = (s: TransformerSpec): string => `${s.context}x${s.batch}`;

export const transformerName = (s: TransformerSpec): string =>
  `transformer block, context ${s.context}, width ${s.width}, ${s.heads} heads, batch ${s.batch}`;

/** Inputs ~ U(−1, 1), labels uniform over the classes, kernels Glorot uniform (Keras's fans), biases zero. */
export function makeTransformerData(s: TransformerSpec, seed = 3): TransformerData {
  const r = rng(seed);
  const { batch, context, width, classes } = s;
  const uniform = (n: number, limit: number) => Float32Array.from({ length: n }, () => (2 * r() - 1) * limit);
  const glorot = (n: number, fanIn: number, fanOut: number) => uniform(n, Math.sqrt(6 / (fanIn + fanOut)));
  const rows = batch * context;
  const x = uniform(rows * width, 1);
  const labels = Float32Array.from({ length: rows }, () => Math.floor(r() * classes));
  const oneHot = new Float32Array(rows * classes);
  labels.forEach((c, i) => (oneHot[i * classes + c] = 1));
  // Keras's fans for a kernel [d, heads, size] are d and heads·size; for [heads, size, d], heads·size and d.
  return {
    x,
    labels,
    oneHot,
    wq: glorot(width * width, width, width),
    bq: new Float32Array(width),
    wk: glorot(width * width, width, width),
    bk: new Float32Array(width),
    wv: glorot(width * width, width, width),
    bv: new Float32Array(width),
    wo: glorot(width * width, width, width),
    bo: new Float32Array(width),
    w1: glorot(width * 4 * width, width, 4 * width),
    b1: new Float32Array(4 * width),
    w2: glorot(4 * width * width, 4 * width, width),
    b2: new Float32Array(width),
    wHead: glorot(width * classes, width, classes),
    bHead: new Float32Array(classes),
  };
}

/** The causal mask's additive form, [context, context]: 0 where query i may see key j (j ≤ i), −1e9 elsewhere. */
export function causalBias(context: number): Float32Array {
  return Float32Array.from({ length: context * context }, (_, n) => (n % context <= Math.floor(n / context) ? 0 : -1e9));
}

