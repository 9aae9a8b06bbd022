// Rebuilds the convolutional layers (Conv1D, Conv2D, DepthwiseConv2D, the pooling layers,
// Flatten, Reshape) and BatchNormalization from their saved Keras / TensorFlow.js configs
// (already in camelCase).
import { type ModelFormatError, show } from '../errors';
import type { ActivationIdentifier } from '../layers/activations';
import { Conv1D, Conv2D, DepthwiseConv2D } from '../layers/conv';
import type { Initializer } from '../layers/initializers';
import type { Layer, LayerArgs } from '../layers/layer';
import { BatchNormalization } from '../layers/normalization';
import { AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D } from '../layers/pooling';
import type { RegularizerLike } from '../layers/regularizers';
import { Flatten, Reshape } from '../layers/reshape';

export type Config = Record<string, unknown>;

/** What load.ts's topology reader lends to read a layer's config, naming the path of whatever is wrong. */
export interface ConfigReader {
  activation(value: unknown, label: string): ActivationIdentifier | undefined;
  initializer(value: unknown, path: string): Initializer | string | undefined;
  regularizer(value: unknown, path: string): RegularizerLike | null;
  unsupported(config: Config, label: string, keys: string[]): void;
  construct<T>(path: string, make: () => T): T;
  fail(path: string, message: string): ModelFormatError;
}

/** The class names read here. */
export const convolutionClassNames = [
  'Conv1D', 'Conv2D', 'DepthwiseConv2D', 'MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'Flatten', 'Reshape',
  'BatchNormalization',
] as const;

/** A saved value passed on as it is (the layer's constructor checks it); null means absent. */
export const given = <T>(v: unknown): T | undefined => (v ?? undefined) as T | undefined;

/** Refuses a key whose saved value asks for something webgrad does not do (anything but absent, null or `allowed`). */
export function only(r: ConfigReader, config: Config, label: string, key: string, allowed: unknown): void {
  const v = config[key];
  if (v !== undefined && v !== null && v !== allowed) throw r.fail(label, `${key} ${JSON.stringify(v)} is not supported by webgrad.`);
}

/** Keras's short names (MaxPool2D, AvgPool2D, ...) are aliases of the long ones. */
const aliases: Record<string, string> = {
  Convolution1D: 'Conv1D',
  Convolution2D: 'Conv2D',
  MaxPool2D: 'MaxPooling2D',
  AvgPool2D: 'AveragePooling2D',
  GlobalAvgPool2D: 'GlobalAveragePooling2D',
  GlobalMaxPool2D: 'GlobalMaxPooling2D',
};

/** The layer a config describes, or undefined when its class is none of those read here. */
export function readConvolutionLayer(className: string, config: Config, base: LayerArgs, label: string, r: ConfigReader): Layer | undefined {
  const name = aliases[className] ?? className;
  const window = () => ({
    ...base,
    kernelSize: given<number[]>(config.kernelSize)!,
    strides: given<number[]>(config.strides),
    padding: given<'valid'>(config.padding),
    dataFormat: given<'channelsLast'>(config.dataFormat),
    dilationRate: given<number[]>(config.dilationRate),
    activation: r.activation(config.activation, label),
    useBias: given<boolean>(config.useBias),
    biasInitializer: r.initializer(config.biasInitializer, `${label}.bias_initializer`),
    biasRegularizer: r.regularizer(config.biasRegularizer, `${label}.bias_regularizer`),
  });
  const pooling = () => ({ ...base, poolSize: given<[number, number]>(config.poolSize), strides: given<[number, number]>(config.strides), padding: given<'valid'>(config.padding), dataFormat: given<'channelsLast'>(config.dataFormat) });
  switch (name) {
    case 'Conv1D':
    case 'Conv2D': {
      r.unsupported(config, label, ['kernelConstraint', 'biasConstraint', 'loraRank']);
      if (config.groups !== undefined && config.groups !== null && config.groups !== 1) throw r.fail(label, `groups ${String(config.groups)} is not supported by webgrad.`);
      const args = {
        ...window(),
        filters: config.filters as number,
        kernelInitializer: r.initializer(config.kernelInitializer, `${label}.kernel_initializer`),
        kernelRegularizer: r.regularizer(config.kernelRegularizer, `${label}.kernel_regularizer`),
      };
      return r.construct(label, () => (name === 'Conv2D' ? new Conv2D(args) : new Conv1D(args)));
    }
    case 'DepthwiseConv2D': {
      r.unsupported(config, label, ['depthwiseConstraint', 'biasConstraint']);
      const args = {
        ...window(),
        depthMultiplier: given<number>(config.depthMultiplier),
        depthwiseInitializer: r.initializer(config.depthwiseInitializer, `${label}.depthwise_initializer`),
        depthwiseRegularizer: r.regularizer(config.depthwiseRegularizer, `${label}.depthwise_regularizer`),
      };
      return r.construct(label, () => new DepthwiseConv2D(args));
    }
    case 'MaxPooling2D':
      return r.construct(label, () => new MaxPooling2D(pooling()));
    case 'AveragePooling2D':
      return r.construct(label, () => new AveragePooling2D(pooling()));
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D': {
      if (config.keepdims === true) throw r.fail(label, 'keepdims true is not supported by webgrad.');
      const args = { ...base, dataFormat: given<'channelsLast'>(config.dataFormat) };
      return r.construct(label, () => (name === 'GlobalAveragePooling2D' ? new GlobalAveragePooling2D(args) : new GlobalMaxPooling2D(args)));
    }
    case 'Flatten':
      return r.construct(label, () => new Flatten({ ...base, dataFormat: given<'channelsLast'>(config.dataFormat) }));
    case 'Reshape':
      return r.construct(label, () => new Reshape({ ...base, targetShape: config.targetShape as number[] }));
    case 'BatchNormalization': {
      r.unsupported(config, label, ['betaConstraint', 'gammaConstraint', 'virtualBatchSize', 'adjustment']);
      if (config.renorm === true) throw r.fail(label, 'renorm true is not supported by webgrad.');
      // tf.keras 2 wrote the axis as a list once the layer was built: [3].
      const axis = Array.isArray(config.axis) && config.axis.length === 1 ? config.axis[0] : config.axis;
      if (axis !== undefined && axis !== null && !Number.isInteger(axis)) throw r.fail(label, `axis ${show(config.axis)} is not supported: webgrad normalizes one feature axis.`);
      const args = {
        ...base,
        axis: given<number>(axis),
        momentum: given<number>(config.momentum),
        epsilon: given<number>(config.epsilon),
        center: given<boolean>(config.center),
        scale: given<boolean>(config.scale),
        betaInitializer: r.initializer(config.betaInitializer, `${label}.beta_initializer`),
        gammaInitializer: r.initializer(config.gammaInitializer, `${label}.gamma_initializer`),
        movingMeanInitializer: r.initializer(config.movingMeanInitializer, `${label}.moving_mean_initializer`),
        movingVarianceInitializer: r.initializer(config.movingVarianceInitializer, `${label}.moving_variance_initializer`),
        betaRegularizer: r.regularizer(config.betaRegularizer, `${label}.beta_regularizer`),
        gammaRegularizer: r.regularizer(config.gammaRegularizer, `${label}.gamma_regularizer`),
      };
      return r.construct(label, () => new BatchNormalization(args));
    }
  }
  return undefined;
}
