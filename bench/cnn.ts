// The convolution workloads of the suite, independent of any engine: a 3×3 convolution layer's
// forward and backward passes, and a small MNIST-shaped CNN trained with SGD. Like the MLP
// workloads (suite.ts), every engine starts from the same numbers, made here on the CPU.
import { seededRandom as rng } from '../src/rng';

/** A 3×3 convolution of x [batch, inH, inW, inC] by `filters` output channels, stride 1. */
export interface ConvLayerSpec {
  inH: number;
  inW: number;
  inC: number;
  filters: number;
  batch: number;
  padding: 'same' | 'valid';
}

/** The layer's values: x and dy NHWC, the filter [3, 3, inC, filters] (HWIO). Row-major, float32. */
export interface ConvLayerData {
  x: Float32Array;
  filter: Float32Array;
  dy: Float32Array;
}

/**
 * conv2d(filters1, 3×3, relu) → maxPool 2 → conv2d(filters2, 3×3, relu) → maxPool 2 → flatten →
 * dense 10, all 'valid', on 28×28×1 images; softmax cross-entropy from logits against one-hot
 * labels, an L2 penalty on the three kernels, plain SGD.
 */
export interface CnnSpec {
  filters: [number, number];
  batch: number;
  l2: number;
  learningRate: number;
}

/** One epoch of `fit` over `samples` images in batches of `spec.batch`, no shuffling. */
export interface CnnFitSpec extends CnnSpec {
  samples: number;
}

/** Images NHWC [rows, 28, 28, 1], labels [rows, 10], kernels HWIO, the dense kernel [flat, 10] with flat in (y, x, channel) order. */
export interface CnnData {
  x: Float32Array;
  y: Float32Array;
  rows: number;
  k1: Float32Array;
  b1: Float32Array;
  k2: Float32Array;
  b2: Float32Array;
  w3: Float32Array;
  b3: Float32Array;
}

export const KERNEL = 3;
export const IMAGE = 28;
export const CLASSES = 10;

/** The second pooling's output side: 28 → 26 → 13 → 11 → 5. */
export const POOLED = Math.floor((Math.floor((IMAGE - KERNEL + 1) / 2) - KERNEL + 1) / 2);

export const DEFAULT_CONV: ConvLayerSpec[] = [{ inH: 32, inW: 32, inC: 32, filters: 64, batch: 32, padding: 'same' }];
const CNN_BASE = { filters: [8, 16] as [number, number], l2: 1e-4, learningRate: 0.05 };
export const DEFAULT_CNN: CnnSpec[] = [
  { ...CNN_BASE, batch: 32 },
  { ...CNN_BASE, batch: 128 },
];
export const DEFAULT_CNN_FIT: CnnFitSpec = { ...CNN_BASE, batch: 128, samples: 256 };

/** Forward pass, input gradient and filter gradient: three GEMMs of 2·N·H·W·Cin·Cout·9 each. */
export function convFlops(s: ConvLayerSpec): number {
  const [outH, outW] = convOut(s);
  return 3 * 2 * s.batch * outH * outW * s.inC * s.filters * KERNEL * KERNEL;
}

export const convOut = (s: ConvLayerSpec): [number, number] =>
  s.padding === 'same' ? [s.inH, s.inW] : [s.inH - KERNEL + 1, s.inW - KERNEL + 1];

/** "32x32x32-64x32" (input H×W×C, filters, batch), with ":valid" for no padding (':same' is the default). */
export function parseConv(text: string): ConvLayerSpec {
  const m = /^(\d+)x(\d+)x(\d+)-(\d+)x(\d+)(?::(same|valid))?$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a convolution layer: write HxWxC-filters x batch, e.g. 32x32x32-64x32 (":valid" for no padding)`);
  const [inH, inW, inC, filters, batch] = m.slice(1, 6).map(Number);
  if ([inH, inW, inC, filters, batch].some((v) => v < 1)) throw new Error(`"${text}": every size must be at least 1`);
  const padding = m[6] === 'valid' ? 'valid' : 'same';
  if (padding === 'valid' && Math.min(inH, inW) < KERNEL) throw new Error(`"${text}": a 'valid' 3×3 window needs an input of at least 3×3`);
  return { inH, inW, inC, filters, batch, padding };
}

export const convText = (s: ConvLayerSpec): string => `${s.inH}x${s.inW}x${s.inC}-${s.filters}x${s.batch}${s.padding === 'valid' ? ':valid' : ''}`;

export const convName = (s: ConvLayerSpec): string => `${s.inH}×${s.inW}×${s.inC} → ${s.filters}, 3×3 '${s.padding}', batch ${s.batch}`;

/** "8-16x128": the two convolutions' filters and the batch. */
export function parseCnn(text: string, base: Pick<CnnSpec, 'l2' | 'learningRate'>): CnnSpec {
  const m = /^(\d+)-(\d+)x(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a CNN: write filters1-filters2 x batch, e.g. 8-16x128`);
  const [f1, f2, batch] = m.slice(1, 4).map(Number);
  if ([f1, f2, batch].some((v) => v < 1)) throw new Error(`"${text}": every size must be at least 1`);
  return { filters: [f1, f2], batch, l2: base.l2, learningRate: base.learningRate };
}

