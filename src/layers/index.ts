// The `layers` namespace: built-in layers, as factories (TensorFlow.js style) and classes.
export { Dense, dense, type DenseArgs } from './dense';
export { Activation, activation, type ActivationArgs } from './activation';
export { Dropout, dropout, type DropoutArgs } from './dropout';
export { Layer, type AddWeightOptions, type CallOptions, type LayerArgs, type LayerShape } from './layer';
export { Conv1D, Conv2D, DepthwiseConv2D, conv1d, conv2d, depthwiseConv2d, type ConvLayerArgs, type DepthwiseConv2DArgs } from './conv';
export {
  AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D, averagePooling2d, globalAveragePooling2d, globalMaxPooling2d,
  maxPooling2d, type GlobalPooling2DArgs, type Pooling2DArgs,
} from './pooling';
export { Flatten, Reshape, flatten, reshape, type FlattenArgs, type ReshapeArgs } from './reshape';
export { Add, add, Average, average, Concatenate, concatenate, type ConcatenateArgs, Multiply, multiply } from './merge';
export { Embedding, embedding, type EmbeddingArgs } from './embedding';
export {
  BatchNormalization, batchNormalization, type BatchNormalizationArgs, LayerNormalization, layerNormalization, type LayerNormalizationArgs,
} from './normalization';
export { Functional, InputLayer } from './functional';
export { MultiHeadAttention, multiHeadAttention, type MultiHeadAttentionArgs, type MultiHeadAttentionCallOptions } from './attention';
