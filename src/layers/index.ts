// The `layers` namespace: built-in layers, as factories (TensorFlow.js style) and classes.
export { Dense, dense, type DenseArgs } from './dense';
export { Activation, activation, type ActivationArgs } from './activation';
export { Dropout, dropout, type DropoutArgs } from './dropout';
export { Layer, type AddWeightOptions, type CallOptions, type LayerArgs, type LayerShape } from './layer';
export { Add, add, Average, average, Concatenate, concatenate, type ConcatenateArgs, Multiply, multiply } from './merge';
export { Embedding, embedding, type EmbeddingArgs } from './embedding';
export { LayerNormalization, layerNormalization, type LayerNormalizationArgs } from './normalization';
export { Functional, InputLayer } from './functional';
export { MultiHeadAttention, multiHeadAttention, type MultiHeadAttentionArgs, type MultiHeadAttentionCallOptions } from './attention';
