// The character-level transformer of the demo page, and what it needs from the text: the
// vocabulary, the unigram entropy, training batches and sampling. No DOM here, so the model
// can be built and trained outside a page too.
import * as wg from '../../src/index';
import { seededRandom } from '../../src/rng';

export interface CharModelSpec {
  vocab: number;
  context: number;
  width: number;
  heads: number;
  blocks: number;
  /** The L2 factor on every dense kernel (attention's, the MLPs' and the head's). */
  l2: number;
}

/** The characters of the text, sorted, and the text as their ids. */
export interface Corpus {
  chars: string[];
  ids: Uint8Array;
  /** −Σ p(c) ln p(c) over the characters' frequencies: the loss of a model that ignores context. */
  unigramEntropy: number;
}

export function corpus(text: string): Corpus {
  const chars = [...new Set(text)].sort();
  if (chars.length > 255) throw new Error(`the text has ${chars.length} distinct characters; at most 255 fit this demo`);
  const index = new Map(chars.map((c, i) => [c, i]));
  const ids = Uint8Array.from(text, (c) => index.get(c)!);
  const counts = new Array<number>(chars.length).fill(0);
  for (const id of ids) counts[id]++;
  const unigramEntropy = -counts.reduce((h, n) => (n ? h + (n / ids.length) * Math.log(n / ids.length) : h), 0);
  return { chars, ids, unigramEntropy };
}

/**
 * Token embedding plus a learned position embedding (an embedding over positions 0…context−1,
 * the model's second input), then `blocks` pre-LN blocks:
 *   h = x + MHA(LN(x)) with a causal mask,  x' = h + W₂·gelu(W₁·LN(h)),
 * a final LN and a dense layer to one logit per character.
 */
export function charTransformer(s: CharModelSpec): wg.Model {
  if (s.width % s.heads !== 0) throw new Error(`width ${s.width} must be a multiple of the ${s.heads} heads`);
  const penalty = () => (s.l2 > 0 ? wg.regularizers.l2({ l2: s.l2 }) : undefined);
  const tokens = wg.input({ shape: [s.context], name: 'tokens' });
  const positions = wg.input({ shape: [s.context], name: 'positions' });
  let x = wg.layers
    .add()
    .apply([
      wg.layers.embedding({ inputDim: s.vocab, outputDim: s.width }).apply(tokens),
      wg.layers.embedding({ inputDim: s.context, outputDim: s.width }).apply(positions),
    ]);
  for (let b = 0; b < s.blocks; b++) {
    const n1 = wg.layers.layerNormalization().apply(x);
    const attended = wg.layers.multiHeadAttention({ numHeads: s.heads, keyDim: s.width / s.heads, kernelRegularizer: penalty() }).apply([n1, n1], { useCausalMask: true });
    const h = wg.layers.add().apply([x, attended]);
    const n2 = wg.layers.layerNormalization().apply(h);
    const up = wg.layers.dense({ units: 4 * s.width, activation: 'gelu', kernelRegularizer: penalty() }).apply(n2);
    x = wg.layers.add().apply([h, wg.layers.dense({ units: s.width, kernelRegularizer: penalty() }).apply(up)]);
  }
  const logits = wg.layers.dense({ units: s.vocab, kernelRegularizer: penalty() }).apply(wg.layers.layerNormalization().apply(x));
  return wg.model({ inputs: [tokens, positions], outputs: logits, name: 'char_transformer' });
}

/** Compiles with adam and the sparse cross-entropy of every position's logits against the next character. */
export function compileCharModel(model: wg.Model, learningRate: number): wg.Optimizer {
  const optimizer = wg.optimizers.adam({ learningRate });
  model.compile({
    optimizer,
    loss: (next: wg.Tensor, logits: wg.Tensor) => wg.losses.sparseCategoricalCrossentropy(next, logits, { fromLogits: true }),
  });
  return optimizer;
}

/** Random windows of the text: ids [batch, context] and the characters that follow each, [batch, context]. */
export function batchSampler(c: Corpus, context: number, batch: number, seed: number) {
  const random = seededRandom(seed);
  const positions = Float32Array.from({ length: batch * context }, (_, i) => i % context);
  return {
    positions,
    next(): { x: Float32Array; y: Float32Array } {
      const x = new Float32Array(batch * context);
      const y = new Float32Array(batch * context);
      for (let b = 0; b < batch; b++) {
        const start = Math.floor(random() * (c.ids.length - context - 1));
        for (let t = 0; t < context; t++) {
          x[b * context + t] = c.ids[start + t];
          y[b * context + t] = c.ids[start + t + 1];
        }
      }
      return { x, y };
    },
  };
}

/**
 * Continues `prompt` (ids, as many as the model's context) by `length` characters, one prediction
 * each over the last `context` ids: the last position's logits divided by the temperature,
 * softmax, a draw (temperature 0: the most likely character).
 */
export async function sample(model: wg.Model, c: Corpus, prompt: ArrayLike<number>, length: number, temperature: number, random: () => number): Promise<string> {
  const window = Array.from(prompt);
  const context = window.length;
  const positions = wg.tensor(Float32Array.from({ length: context }, (_, i) => i), [1, context]);
  let out = '';
  try {
    for (let i = 0; i < length; i++) {
      const tokens = wg.tensor(Float32Array.from(window), [1, context]);
      const logits = model.predict([tokens, positions]) as wg.Tensor;
      const all = await logits.data();
      tokens.dispose();
      logits.dispose();
      const row = all.subarray(all.length - c.chars.length);
      const id = temperature > 0 ? draw(row, temperature, random) : argMax(row);
      out += c.chars[id];
      window.shift();
      window.push(id);
    }
  } finally {
    positions.dispose();
  }
  return out;
}

function argMax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

function draw(row: Float32Array, temperature: number, random: () => number): number {
  const top = row[argMax(row)];
  const weights = Array.from(row, (v) => Math.exp((v - top) / temperature));
  let u = random() * weights.reduce((a, w) => a + w, 0);
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i];
    if (u <= 0) return i;
  }
  return weights.length - 1;
}
