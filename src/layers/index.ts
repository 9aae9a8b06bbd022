// The `layers` namespace: built-in layers, as factories (TensorFlow.js style) and classes.
export { Dense, dense, type DenseArgs } from './dense';
export { Activation, activation, type ActivationArgs } from './activation';
export { Dropout, dropout, type DropoutArgs } from './dropout';
export { Layer, type AddWeightOptions, type CallOptions, type LayerArgs, type LayerShape } from './layer';