export const cnnText = (s: CnnSpec): string => `${s.filters.join('-')}x${s.batch}`;

export const cnnName = (s: CnnSpec): string => `MNIST CNN ${s.filters.join('-')}, batch ${s.batch}`;

const uniformMaker = (r: () => number) => (n: number, limit: number) => Float32Array.from({ length: n }, () => (2 * r() - 1) * limit);

/** x, filter and dy ~ U(−1, 1); the filter Glorot uniform as Keras initialises conv2d (fans × 9 taps). */
export function makeConvData(s: ConvLayerSpec, seed = 3): ConvLayerData {
  const uniform = uniformMaker(rng(seed));
  const [outH, outW] = convOut(s);
  const taps = KERNEL * KERNEL;
  return {
    x: uniform(s.batch * s.inH * s.inW * s.inC, 1),
    filter: uniform(taps * s.inC * s.filters, Math.sqrt(6 / (taps * (s.inC + s.filters)))),
    dy: uniform(s.batch * outH * outW * s.filters, 1),
  };
}

/** Pixels ~ U(0, 1), labels one-hot and uniform over the classes, kernels Glorot uniform, biases zero. */
export function makeCnnData(s: CnnSpec, rows: number, seed = 4): CnnData {
  const r = rng(seed);
  const uniform = uniformMaker(r);
  const [f1, f2] = s.filters;
  const taps = KERNEL * KERNEL;
  const x = Float32Array.from({ length: rows * IMAGE * IMAGE }, () => r());
  const y = new Float32Array(rows * CLASSES);
  for (let i = 0; i < rows; i++) y[i * CLASSES + Math.floor(r() * CLASSES)] = 1;
  const flat = POOLED * POOLED * f2;
  return {
    x,
    y,
    rows,
    k1: uniform(taps * f1, Math.sqrt(6 / (taps * (1 + f1)))),
    b1: new Float32Array(f1),
    k2: uniform(taps * f1 * f2, Math.sqrt(6 / (taps * (f1 + f2)))),
    b2: new Float32Array(f2),
    w3: uniform(flat * CLASSES, Math.sqrt(6 / (flat + CLASSES))),
    b3: new Float32Array(CLASSES),
  };
}

/** HWIO [kh, kw, in, out] → OIHW [out, in, kh, kw], the layout jax-js's convolution takes. */
export function hwioToOihw(w: Float32Array, inC: number, outC: number): Float32Array {
  const taps = KERNEL * KERNEL;
  const out = new Float32Array(w.length);
  for (let t = 0; t < taps; t++) for (let i = 0; i < inC; i++) for (let o = 0; o < outC; o++) out[(o * inC + i) * taps + t] = w[(t * inC + i) * outC + o];
  return out;
}

/** NHWC [n, h, w, c] → NCHW [n, c, h, w]. */
export function nhwcToNchw(x: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++) for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) out[(b * c + k) * h * w + p] = x[(b * h * w + p) * c + k];
  return out;
}

/**
 * The dense kernel's rows reordered from a flatten in (y, x, channel) order (NHWC, as webgrad and
 * TensorFlow.js flatten) to (channel, y, x) order (NCHW, as jax-js flattens): the same model.
 */
export function denseRowsToChannelsFirst(w3: Float32Array, channels: number): Float32Array {
  const pixels = POOLED * POOLED;
  const out = new Float32Array(w3.length);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < channels; c++) out.set(w3.subarray((p * channels + c) * CLASSES, (p * channels + c + 1) * CLASSES), (c * pixels + p) * CLASSES);
  }
  return out;
}

/** A layer's results as an engine hands them over: y and dx NHWC, dFilter HWIO, each read in full. */
export interface ConvResults {
  y: Float32Array;
  dx: Float32Array;
  dFilter: Float32Array;
}

