// jax-js on its WebGPU device. Its arrays are lazy and reference-counted: an op runs only when
// a result is read or awaited, and passing an array to a function consumes it (`.ref` keeps
// it). Every timed result is therefore awaited (blockUntilReady), or the timer measures nothing.
import { blockUntilReady, defaultDevice, init, jit, lax, nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';
import {
  CLASSES,
  checkConv,
  type CnnData,
  type CnnSpec,
  convOut,
  denseRowsToChannelsFirst,
  hwioToOihw,
  IMAGE,
  KERNEL,
  nchwToNhwc,
  nhwcToNchw,
  oihwToHwio,
} from '../cnn';
import { checkProduct, type Engine, type FitSpec, type MlpData, type MlpSpec, rng, type Workload } from '../suite';
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

type CnnParams = { k1: np.Array; b1: np.Array; k2: np.Array; b2: np.Array; w3: np.Array; b3: np.Array };

/**
 * The CNN of bench/cnn.ts as one jitted SGD step. jax-js convolves NCHW images with OIHW kernels,
 * so the weights are laid out that way once, outside the step (biases as [C, 1, 1] to broadcast
 * over the pixels, the dense kernel's rows in the channels-first order of this flatten).
 */
function makeCnnStep(spec: CnnSpec) {
  const maxPool = (h: np.Array) => lax.reduceWindow(h, (w: np.Array) => np.max(w), [2, 2], [2, 2]);
  const convRelu = (h: np.Array, k: np.Array, b: np.Array) => nn.relu(lax.conv(h, k, [1, 1], 'VALID').add(b));
  const lossFn = (p: CnnParams, x: np.Array, y: np.Array): np.Array => {
    const h1 = maxPool(convRelu(x, p.k1.ref, p.b1));
    const h2 = maxPool(convRelu(h1, p.k2.ref, p.b2));
    const rows = h2.shape[0];
    const out = np.matmul(h2.reshape([rows, -1]), p.w3.ref).add(p.b3);
    const data = nn.logSoftmax(out).mul(y).sum().mul(-1 / rows);
    const penalty = np.square(p.k1).sum().add(np.square(p.k2).sum()).add(np.square(p.w3).sum()).mul(spec.l2);
    return data.add(penalty);
  };
  return jit((p: CnnParams, x: np.Array, y: np.Array) => {
    const [loss, grads] = valueAndGrad(lossFn)(tree.ref(p), x, y);
    const next = tree.map((w: np.Array, g: np.Array) => w.sub(g.mul(spec.learningRate)), p, grads) as CnnParams;
    return [next, loss] as [CnnParams, np.Array];
  });
}

function cnnParams(spec: CnnSpec, data: CnnData): CnnParams {
  const [f1, f2] = spec.filters;
  return {
    k1: np.array(hwioToOihw(data.k1, 1, f1), { shape: [f1, 1, KERNEL, KERNEL] }),
    b1: np.array(data.b1, { shape: [f1, 1, 1] }),
    k2: np.array(hwioToOihw(data.k2, f1, f2), { shape: [f2, f1, KERNEL, KERNEL] }),
    b2: np.array(data.b2, { shape: [f2, 1, 1] }),
    w3: np.array(denseRowsToChannelsFirst(data.w3, f2), { shape: [data.w3.length / CLASSES, CLASSES] }),
    b3: np.array(data.b3, { shape: [CLASSES] }),
  };
}

/** Images [rows, 1, 28, 28] (one channel: the same numbers as NHWC) and labels. */
const cnnInputs = (data: CnnData): [np.Array, np.Array] => [
  np.array(data.x, { shape: [data.rows, 1, IMAGE, IMAGE] }),
  np.array(data.y, { shape: [data.rows, CLASSES] }),
];

/** A jitted SGD step as makeStep, makeBlockStep and makeCnnStep build it: (params, x, y) → [params, loss]. */
type JitStep<P> = ((p: P, x: np.Array, y: np.Array) => [P, np.Array]) & { dispose(): void };

/** `times` jitted steps on the same batch, each awaited; the last loss. */
async function stepsWorkload<P extends Record<string, np.Array>>(step: JitStep<P>, p: P, x: np.Array, y: np.Array): Promise<Workload> {
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
}

/**
 * `times` epochs of the loop a person writes without a fit(): jitted steps over slices of
 * `batch` rows, the mean loss (weighted by batch size, as fit reports it) read once per epoch.
 */
async function epochsWorkload<P extends Record<string, np.Array>>(step: JitStep<P>, p: P, x: np.Array, y: np.Array, batch: number, rowCount: number): Promise<Workload> {
  await blockUntilReady([p, x, y]);
  const batches = Math.ceil(rowCount / batch);
  return {
    async run(times) {
      let mean = NaN;
      for (let e = 0; e < times; e++) {
        let total: np.Array | null = null;
        for (let i = 0; i < batches; i++) {
          const rows: [number, number] = [i * batch, Math.min((i + 1) * batch, rowCount)];
          const [next, l] = step(p, x.ref.slice(rows), y.ref.slice(rows));
          p = next;
          const weighted = l.mul(rows[1] - rows[0]);
          total = total ? total.add(weighted) : weighted;
        }
        await blockUntilReady(p);
        mean = ((await total!.jsAsync()) as number) / rowCount;
      }
      return mean;
    },
    dispose: () => {
      step.dispose();
      tree.dispose([p, x, y]);
    },
  };
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
    const p = params(spec, data);
    const x = np.array(data.x, { shape: [data.rows, spec.units[0]] });
    const y = np.array(data.y, { shape: [data.rows, spec.units[2]] });
    return stepsWorkload(step, p, x, y);
  },

  async transformerStep(spec, data) {
    const step = makeBlockStep(spec);
    const p = blockParams(spec, data);
    const x = np.array(data.x, { shape: [spec.batch * spec.context, spec.width] });
    const y = np.array(data.oneHot, { shape: [spec.batch * spec.context, spec.classes] });
    return stepsWorkload(step, p, x, y);
  },

  async fitEpoch(spec: FitSpec, data) {
    const step = makeStep(spec);
    const p = params(spec, data);
    const x = np.array(data.x, { shape: [data.rows, spec.units[0]] });
    const y = np.array(data.y, { shape: [data.rows, spec.units[2]] });
    return epochsWorkload(step, p, x, y, spec.batch, data.rows);
  },

  async convLayer(spec, data) {
    const [outH, outW] = convOut(spec);
    const x = np.array(nhwcToNchw(data.x, spec.batch, spec.inH, spec.inW, spec.inC), { shape: [spec.batch, spec.inC, spec.inH, spec.inW] });
    const filter = np.array(hwioToOihw(data.filter, spec.inC, spec.filters), { shape: [spec.filters, spec.inC, KERNEL, KERNEL] });
    const dy = np.array(nhwcToNchw(data.dy, spec.batch, outH, outW, spec.filters), { shape: [spec.batch, spec.filters, outH, outW] });
    await blockUntilReady([x, filter, dy]);
    // Σ y·dy has the gradients dy pulls back through the convolution; y comes along as aux.
    const padding = spec.padding === 'same' ? 'SAME' : 'VALID';
    const pass = jit((xs: np.Array, w: np.Array, cot: np.Array) =>
      valueAndGrad(
        (a: np.Array, b: np.Array, c: np.Array) => {
          const y = lax.conv(a, b, [1, 1], padding);
          return [y.ref.mul(c).sum(), y] as [np.Array, np.Array];
        },
        { argnums: [0, 1], hasAux: true },
      )(xs, w, cot),
    );
    return {
      async run(times) {
        for (let i = 0; i < times; i++) {
          const out = pass(x.ref, filter.ref, dy.ref);
          await blockUntilReady(out);
          tree.dispose(out);
        }
        return undefined;
      },
      async verify() {
        const [[sum, y], [dx, dFilter]] = pass(x.ref, filter.ref, dy.ref);
        sum.dispose();
        const [yv, dxv, dfv] = (await Promise.all([y.data(), dx.data(), dFilter.data()])) as Float32Array[];
        checkConv('jax-js', spec, data, {
          y: nchwToNhwc(yv, spec.batch, outH, outW, spec.filters),
          dx: nchwToNhwc(dxv, spec.batch, spec.inH, spec.inW, spec.inC),
          dFilter: oihwToHwio(dfv, spec.inC, spec.filters),
        });
      },
      dispose: () => {
        pass.dispose();
        tree.dispose([x, filter, dy]);
      },
    };
  },

  async cnnStep(spec, data) {
    const step = makeCnnStep(spec);
    const p = cnnParams(spec, data);
    const [x, y] = cnnInputs(data);
    return stepsWorkload(step, p, x, y);
  },

  async cnnFitEpoch(spec, data) {
    const step = makeCnnStep(spec);
    const p = cnnParams(spec, data);
    const [x, y] = cnnInputs(data);
    return epochsWorkload(step, p, x, y, spec.batch, data.rows);
  },
};
