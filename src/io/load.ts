import { InvalidArgumentError, ModelFormatError, ShapeError, show } from '../errors';
import { Activation } from '../layers/activation';
import type { ActivationIdentifier } from '../layers/activations';
import { Dense } from '../layers/dense';
import { Dropout } from '../layers/dropout';
import type { Functional } from '../layers/functional';
import { deserialize as deserializeInitializer, type Initializer } from '../layers/initializers';
import type { Layer, LayerArgs, LayerConfig, LayerShape } from '../layers/layer';
import { deserialize as deserializeRegularizer, type RegularizerLike } from '../layers/regularizers';
import { Sequential } from '../layers/sequential';
import { convolutionClassNames, readConvolutionLayer } from './conv_layers';
import { type GraphReader, readFunctional } from './graph';
import { graphClassNames, readGraphLayer } from './graph_layers';
import { assignWeights, candidatesFor, type DecodedWeight, decodeWeights, formatError, type ModelArtifacts, warnNonFinite } from './artifacts';
import { artifactsFrom, describeSource } from './handlers';
import { fromPythonic } from './keras_json';
import { joinLeakyRelu, LEAKY_SLOPE, leakySlope } from './leaky_relu';

type Config = Record<string, unknown>;

const isObject = (v: unknown): v is Config => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Errors of a layer's arguments, which in a saved config mean a malformed file (a lost device does not). */
const isArgumentError = (e: unknown): e is Error => e instanceof InvalidArgumentError || e instanceof ShapeError;

/**
 * Rebuilds a model saved by webgrad, by TensorFlow.js, or by Keras through `tensorflowjs_converter`:
 * a Sequential or a functional model (graphs of several inputs and outputs, shared layers, models
 * nested either way), with its activations, initializers, regularizers, `trainable` flags and
 * weights. Everything is checked (the weight blob first, then every layer config and call, then
 * every weight's name and shape) before the model is handed out; on any error, what was built is freed and a ModelFormatError (or, for
 * storage that cannot be read, a ModelIOError) says what and where.
 */
export async function loadModel(source: ModelArtifacts | string): Promise<Sequential | Functional> {
  const where = `loadModel(${describeSource(source)})`;
  const artifacts = await artifactsFrom(source, where);
  if (artifacts.format !== undefined && artifacts.format !== 'layers-model') {
    throw formatError(where, `format ${show(artifacts.format)} is not 'layers-model' (a graph model holds no layers to rebuild).`);
  }
  const weights = decodeWeights(artifacts, where);
  const topology: unknown = artifacts.modelTopology;
  if (!isObject(topology)) throw formatError(where, 'modelTopology must be a Keras model JSON object ({ class_name, config }).');
  // The converter nests Keras's JSON under model_config.
  const root = fromPythonic(topology.model_config ?? topology, where);
  const model = new TopologyReader(where).model(root);
  warnNonFinite(weights, where);
  try {
    if (model instanceof Sequential) buildFromWeights(model, weights);
    assignWeights(model, weights, where, { byOrder: false });
  } catch (e) {
    model.dispose();
    throw isArgumentError(e) ? formatError(where, e.message) : e;
  }
  return model;
}

/**
 * Builds a model whose config gives no input shape, from its first Dense kernel's saved shape
 * [inputDim, units] (the layers before it keep the shape).
 */
function buildFromWeights(model: Sequential, weights: DecodedWeight[]): void {
  if (model.built) return;
  const dense = firstDense(model.layers);
  if (!dense) return;
  const [kernel] = candidatesFor(weights, `${dense.name}/kernel`);
  if (kernel?.shape.length === 2) model.build([null, kernel.shape[0]]);
}

function firstDense(layers: readonly Layer[]): Dense | undefined {
  for (const l of layers) {
    const found = l instanceof Dense ? l : l instanceof Sequential ? firstDense(l.layers) : undefined;
    if (found) return found;
  }
  return undefined;
}

/** Turns Keras layer JSON (already in camelCase) into layers, naming the path of whatever is wrong. */
class TopologyReader implements GraphReader {
  private readonly names = new Set<string>();

  constructor(private readonly where: string) {}