/**
 * Spot-checks y, dx and dFilter at a few entries against plain sums over the window (y, dx) and
 * the batch (dFilter), so that a benchmark can never time a convolution that skipped or botched
 * its work. The tolerance scales with the sum of the terms' magnitudes, far above float32
 * rounding and far below a wrong or missing term.
 */
export function checkConv(engine: string, s: ConvLayerSpec, d: ConvLayerData, got: ConvResults): void {
  const [outH, outW] = convOut(s);
  const pad = s.padding === 'same' ? (KERNEL - 1) >> 1 : 0;
  const { inH, inW, inC, filters: outC, batch } = s;
  const xAt = (n: number, iy: number, ix: number, c: number) => d.x[((n * inH + iy) * inW + ix) * inC + c];
  const dyAt = (n: number, oy: number, ox: number, o: number) => d.dy[((n * outH + oy) * outW + ox) * outC + o];
  const fAt = (ky: number, kx: number, c: number, o: number) => d.filter[((ky * KERNEL + kx) * inC + c) * outC + o];
  const compare = (what: string, value: number, terms: number[]) => {
    const sum = terms.reduce((a, b) => a + b, 0);
    const scale = terms.reduce((a, b) => a + Math.abs(b), 0);
    if (!(Math.abs(value - sum) <= 1e-4 * scale + 1e-5)) throw new Error(`${engine} conv2d ${convName(s)}: ${what} is ${value}, the plain sum is ${sum}`);
  };
  const picks = [[0, 0, 0, 0], [batch - 1, outH - 1, outW - 1, outC - 1], [batch >> 1, outH >> 1, outW >> 2, outC >> 1], [0, outH - 1, 0, 1 % outC]];
  for (const [n, oy, ox, o] of picks) {
    const terms: number[] = [];
    for (let ky = 0; ky < KERNEL; ky++) {
      for (let kx = 0; kx < KERNEL; kx++) {
        const iy = oy + ky - pad;
        const ix = ox + kx - pad;
        if (iy < 0 || ix < 0 || iy >= inH || ix >= inW) continue;
        for (let c = 0; c < inC; c++) terms.push(xAt(n, iy, ix, c) * fAt(ky, kx, c, o));
      }
    }
    compare(`y[${n}, ${oy}, ${ox}, ${o}]`, got.y[((n * outH + oy) * outW + ox) * outC + o], terms);
  }
  for (const [n, iy, ix, c] of [[0, 0, 0, 0], [batch - 1, inH - 1, inW - 1, inC - 1], [batch >> 1, inH >> 1, inW >> 1, inC >> 1]]) {
    const terms: number[] = [];
    for (let ky = 0; ky < KERNEL; ky++) {
      for (let kx = 0; kx < KERNEL; kx++) {
        const oy = iy + pad - ky;
        const ox = ix + pad - kx;
        if (oy < 0 || ox < 0 || oy >= outH || ox >= outW) continue;
        for (let o = 0; o < outC; o++) terms.push(dyAt(n, oy, ox, o) * fAt(ky, kx, c, o));
      }
    }
    compare(`dx[${n}, ${iy}, ${ix}, ${c}]`, got.dx[((n * inH + iy) * inW + ix) * inC + c], terms);
  }
  for (const [ky, kx, c, o] of [[0, 0, 0, 0], [KERNEL - 1, KERNEL - 1, inC - 1, outC - 1], [1, 0, inC >> 1, outC >> 1]]) {
    const terms: number[] = [];
    for (let n = 0; n < batch; n++) {
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          const iy = oy + ky - pad;
          const ix = ox + kx - pad;
          if (iy < 0 || ix < 0 || iy >= inH || ix >= inW) continue;
          terms.push(xAt(n, iy, ix, c) * dyAt(n, oy, ox, o));
        }
      }
    }
    compare(`dFilter[${ky}, ${kx}, ${c}, ${o}]`, got.dFilter[((ky * KERNEL + kx) * inC + c) * outC + o], terms);
  }
}

/** NCHW [n, c, h, w] → NHWC [n, h, w, c]. */
export function nchwToNhwc(x: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let p = 0; p < h * w; p++) out[(b * h * w + p) * c + k] = x[(b * c + k) * h * w + p];
  return out;
}

/** OIHW [out, in, kh, kw] → HWIO [kh, kw, in, out]. */
export function oihwToHwio(w: Float32Array, inC: number, outC: number): Float32Array {
  const taps = KERNEL * KERNEL;
  const out = new Float32Array(w.length);
  for (let t = 0; t < taps; t++) for (let i = 0; i < inC; i++) for (let o = 0; o < outC; o++) out[(t * inC + i) * outC + o] = w[(o * inC + i) * taps + t];
  return out;
}
