import { InvalidArgumentError } from '../errors';
import { greaterEqual, mul } from '../ops/binary';
import { uniformNoise } from '../tensor/create';
import type { Tensor } from '../tensor/tensor';
import { type CallOptions, checkLayerArgs, Layer, type LayerArgs, type LayerConfig, type LayerShape } from './layer';

export interface DropoutArgs extends LayerArgs {
  /** The fraction of inputs zeroed in training, in [0, 1). */
  rate: number;
  /** Makes the sequence of masks reproducible: each training apply draws the next one. */
  seed?: number;
}

/** Golden-ratio stride between the seeds of successive applies. */
const SEED_STRIDE = 0x9e3779b9;

/**
 * Inverted dropout: in training, each input is kept with probability 1 − rate and scaled by
 * 1 / (1 − rate), so the expected output equals the input; otherwise the input passes unchanged.
 */
export class Dropout extends Layer {
  static override readonly className: string = 'Dropout';
  readonly rate: number;
  readonly seed: number | undefined;
  private applies = 0;

  constructor(args: DropoutArgs) {
    checkLayerArgs('dropout', args, ['rate', 'seed']);
    super(args);
    const rate = args?.rate;
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
      throw new InvalidArgumentError(`dropout: rate must be a number in [0, 1), got ${String(rate)}.`);
    }
    if (args.seed !== undefined && (typeof args.seed !== 'number' || !Number.isFinite(args.seed))) {
      throw new InvalidArgumentError(`dropout: seed must be a finite number, got ${String(args.seed)}.`);
    }
    this.rate = rate;
    this.seed = args.seed;
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    return inputShape;
  }

  /** TensorFlow.js's Dropout config (noiseShape is always null: masks have the input's shape). */
  override getConfig(): LayerConfig {
    return { rate: this.rate, noiseShape: null, seed: this.seed ?? null, ...super.getConfig() };
  }

  override call(x: Tensor, { training }: CallOptions): Tensor {
    if (!training || this.rate === 0) return x;
    const u = uniformNoise(x.shape, () => (this.seed === undefined ? undefined : (Math.abs(Math.floor(this.seed)) + this.applies++ * SEED_STRIDE) % 2 ** 52));
    const kept = greaterEqual(u, this.rate);
    const mask = mul(kept, 1 / (1 - this.rate));
    const y = mul(x, mask);
    for (const t of [u, kept, mask]) t.dispose();
    return y;
  }
}

export function dropout(args: DropoutArgs): Dropout {
  return new Dropout(args);
}
