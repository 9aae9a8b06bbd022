// Functional models (Keras's functional API): `input()` makes symbolic tensors, `layer.apply`
// on them records calls, and `model({ inputs, outputs })` runs those calls again, in order, on
// real tensors.
import { checkOptionKeys, InvalidArgumentError, ShapeError } from '../errors';
import { fmt } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { Embedding } from './embedding';
import { type CallOptions, type ConfigValue, Layer, type LayerConfig, type LayerShape } from './layer';
import { Model } from './model';
import { Sequential } from './sequential';
import { type Node, optionTensors, SymbolicTensor } from './symbolic';

export interface InputArgs {
  /** The shape of one example (no batch axis); null for a dimension of any size. */
  shape: Array<number | null>;
  name?: string;
  dtype?: 'float32' | 'int32';
}

/** The layer behind an `input()`: it makes the graph's entry tensor and holds no weights. */
export class InputLayer extends Layer {
  static override readonly className: string = 'InputLayer';
  readonly batchInputShape: LayerShape;
  readonly dtype: 'float32' | 'int32';

  constructor(args: { batchInputShape: LayerShape; name?: string; dtype: 'float32' | 'int32' }) {
    super({ name: args.name });
    this.batchInputShape = args.batchInputShape;
    this.dtype = args.dtype;
    this.lastOutputShape = args.batchInputShape;
    this.built = true;
  }

  override getConfig(): LayerConfig {
    return { batchInputShape: [...this.batchInputShape], dtype: this.dtype, sparse: false, name: this.name };
  }

  override call(x: Tensor | Tensor[], _opts: CallOptions): Tensor | Tensor[] {
    return x;
  }
}

/** A symbolic tensor of shape [null, ...shape]: the entry of a functional model. */
export function input(args: InputArgs): SymbolicTensor {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) throw new InvalidArgumentError('input: expects { shape, name?, dtype? }.');
  checkOptionKeys('input', args, ['shape', 'name', 'dtype']);
  const { shape, name, dtype = 'float32' } = args;
  if (!Array.isArray(shape) || !shape.every((d) => d === null || (Number.isInteger(d) && d > 0))) {
    throw new InvalidArgumentError(`input: shape must be an array of positive integers or nulls (no batch axis), got ${JSON.stringify(shape)}.`);
  }
  if (dtype !== 'float32' && dtype !== 'int32') throw new InvalidArgumentError(`input: dtype must be 'float32' or 'int32', got ${String(dtype)}.`);
  const layer = new InputLayer({ batchInputShape: [null, ...shape], name, dtype });
  const node: Node = { layer, inputs: [], arrayInput: false, callOptions: {}, outputs: [], arrayOutput: false };
  node.outputs = [new SymbolicTensor(layer.batchInputShape, dtype, node, 0, layer.name)];
  return node.outputs[0];
}

export interface FunctionalArgs {
  inputs: SymbolicTensor | SymbolicTensor[];
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
}

function symbolicList(op: string, v: unknown, what: string): SymbolicTensor[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0 || !list.every((t) => t instanceof SymbolicTensor)) {
    throw new InvalidArgumentError(`${op}: ${what} must be a symbolic tensor (from input() or layer.apply) or a non-empty array of them.`);
  }
  return list;
}

/**
 * A model made of the layer calls that lead from `inputs` to `outputs`. Each layer is one set of
 * weights however often it is called (its weight penalties count once in `losses`); each call's
 * activity penalty counts. It nests in other models, and they in it, like any layer.
 */
export class Functional extends Model {
  static override readonly className: string = 'Functional';
  readonly inputs: SymbolicTensor[];
  readonly outputs: SymbolicTensor[];
  /** Every layer of the graph once, in the order of their first call (input layers first). */
  readonly layers: Layer[];
  /** The calls that lead to the outputs, each after the calls that make its inputs. */
  private readonly nodes: Node[];
  private readonly singleOutput: boolean;

