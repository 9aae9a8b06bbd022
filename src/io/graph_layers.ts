// Rebuilds the layers that functional models are made of (Add, Multiply, Average, Concatenate,
// Embedding, LayerNormalization, MultiHeadAttention) from their saved Keras / TensorFlow.js
// configs (already in camelCase).
import { MultiHeadAttention } from '../layers/attention';
import { Embedding } from '../layers/embedding';
import type { Layer, LayerArgs } from '../layers/layer';
import { Add, Average, Concatenate, Multiply } from '../layers/merge';
import { LayerNormalization } from '../layers/normalization';
import { type Config, type ConfigReader, given, only } from './conv_layers';

/** The class names read here. */
export const graphClassNames = ['Add', 'Multiply', 'Average', 'Concatenate', 'Embedding', 'LayerNormalization', 'MultiHeadAttention'] as const;

/** The layer a config describes, or undefined when its class is none of those read here. */
export function readGraphLayer(className: string, config: Config, base: LayerArgs, label: string, r: ConfigReader): Layer | undefined {
  switch (className) {
    case 'Add':
      return r.construct(label, () => new Add(base));
    case 'Multiply':
      return r.construct(label, () => new Multiply(base));
    case 'Average':
      return r.construct(label, () => new Average(base));
    case 'Concatenate':
      return r.construct(label, () => new Concatenate({ ...base, axis: given<number>(config.axis) }));
    case 'Embedding': {
      r.unsupported(config, label, ['embeddingsConstraint', 'loraRank']);
      only(r, config, label, 'maskZero', false);
      // TensorFlow.js may write inputLength as a list of one length.
      const length = Array.isArray(config.inputLength) && config.inputLength.length === 1 ? config.inputLength[0] : config.inputLength;
      return r.construct(label, () => new Embedding({
        ...base,
        inputDim: config.inputDim as number,
        outputDim: config.outputDim as number,
        inputLength: given<number>(length),
        embeddingsInitializer: r.initializer(config.embeddingsInitializer, `${label}.embeddings_initializer`),
        embeddingsRegularizer: r.regularizer(config.embeddingsRegularizer, `${label}.embeddings_regularizer`),
      }));
    }
    case 'LayerNormalization':
      r.unsupported(config, label, ['betaConstraint', 'gammaConstraint']);
      only(r, config, label, 'rmsScaling', false);
      return r.construct(label, () => new LayerNormalization({
        ...base,
        axis: given<number | number[]>(config.axis),
        epsilon: given<number>(config.epsilon),
        center: given<boolean>(config.center),
        scale: given<boolean>(config.scale),
        betaInitializer: r.initializer(config.betaInitializer, `${label}.beta_initializer`),
        gammaInitializer: r.initializer(config.gammaInitializer, `${label}.gamma_initializer`),
        betaRegularizer: r.regularizer(config.betaRegularizer, `${label}.beta_regularizer`),
        gammaRegularizer: r.regularizer(config.gammaRegularizer, `${label}.gamma_regularizer`),
      }));
    case 'MultiHeadAttention':
      // webgrad's attention runs over axis 1 and projects back to the query's features.
      r.unsupported(config, label, ['kernelConstraint', 'biasConstraint', 'outputShape', 'attentionAxes']);
      return r.construct(label, () => new MultiHeadAttention({
        ...base,
        numHeads: config.numHeads as number,
        keyDim: config.keyDim as number,
        valueDim: given<number>(config.valueDim),
        dropout: given<number>(config.dropout),
        useBias: given<boolean>(config.useBias),
        kernelInitializer: r.initializer(config.kernelInitializer, `${label}.kernel_initializer`),
        biasInitializer: r.initializer(config.biasInitializer, `${label}.bias_initializer`),
        kernelRegularizer: r.regularizer(config.kernelRegularizer, `${label}.kernel_regularizer`),
        biasRegularizer: r.regularizer(config.biasRegularizer, `${label}.bias_regularizer`),
      }));
  }
  return undefined;
}
