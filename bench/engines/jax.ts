// jax-js on its WebGPU device. Its arrays are lazy and reference-counted: an op runs only when
// a result is read or awaited, and passing an array to a function consumes it (`.ref` keeps
// it). Every timed result is therefore awaited (blockUntilReady), or the timer measures nothing.
import { blockUntilReady, defaultDevice, init, jit, nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';
import { checkProduct, type Engine, type FitSpec, type MlpData, type MlpSpec, rng } from '../suite';
import { LN_EPSILON, type TransformerData, type TransformerSpec } from '../transformer_bench';

/** Set by the page build (scripts/pages.mjs); absent from other bundles. */
declare const JAX_JS_VERSION: string | undefined;
const jaxVersion = typeof JAX_JS_VERSION === 'string' ? JAX_JS_VERSION : '(version not recorded)';

type Params = { w1: np.Array; b1: np.Array; w2: np.Array; b2: np.Array };

/** The jitted SGD step: loss and gradients in one traced program, then w ← w − lr·∇w. */
function makeStep(spec: MlpSpec) {
  const penalty = (w: np.Array) => np.abs(w.ref).sum().mul(spec.l1).add(np.square(w).sum().mul(spec.l2));
  const lossFn = (p: Params, x: np.Array, y: np.Array): np.Array => {
    const h = nn.relu(np.matmul(x, p.w1.ref).add(p.b1));
    const out = np.matmul(h, p.w2.ref).add(p.b2);
    const rows = out.shape[0];
    const data =
      spec.loss === 'softmaxCrossEntropy'
        ? nn.logSoftmax(out).mul(y).sum().mul(-1 / rows)
        : np.square(out.sub(y)).mean();
    return data.add(penalty(p.w1)).add(penalty(p.w2));
  };
  return jit((p: Params, x: np.Array, y: np.Array) => {
    const [loss, grads] = valueAndGrad(lossFn)(tree.ref(p), x, y);
    const next = tree.map((w: np.Array, g: np.Array) => w.sub(g.mul(spec.learningRate)), p, grads) as Params;
    return [next, loss] as [Params, np.Array];
  });
}

function params(spec: MlpSpec, data: MlpData): Params {
  const [nIn, nHidden, nOut] = spec.units;
  return {
    w1: np.array(data.w1, { shape: [nIn, nHidden] }),
    b1: np.array(data.b1, { shape: [nHidden] }),
    w2: np.array(data.w2, { shape: [nHidden, nOut] }),
    b2: np.array(data.b2, { shape: [nOut] }),
  };
}

type BlockParams = Record<'g1' | 'be1' | 'wq' | 'bq' | 'wk' | 'bk' | 'wv' | 'bv' | 'wo' | 'bo' | 'g2' | 'be2' | 'w1' | 'b1' | 'w2' | 'b2' | 'wHead' | 'bHead', np.Array>;

function blockParams(s: TransformerSpec, d: TransformerData): BlockParams {
  const { width, classes } = s;
  const a = (values: Float32Array, shape: number[]) => np.array(values, { shape });
  return {
    g1: np.ones([width]), be1: np.zeros([width]),
    wq: a(d.wq, [width, width]), bq: a(d.bq, [width]),
    wk: a(d.wk, [width, width]), bk: a(d.bk, [width]),
    wv: a(d.wv, [width, width]), bv: a(d.bv, [width]),
    wo: a(d.wo, [width, width]), bo: a(d.bo, [width]),
    g2: np.ones([width]), be2: np.zeros([width]),
    w1: a(d.w1, [width, 4 * width]), b1: a(d.b1, [4 * width]),
    w2: a(d.w2, [4 * width, width]), b2: a(d.b2, [width]),
    wHead: a(d.wHead, [width, classes]), bHead: a(d.bHead, [classes]),
  };
}

/** The transformer block as one jitted SGD step: nn.standardize for the norms, nn.dotProductAttention with isCausal. */
function makeBlockStep(s: TransformerSpec) {
  const { batch, context, width, heads } = s;
  const size = width / heads;
  const norm = (t: np.Array, gamma: np.Array, beta: np.Array) => nn.standardize(t, -1, { epsilon: LN_EPSILON }).mul(gamma).add(beta);
  // [batch·context, width] → [batch, context, heads, size], the layout dotProductAttention takes.
  const split = (t: np.Array) => t.reshape([batch, context, heads, size]);
  const lossFn = (p: BlockParams, x: np.Array, y: np.Array): np.Array => {
    const n1 = norm(x.ref, p.g1, p.be1);
    const q = split(np.matmul(n1.ref, p.wq).add(p.bq));
    const k = split(np.matmul(n1.ref, p.wk).add(p.bk));
    const v = split(np.matmul(n1, p.wv).add(p.bv));
    const attended = nn.dotProductAttention(q, k, v, { isCausal: true }).reshape([batch * context, width]);
    const h = x.add(np.matmul(attended, p.wo).add(p.bo));
    const mlp = np.matmul(nn.relu(np.matmul(norm(h.ref, p.g2, p.be2), p.w1).add(p.b1)), p.w2).add(p.b2);
    const logits = np.matmul(h.add(mlp), p.wHead).add(p.bHead);
    return nn.logSoftmax(logits).mul(y).sum().mul(-1 / (batch * context));
  };
  return jit((p: BlockParams, x: np.Array, y: np.Array) => {
    const [loss, grads] = valueAndGrad(lossFn)(tree.ref(p), x, y);
    const next = tree.map((w: np.Array, g: np.Array) => w.sub(g.mul(s.learningRate)), p, grads) as BlockParams;
    return [next, loss] as [BlockParams, np.Array];
  });
}

const normal = (n: number, seed: number) => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
};