  constructor(args: FunctionalArgs) {
    if (args === null || typeof args !== 'object' || Array.isArray(args)) throw new InvalidArgumentError('model: expects { inputs, outputs, name? }.');
    checkOptionKeys('model', args, ['inputs', 'outputs', 'name']);
    const inputs = symbolicList('model', args.inputs, 'inputs');
    const outputs = symbolicList('model', args.outputs, 'outputs');
    const known = inputs.every((t) => t.shape.slice(1).every((d) => d !== null));
    super({ name: args.name, inputShape: inputs.length === 1 && known ? (inputs[0].shape.slice(1) as number[]) : undefined });
    for (const [i, t] of inputs.entries()) {
      if (!(t.node.layer instanceof InputLayer)) throw new InvalidArgumentError(`model: inputs[${i}] ('${t.name}') is not made by input().`);
      if (inputs.indexOf(t) !== i) throw new InvalidArgumentError(`model: input '${t.name}' is given twice.`);
    }
    this.inputs = inputs;
    this.outputs = outputs;
    this.singleOutput = !Array.isArray(args.outputs);
    this.nodes = [];
    const done = new Set<Node>();
    const visiting = new Set<Node>();
    const visit = (t: SymbolicTensor): void => {
      const node = t.node;
      if (done.has(node)) return;
      if (node.layer instanceof InputLayer) {
        if (!inputs.includes(t)) throw new InvalidArgumentError(`model: output depends on input '${t.name}', which is not among the model's inputs.`);
        done.add(node);
        return;
      }
      if (visiting.has(node)) throw new InvalidArgumentError(`model: the graph has a cycle through layer '${node.layer.name}'.`);
      visiting.add(node);
      for (const x of [...node.inputs, ...optionTensors(node)]) visit(x);
      visiting.delete(node);
      done.add(node);
      this.nodes.push(node);
    };
    for (const t of outputs) visit(t);
    const layers: Layer[] = inputs.map((t) => t.node.layer);
    for (const node of this.nodes) if (!layers.includes(node.layer)) layers.push(node.layer);
    if (layers.includes(this)) throw new InvalidArgumentError('model: a model cannot contain itself.');
    this.layers = layers;
    this.built = true;
  }

  /** The names of the inputs, in order (named in error messages and by fit). */
  get inputNames(): string[] {
    return this.inputs.map((t) => t.name);
  }

  get outputNames(): string[] {
    return this.outputs.map((t) => t.node.layer.name);
  }

  /**
   * For each input, the number of rows of the embedding tables its ids index directly (the
   * smallest when several), or null: fit and evaluate check such ids before training. @internal
   */
  get inputIdLimits(): Array<number | null> {
    return this.inputs.map((t) => {
      const limits = this.nodes.filter((n) => n.layer instanceof Embedding && n.inputs[0] === t).map((n) => (n.layer as Embedding).inputDim);
      return limits.length ? Math.min(...limits) : null;
    });
  }

  override build(_inputShape: LayerShape | LayerShape[]): void {}

  override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape | undefined {
    return this.outputs.length === 1 && this.inputs.length === 1 && !Array.isArray(inputShape[0]) ? this.outputs[0].shape : undefined;
  }

  /** Checks the count, rank, known dimensions and dtype of the tensors given for the inputs. */
  private checkInputs(given: Tensor[]): void {
    const op = `${this.name}`;
    if (given.length !== this.inputs.length) {
      throw new InvalidArgumentError(`${op}: expects ${this.inputs.length} input${this.inputs.length > 1 ? 's' : ''} (${this.inputNames.map((n) => `'${n}'`).join(', ')}), got ${given.length}.`);
    }
    given.forEach((t, i) => {
      const expected = this.inputs[i];
      if (!(t instanceof Tensor)) throw new InvalidArgumentError(`${op}: input '${expected.name}' must be a Tensor, got ${typeof t}.`);
      t.assertUsable(op);
      const want = expected.shape;
      if (t.rank !== want.length || want.some((d, k) => d !== null && d !== t.shape[k])) {
        throw new ShapeError(`${op}: input '${expected.name}' expects shape [${want.map((d) => d ?? 'null').join(',')}], got ${fmt(t.shape)}.`);
      }
      if (expected.dtype === 'float32' && t.dtype !== 'float32') throw new InvalidArgumentError(`${op}: input '${expected.name}' expects float32 values, got ${t.dtype}.`);
    });
  }

