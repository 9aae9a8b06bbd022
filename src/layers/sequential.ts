import { checkOptionKeys, InvalidArgumentError } from '../errors';
import type { Tensor } from '../tensor/tensor';
import { Embedding } from './embedding';
import { type CallOptions, Layer, type LayerConfig, type LayerShape } from './layer';
import { Model } from './model';

export interface SequentialArgs {
  layers?: Layer[];
  name?: string;
}

/**
 * A stack of layers, each applied to the output of the one before. When the first layer gives an
 * `inputShape`, every layer whose output shape is known ahead is built at once (as in
 * TensorFlow.js); the others build on the first apply.
 */
export class Sequential extends Model {
  static override readonly className: string = 'Sequential';
  readonly layers: Layer[] = [];

  constructor(args: SequentialArgs = {}) {
    if (args !== undefined && args !== null) {
      if (typeof args !== 'object' || Array.isArray(args)) throw new InvalidArgumentError('sequential: expects { layers?, name? }; pass a list of layers as { layers: [...] }.');
      checkOptionKeys('sequential', args, ['layers', 'name']);
    }
    super({ name: args?.name });
    if (args?.layers !== undefined && !Array.isArray(args.layers)) throw new InvalidArgumentError('sequential: layers must be an array of layers.');
    for (const layer of args?.layers ?? []) this.add(layer);
  }

  add(layer: Layer): void {
    if (!(layer instanceof Layer)) throw new InvalidArgumentError(`${this.name}.add: expects a Layer, got ${typeof layer}.`);
    if (layer === this || this.layers.includes(layer)) {
      throw new InvalidArgumentError(`${this.name}.add: layer '${layer.name}' is already in the model.`);
    }
    this.layers.push(layer);
    const first = declaredInputShape(this.layers[0]);
    if (first) this.build([null, ...first]);
  }

  /** Builds the layers in turn for as long as their output shapes are known without running them. */
  override build(inputShape: LayerShape): void {
    let shape: LayerShape | undefined = inputShape;
    for (const layer of this.layers) {
      if (!shape) return;
      if (!layer.built) layer.build(shape);
      shape = layer.computeOutputShape(shape);
    }
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape | undefined {
    let shape: LayerShape | undefined = inputShape;
    for (const layer of this.layers) shape = shape && layer.computeOutputShape(shape);
    return shape;
  }

  /**
   * The number of rows of the embedding the ids index when the first layer is one (or a model
   * whose input feeds one), else null: fit and evaluate check such ids before training. @internal
   */
  get inputIdLimits(): Array<number | null> {
    const first: Layer & { inputIdLimits?: Array<number | null> } | undefined = this.layers[0];
    if (first instanceof Embedding) return [first.inputDim];
    return [first?.inputIdLimits?.length === 1 ? first.inputIdLimits[0] : null];
  }

  /** Keras's Sequential config: the name and each layer's class name and config, in order. */
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), layers: this.layers.map((l) => ({ className: l.getClassName(), config: l.getConfig() })) };
  }

  /** Applies the layers in order, freeing each intermediate output once the next layer has used it. */
  override call(x: Tensor, opts: CallOptions): Tensor {
    let y = x;
    for (const layer of this.layers) {
      const next = layer.apply(y, opts);
      if (y !== x && next !== y) y.dispose();
      y = next;
    }
    return y;
  }
}

/** The example shape a layer declares: its own `inputShape`, or a nested Sequential's first layer's. */
function declaredInputShape(layer: Layer): number[] | undefined {
  if (layer.inputShape) return layer.inputShape;
  return layer instanceof Sequential && layer.layers.length > 0 ? declaredInputShape(layer.layers[0]) : undefined;
}

export function sequential(args: SequentialArgs = {}): Sequential {
  return new Sequential(args);
}
