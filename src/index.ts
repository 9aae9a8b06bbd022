// webgrad: a WebGPU compute autodiff engine with Keras-style layers.
import './ops/chain';

export { init, getDevice, type EngineInfo, type InitOptions } from './device/gpu';
export { sync } from './device/readback';
export { profile, type KernelProfile } from './device/profiler';
export { compileAllShaders } from './kernels/index';
export { memory, releaseMemory, type MemoryInfo } from './tensor/memory';
export { Tensor, tidy, keep, type NestedArray } from './tensor/tensor';
export { Variable, variable } from './tensor/variable';
export { compileStep, type CompiledStep, type CompileStepOptions, type StepResult } from './tensor/compile_step';
export { tensor, scalar, zeros, ones, fill, randomNormal, randomUniform, truncatedNormal } from './tensor/create';
export * from './ops/binary';
export * from './ops/unary';
export * from './ops/where';
export { matmul, type MatmulOptions } from './ops/matmul';
export { sum, mean, max } from './ops/reduce';
export { reshape, transpose, broadcastTo, stack } from './ops/shape_ops';
export { softmax, logSoftmax, addN, stopGradient } from './ops/nn';
export { GradientTape } from './autodiff/tape';
export { gather } from './ops/gather';
export { concat, slice, split, pad } from './ops/slice';
export { squeeze, expandDims } from './ops/dims';
export { oneHot, argMax } from './ops/indices';
export { moments } from './ops/moments';
export { maskedSoftmax, type MaskedSoftmaxOptions } from './ops/masked_softmax';
export { conv2d, conv1d, depthwiseConv2d, type Conv2DOptions, type Conv1DOptions } from './ops/conv';
export { maxPool, avgPool, type PoolOptions } from './ops/pool';
export * as losses from './train/losses';
export * as metrics from './train/metrics';
export * as optimizers from './train/optimizers';
export { Optimizer } from './train/optimizers';
export * as callbacks from './train/callbacks';
export type { History } from './train/loop';
export type { FitOptions, EvaluateOptions, PredictOptions, Verbosity, Callbacks, CallbackModel } from './train/options';
export type { Logs } from './train/logs';
export type { CompileArgs } from './train/compile';
export type { Data } from './train/data';
export * as layers from './layers/index';
export * as regularizers from './layers/regularizers';
export * as initializers from './layers/initializers';
export { Layer, type CallOptions, type LayerArgs } from './layers/layer';
export { Model } from './layers/model';
export type { PrintFn } from './layers/summary';
export { Sequential, sequential, type SequentialArgs } from './layers/sequential';
export { Functional, type FunctionalArgs, input, type InputArgs, InputLayer, model } from './layers/functional';
export { SymbolicTensor } from './layers/symbolic';
export { loadModel } from './io/load';
export type { ModelArtifacts, WeightSpec } from './io/artifacts';
export {
  WebgradError, WebGPUUnavailableError, ShapeError, DisposedTensorError, DeviceLostError, InvalidArgumentError, GradientTapeError,
  ShaderCompileError, ModelFormatError, ModelIOError, NonFiniteError, NotInitializedError, TrainingInProgressError, ResourceLimitError,
} from './errors';
