import { InvalidArgumentError } from '../errors';
import type { Layer } from '../layers/layer';
import { assignWeights, decodeWeights, encodeWeights, type ModelArtifacts, warnNonFinite } from './artifacts';
import { artifactsFrom, checkSaveUrl, describeSource, writeArtifacts } from './handlers';
import { toPythonic } from './keras_json';
import { splitLeakyRelu } from './leaky_relu';

/**
 * The model as TensorFlow.js layers-model artifacts: its class name and config in Keras JSON,
 * and its weights (read from the GPU at once), written to `url` when one is given. A subclassed
 * model saves its class name and weights; rebuilding it takes its code (see `loadWeights`).
 */
export async function saveModel(model: Layer, url?: string): Promise<ModelArtifacts> {
  const target = url === undefined ? undefined : checkSaveUrl(url);
  const weights = model.weights;
  const names = new Set<string>();
  for (const w of weights) {
    if (names.has(w.name)) throw new InvalidArgumentError(`${model.name}.save: two weights are named '${w.name}'; give the layers distinct names.`);
    names.add(w.name);
  }
  const topology = toPythonic(splitLeakyRelu({ className: model.getClassName(), config: model.getConfig() }), `${model.name}.save`) as object;
  const { specs, data } = await encodeWeights(weights);
  const artifacts: ModelArtifacts = {
    modelTopology: { ...topology, keras_version: 'webgrad', backend: 'webgpu' },
    weightSpecs: specs,
    weightData: data,
    format: 'layers-model',
    generatedBy: 'webgrad',
    convertedBy: null,
  };
  if (target) await writeArtifacts(target, artifacts);
  return artifacts;
}

/**
 * Sets the weights of a built model from saved artifacts (or a URL): by name, or, when the names
 * differ but count and shapes agree, in order. Every weight is checked before any is set.
 */
export async function loadWeights(model: Layer, source: ModelArtifacts | string): Promise<void> {
  const where = `${model.name}.loadWeights(${describeSource(source)})`;
  const artifacts = await artifactsFrom(source, where);
  const weights = decodeWeights(artifacts, where);
  assignWeights(model, weights, where, { byOrder: true });
  warnNonFinite(weights, where);
}
