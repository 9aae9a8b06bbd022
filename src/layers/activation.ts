import type { Tensor } from '../tensor/tensor';
import { type ActivationFn, type ActivationIdentifier, getActivation, savedActivationName } from './activations';
import { type CallOptions, checkLayerArgs, Layer, type LayerArgs, type LayerConfig, type LayerShape } from './layer';

export interface ActivationArgs extends LayerArgs {
  activation: ActivationIdentifier | ActivationFn;
}

/** Applies an activation function; 'linear' returns its input as it is. */
export class Activation extends Layer {
  static override readonly className: string = 'Activation';
  readonly activation: string;
  private readonly fn: ActivationFn | null;

  constructor(args: ActivationArgs) {
    checkLayerArgs('activation', args, ['activation']);
    super(args);
    const { name, fn } = getActivation(args?.activation, 'activation');
    this.activation = name;
    this.fn = fn;
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    return inputShape;
  }

  override getConfig(): LayerConfig {
    return { activation: savedActivationName(this.activation, this.fn), ...super.getConfig() };
  }

  override call(x: Tensor, _opts: CallOptions): Tensor {
    return this.fn ? this.fn(x) : x;
  }
}

export function activation(args: ActivationArgs): Activation {
  return new Activation(args);
}