  fail(path: string, message: string): ModelFormatError {
    return formatError(this.where, `${path}: ${message}`);
  }

  /** A `{ className, config }` node. */
  private node(value: unknown, path: string): { className: string; config: Config | unknown[] } {
    if (!isObject(value) || typeof value.className !== 'string') throw this.fail(path, 'must be { class_name, config }.');
    const config = value.config ?? {};
    if (typeof config !== 'object' || config === null) throw this.fail(path, 'config must be an object.');
    return { className: value.className, config: config as Config | unknown[] };
  }

  /** Runs a constructor, turning its argument errors into format errors at `path`. */
  construct<T>(path: string, make: () => T): T {
    try {
      return make();
    } catch (e) {
      throw isArgumentError(e) ? this.fail(path, e.message) : e;
    }
  }

  model(value: unknown): Sequential | Functional {
    const path = 'modelTopology';
    const { className } = this.node(value, path);
    if (className === 'Functional' || className === 'Model') return readFunctional(value as Config, path, this);
    if (className !== 'Sequential') {
      throw this.fail(
        path,
        `class '${className}' is not a model webgrad can rebuild: it reads Sequential and functional ('Functional', 'Model') ` +
          'models. For a subclassed model, construct it in code, build it, then call model.loadWeights().',
      );
    }
    return this.sequential(value, path);
  }

  claimName(name: string, label: string): void {
    if (this.names.has(name)) throw this.fail(label, `a second layer named '${name}'.`);
    this.names.add(name);
  }

  private sequential(value: unknown, path: string): Sequential {
    const { config } = this.node(value, path);
    // Keras 1 wrote the layer list as the config itself.
    const list = Array.isArray(config) ? config : config.layers;
    if (!Array.isArray(list)) throw this.fail(`${path}.config`, 'layers must be an array.');
    const settings = Array.isArray(config) ? {} : config;
    if (typeof settings.name === 'string') this.claimName(settings.name, path);
    let inputShape = this.batchShape(settings.buildInputShape, `${path}.config.build_input_shape`);
    const layers: Layer[] = [];
    try {
      joinLeakyRelu(list).forEach(([item, i]) => {
        const at = `${path}.config.layers[${i}]`;
        const n = this.node(item, at);
        if (n.className === 'InputLayer') {
          if (layers.length > 0 || Array.isArray(n.config)) throw this.fail(at, 'an InputLayer may only come first.');
          inputShape = this.batchShape(n.config.batchInputShape ?? n.config.batchShape, `${at}.config.batch_input_shape`);
          return;
        }
        layers.push(this.layer(item, at, layers.length === 0 ? inputShape : undefined));
      });
    } catch (e) {
      for (const l of layers) l.dispose();
      throw e;
    }
    return this.construct(path, () => {
      let model: Sequential | undefined;
      try {
        model = new Sequential({ name: (settings.name ?? undefined) as string | undefined });
        for (const l of layers) model.add(l);
        if (settings.trainable === false) model.trainable = false;
        if (!model.built && inputShape) model.build(inputShape);
        return model;
      } catch (e) {
        model?.dispose();
        for (const l of layers) l.dispose();
        throw e;
      }
    });
  }