  /**
   * Runs the calls in order on real tensors; the intermediate results are freed at the end (the
   * tape keeps what it needs).
   */
  override call(inputs: Tensor | Tensor[], opts: CallOptions): Tensor | Tensor[] {
    const given = Array.isArray(inputs) ? inputs : [inputs];
    this.checkInputs(given);
    const values = new Map<SymbolicTensor, Tensor>();
    this.inputs.forEach((t, i) => values.set(t, given[i]));
    const made: Tensor[] = [];
    try {
      for (const node of this.nodes) {
        const args = node.inputs.map((t) => values.get(t)!);
        const options = Object.fromEntries(Object.entries(node.callOptions).map(([k, v]) => [k, v instanceof SymbolicTensor ? values.get(v)! : v]));
        const y = node.layer.apply(node.arrayInput ? args : args[0], { ...options, training: opts.training });
        const ys = Array.isArray(y) ? y : [y];
        made.push(...ys);
        if (ys.length !== node.outputs.length) {
          throw new InvalidArgumentError(`${this.name}: layer '${node.layer.name}' returned ${ys.length} tensors where it returned ${node.outputs.length} when the model was made.`);
        }
        node.outputs.forEach((t, i) => values.set(t, ys[i]));
      }
    } catch (e) {
      for (const t of made) if (!given.includes(t)) t.dispose();
      throw e;
    }
    const result = this.outputs.map((t) => values.get(t)!);
    for (const t of made) if (!result.includes(t) && !given.includes(t)) t.dispose();
    // An output that is a model input is returned as a view, so that the caller may free it.
    const owned = result.map((t) => (given.includes(t) ? t.view(t.shape) : t));
    return this.singleOutput ? owned[0] : owned;
  }

  /**
   * Keras's functional config: the layers and how their calls connect. Each call is a list of
   * [layer, node index, tensor index, kwargs], one per input; kwargs hold the call's options, a
   * symbolic tensor among them (an attention mask) as [layer, node index, tensor index], as Keras 2
   * writes it.
   */
  override getConfig(): LayerConfig {
    const index = (t: SymbolicTensor): ConfigValue[] => {
      const layer = t.node.layer;
      return [layer.name, this.callsOf(layer).indexOf(t.node) + firstNodeIndex(layer), t.outputIndex];
    };
    const kwargs = (node: Node): LayerConfig =>
      Object.fromEntries(Object.entries(node.callOptions).map(([k, v]) => [k, v instanceof SymbolicTensor ? index(v) : (v as ConfigValue)]));
    return {
      name: this.name,
      trainable: this.trainable,
      layers: this.layers.map((layer) => ({
        name: layer.name,
        className: layer.getClassName(),
        config: layer.getConfig(),
        inboundNodes: layer instanceof InputLayer ? [] : this.callsOf(layer).map((n) => n.inputs.map((t) => [...index(t), kwargs(n)])),
      })),
      inputLayers: this.inputs.map(index),
      outputLayers: this.outputs.map(index),
    };
  }

  private callsOf(layer: Layer): Node[] {
    return layer instanceof InputLayer ? [this.inputs.find((t) => t.node.layer === layer)!.node] : this.nodes.filter((n) => n.layer === layer);
  }
}

/**
 * The node index that a model file gives the first call of `layer` inside another model. Keras 2
 * and TensorFlow.js count a model made from inputs (a functional one, or a Sequential whose first
 * layer declares its input shape) as called once already, on its own inputs, and skip that call
 * in the file; so its calls there are numbered from 1.
 */
export function firstNodeIndex(layer: Layer): number {
  const declares = (l: Layer): boolean => l.inputShape !== undefined || (l instanceof Sequential && l.layers.length > 0 && declares(l.layers[0]));
  return layer instanceof Functional || (layer instanceof Sequential && layer.layers.length > 0 && declares(layer.layers[0])) ? 1 : 0;
}

/** A functional model from symbolic inputs to symbolic outputs (TensorFlow.js's `tf.model`). */
export function model(args: FunctionalArgs): Functional {
  return new Functional(args);
}