export const jaxEngine: Engine = {
  id: 'jax',
  label: 'jax-js',
  async init() {
    const devices = await init('webgpu');
    if (!devices.includes('webgpu')) throw new Error('jax-js found no WebGPU device.');
    defaultDevice('webgpu');
    return `@jax-js/jax ${jaxVersion}, device webgpu`;
  },

  async matmul(n) {
    const a = np.array(normal(n * n, 1), { shape: [n, n] });
    const b = np.array(normal(n * n, 2), { shape: [n, n] });
    await blockUntilReady([a, b]);
    return {
      async run(times) {
        const cs: np.Array[] = [];
        for (let i = 0; i < times; i++) cs.push(np.matmul(a.ref, b.ref));
        await blockUntilReady(cs);
        for (const c of cs) c.dispose();
        return undefined;
      },
      async verify() {
        const [av, bv, cv] = await Promise.all([a.ref.data(), b.ref.data(), np.matmul(a.ref, b.ref).data()]);
        checkProduct('jax-js', n, av as Float32Array, bv as Float32Array, cv as Float32Array);
      },
      dispose: () => tree.dispose([a, b]),
    };
  },

  async trainStep(spec, data) {
    const step = makeStep(spec);
    let p = params(spec, data);
    const x = np.array(data.x, { shape: [data.rows, spec.units[0]] });
    const y = np.array(data.y, { shape: [data.rows, spec.units[2]] });
    await blockUntilReady([p, x, y]);
    return {
      async run(times) {
        let loss = NaN;
        for (let i = 0; i < times; i++) {
          const [next, l] = step(p, x.ref, y.ref);
          p = next;
          await blockUntilReady(p);
          loss = (await l.jsAsync()) as number;
        }
        return loss;
      },
      dispose: () => {
        step.dispose();
        tree.dispose([p, x, y]);
      },
    };
  },

  async transformerStep(spec, data) {
    const step = makeBlockStep(spec);
    let p = blockParams(spec, data);
    const x = np.array(data.x, { shape: [spec.batch * spec.context, spec.width] });
    const y = np.array(data.oneHot, { shape: [spec.batch * spec.context, spec.classes] });
    await blockUntilReady([p, x, y]);
    return {
      async run(times) {
        let loss = NaN;
        for (let i = 0; i < times; i++) {
          const [next, l] = step(p, x.ref, y.ref);
          p = next;
          await blockUntilReady(p);
          loss = (await l.jsAsync()) as number;
        }
        return loss;
      },
      dispose: () => {
        step.dispose();
        tree.dispose([p, x, y]);
      },
    };
  },

  async fitEpoch(spec: FitSpec, data) {
    const step = makeStep(spec);
    let p = params(spec, data);
    const x = np.array(data.x, { shape: [data.rows, spec.units[0]] });
    const y = np.array(data.y, { shape: [data.rows, spec.units[2]] });
    await blockUntilReady([p, x, y]);
    const batches = Math.ceil(data.rows / spec.batch);
    return {
      // The loop a person writes without a fit(): jitted steps over slices, the mean loss
      // (weighted by batch size, as fit reports it) read once.
      async run(times) {
        let mean = NaN;
        for (let e = 0; e < times; e++) {
          let total: np.Array | null = null;
          for (let i = 0; i < batches; i++) {
            const rows: [number, number] = [i * spec.batch, Math.min((i + 1) * spec.batch, data.rows)];
            const [next, l] = step(p, x.ref.slice(rows), y.ref.slice(rows));
            p = next;
            const weighted = l.mul(rows[1] - rows[0]);
            total = total ? total.add(weighted) : weighted;
          }
          await blockUntilReady(p);
          mean = ((await total!.jsAsync()) as number) / data.rows;
        }
        return mean;
      },
      dispose: () => {
        step.dispose();
        tree.dispose([p, x, y]);
      },
    };
  },
};