  /** A batch shape [null, ...dims] from the config, or undefined where it gives none. */
  batchShape(value: unknown, path: string): LayerShape | undefined {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || value.length < 2 || !value.every((d) => d === null || (Number.isSafeInteger(d) && d > 0))) {
      throw this.fail(path, `must be a batch shape [null, d1, ...] of positive integers, got ${show(value)}.`);
    }
    return [null, ...(value.slice(1) as Array<number | null>)];
  }

  /** A layer; `inputShape` (from an InputLayer) goes to the first layer of a Sequential. */
  layer(value: unknown, path: string, inputShape?: LayerShape): Layer {
    const { className, config } = this.node(value, path);
    if (className === 'Sequential') return this.sequential(value, path);
    if (className === 'Functional' || className === 'Model') return readFunctional(value as Config, path, this);
    if (Array.isArray(config)) throw this.fail(path, 'config must be an object.');
    const label = `${path} (${className}${typeof config.name === 'string' ? ` '${config.name}'` : ''})`;
    const base = this.baseArgs(config, label, inputShape);
    switch (className) {
      case 'Dense':
        this.unsupported(config, label, ['kernelConstraint', 'biasConstraint', 'loraRank']);
        return this.construct(label, () => new Dense({
          ...base,
          units: config.units as number,
          activation: this.activation(config.activation, label),
          useBias: (config.useBias ?? undefined) as boolean | undefined,
          kernelInitializer: this.initializer(config.kernelInitializer, `${label}.kernel_initializer`),
          biasInitializer: this.initializer(config.biasInitializer, `${label}.bias_initializer`),
          kernelRegularizer: this.regularizer(config.kernelRegularizer, `${label}.kernel_regularizer`),
          biasRegularizer: this.regularizer(config.biasRegularizer, `${label}.bias_regularizer`),
        }));
      case 'Activation':
        return this.construct(label, () => new Activation({ ...base, activation: this.activation(config.activation, label) ?? 'linear' }));
      case 'Dropout':
        this.unsupported(config, label, ['noiseShape']);
        return this.construct(label, () => new Dropout({ ...base, rate: config.rate as number, seed: (config.seed ?? undefined) as number | undefined }));
      case 'LeakyReLU': {
        const slope = leakySlope(config as LayerConfig);
        if (slope !== LEAKY_SLOPE) throw this.fail(label, `slope ${show(slope)} is not supported; webgrad's leakyRelu has slope ${LEAKY_SLOPE}.`);
        return this.construct(label, () => new Activation({ ...base, activation: 'leakyRelu' }));
      }
    }
    const read = readConvolutionLayer(className, config, base, label, this) ?? readGraphLayer(className, config, base, label, this);
    if (read) return read;
    throw this.fail(
      path,
      `unknown layer class '${className}'; webgrad reads Sequential, Functional, Dense, Activation, Dropout, LeakyReLU, ${[...convolutionClassNames, ...graphClassNames].join(', ')} and InputLayer.`,
    );
  }

  /** The keys every layer shares: name, trainable, batch input shape, activity regularizer. */
  private baseArgs(config: Config, label: string, inputShape: LayerShape | undefined): LayerArgs {
    const args: LayerArgs = {};
    if (config.name !== undefined && config.name !== null) {
      if (typeof config.name !== 'string' || config.name === '') throw this.fail(label, `name must be a non-empty string, got ${show(config.name)}.`);
      this.claimName(config.name, label);
      args.name = config.name;
    }
    if (config.trainable !== undefined && config.trainable !== null) {
      if (typeof config.trainable !== 'boolean') throw this.fail(label, `trainable must be a boolean, got ${show(config.trainable)}.`);
      args.trainable = config.trainable;
    }
    const shape = this.batchShape(config.batchInputShape ?? config.batchShape, `${label}.batch_input_shape`) ?? inputShape;
    // A shape with unknown dimensions is applied by building, not as the layer's own inputShape.
    if (shape && shape.slice(1).every((d) => d !== null)) args.inputShape = shape.slice(1) as number[];
    if (config.activityRegularizer !== undefined && config.activityRegularizer !== null) {
      args.activityRegularizer = this.regularizer(config.activityRegularizer, `${label}.activity_regularizer`);
    }
    return args;
  }

  unsupported(config: Config, label: string, keys: string[]): void {
    for (const key of keys) {
      const v = config[key];
      if (v !== undefined && v !== null && v !== 0) throw this.fail(label, `${key} ${show(v)} is not supported by webgrad.`);
    }
  }

  activation(value: unknown, label: string): ActivationIdentifier | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw this.fail(label, `activation must be a name, got ${show(value)}.`);
    return value as ActivationIdentifier;
  }

  initializer(value: unknown, path: string): Initializer | string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    const { className, config } = this.node(value, path);
    return this.construct(path, () => deserializeInitializer(className, config as Config));
  }

  regularizer(value: unknown, path: string): RegularizerLike | null {
    if (value === undefined || value === null) return null;
    if (typeof value === 'string') return value as RegularizerLike;
    const { className, config } = this.node(value, path);
    return this.construct(path, () => deserializeRegularizer(className, config as Config));
  }
}
