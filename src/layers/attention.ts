import { InvalidArgumentError, ShapeError } from '../errors';
import { mul } from '../ops/binary';
import { expandDims } from '../ops/dims';
import { maskedSoftmax } from '../ops/masked_softmax';
import { matmul } from '../ops/matmul';
import { reshape, transpose } from '../ops/shape_ops';
import { tensor } from '../tensor/create';
import { fmt } from '../tensor/shape';
import { Tensor, tidy } from '../tensor/tensor';
import type { Variable } from '../tensor/variable';
import { Dropout } from './dropout';
import { get as getInitializer, type Initializer, type InitializerIdentifier, serialize as serializeInitializer } from './initializers';
import { type CallOptions, checkLayerArgs, Layer, type LayerArgs, type LayerConfig, type LayerShape, savedRegularizer } from './layer';
import { get as getRegularizer, type Regularizer, type RegularizerFn, type RegularizerLike } from './regularizers';
import { isSymbolic, SymbolicTensor } from './symbolic';

export interface MultiHeadAttentionArgs extends LayerArgs {
  numHeads: number;
  /** The size of each head's query and key projections. */
  keyDim: number;
  /** The size of each head's value projection; default keyDim. */
  valueDim?: number;
  /** The dropout rate on the attention weights (training only). */
  dropout?: number;
  useBias?: boolean;
  kernelInitializer?: Initializer | InitializerIdentifier;
  biasInitializer?: Initializer | InitializerIdentifier;
  kernelRegularizer?: RegularizerLike | null;
  biasRegularizer?: RegularizerLike | null;
}

export interface MultiHeadAttentionCallOptions extends CallOptions {
  /**
   * [batch, queries, keys]: 1 where a query may attend to a key, 0 where not. In a functional
   * model, a symbolic tensor (an `input()` or computed from one): the model then takes it as data.
   */
  attentionMask?: Tensor | SymbolicTensor;
  /** Each query attends only to keys at its own position or before (a decoder's mask). */
  useCausalMask?: boolean;
}

const PROJECTIONS = ['query', 'key', 'value'] as const;

/**
 * Keras 3's MultiHeadAttention on [batch, sequence, features] inputs, applied to
 * [query, value] or [query, value, key] (key defaults to value):
 *   Qₕ = query·Wqₕ + bqₕ, Kₕ = key·Wkₕ + bkₕ, Vₕ = value·Wvₕ + bvₕ,
 *   Aₕ = dropout(softmax(Qₕ·Kₕᵀ / √keyDim, masked)), out = Σₕ (Aₕ·Vₕ)·Woₕ + bo.
 * Weights in Keras's order and shapes: query kernel [dq, heads, keyDim] and bias [heads, keyDim],
 * key likewise, value kernel [dv, heads, valueDim] and bias, output kernel [heads, valueDim, dq]
 * and bias [dq]. The output has the query's shape.
 */
export class MultiHeadAttention extends Layer {
  static override readonly className: string = 'MultiHeadAttention';
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly dropout: number;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | RegularizerFn | null;
  readonly biasRegularizer: Regularizer | RegularizerFn | null;
  /** Kernels and biases of the query, key, value and output projections, in Keras's order. */
  private readonly kernels: Variable[] = [];
  private readonly biases: Array<Variable | null> = [];
  private readonly dropoutLayer: Dropout | null;

  constructor(args: MultiHeadAttentionArgs) {
    checkLayerArgs('multiHeadAttention', args, ['numHeads', 'keyDim', 'valueDim', 'dropout', 'useBias', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer']);
    super(args);
    for (const key of ['numHeads', 'keyDim', 'valueDim'] as const) {
      const v = args?.[key];
      if ((key !== 'valueDim' || v !== undefined) && (!Number.isInteger(v) || (v as number) <= 0)) {
        throw new InvalidArgumentError(`multiHeadAttention: ${key} must be a positive integer, got ${String(v)}.`);
      }
    }
    const rate = args.dropout ?? 0;
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new InvalidArgumentError(`multiHeadAttention: dropout must be a number in [0, 1), got ${String(rate)}.`);
    if (args.useBias !== undefined && typeof args.useBias !== 'boolean') throw new InvalidArgumentError('multiHeadAttention: useBias must be a boolean.');
    this.numHeads = args.numHeads;
    this.keyDim = args.keyDim;
    this.valueDim = args.valueDim ?? args.keyDim;
    this.dropout = rate;
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = getInitializer(args.kernelInitializer ?? 'glorotUniform', 'multiHeadAttention');
    this.biasInitializer = getInitializer(args.biasInitializer ?? 'zeros', 'multiHeadAttention');
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer);
    this.biasRegularizer = getRegularizer(args.biasRegularizer);
    this.dropoutLayer = rate > 0 ? new Dropout({ rate, name: `${this.name}/dropout` }) : null;
  }

  /** [query, value, key?] shapes, each [batch, sequence, features]. */
  private shapesOf(inputShape: LayerShape | LayerShape[]): LayerShape[] {
    const shapes = inputShape as LayerShape[];
    if (!Array.isArray(shapes[0]) || shapes.length < 2 || shapes.length > 3) {
      throw new InvalidArgumentError(`${this.name}: apply it to [query, value] or [query, value, key].`);
    }
    for (const s of shapes) {
      if (s.length !== 3 || s[2] === null) throw new ShapeError(`${this.name}: query, value and key must be [batch, sequence, features] with known features, got ${fmt(s.map((d) => d ?? -1))}.`);
    }
    return shapes;
  }

  override build(inputShape: LayerShape | LayerShape[]): void {
    const [query, value, key = value] = this.shapesOf(inputShape);
    const [h, k, v] = [this.numHeads, this.keyDim, this.valueDim];
    const dims = { query: [query[2] as number, h, k], key: [key[2] as number, h, k], value: [value[2] as number, h, v] };
    const weight = (name: string, kernelShape: number[], biasShape: number[]) => {
      this.kernels.push(this.addWeight(`${name}/kernel`, kernelShape, { initializer: this.kernelInitializer, regularizer: this.kernelRegularizer }));
      this.biases.push(this.useBias ? this.addWeight(`${name}/bias`, biasShape, { initializer: this.biasInitializer, regularizer: this.biasRegularizer }) : null);
    };
    for (const name of PROJECTIONS) weight(name, dims[name], dims[name].slice(1));
    weight('attention_output', [h, v, query[2] as number], [query[2] as number]);
  }

  override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
    return this.shapesOf(inputShape)[0];
  }

  override getConfig(): LayerConfig {
    return {
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      valueDim: this.valueDim,
      dropout: this.dropout,
      useBias: this.useBias,
      outputShape: null,
      attentionAxes: null,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      kernelRegularizer: savedRegularizer(this.kernelRegularizer),
      biasRegularizer: savedRegularizer(this.biasRegularizer),
      kernelConstraint: null,
      biasConstraint: null,
      ...super.getConfig(),
    };
  }

  override apply(inputs: SymbolicTensor | SymbolicTensor[], opts?: MultiHeadAttentionCallOptions): SymbolicTensor;
  override apply(inputs: Tensor, opts?: MultiHeadAttentionCallOptions): Tensor;
  override apply(inputs: Tensor[], opts?: MultiHeadAttentionCallOptions): Tensor;
  override apply(inputs: Tensor | Tensor[], opts?: MultiHeadAttentionCallOptions): Tensor | Tensor[];
  override apply(inputs: Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[], opts: MultiHeadAttentionCallOptions = {}): Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[] {
    if (isSymbolic(inputs)) this.checkSymbolicMask(inputs, opts);
    return super.apply(inputs as Tensor, opts as CallOptions);
  }

  /** Checks a symbolic attention mask against the query and key lengths where they are known. */
  private checkSymbolicMask(inputs: SymbolicTensor | SymbolicTensor[], opts: MultiHeadAttentionCallOptions): void {
    const mask = opts?.attentionMask;
    if (!(mask instanceof SymbolicTensor) || !Array.isArray(inputs) || inputs.length < 2) return;
    const [query, value, key = value] = inputs;
    const want = [null, query.shape[1], key.shape[1]];
    if (mask.rank !== 3 || want.some((d, i) => d !== null && mask.shape[i] !== null && mask.shape[i] !== d)) {
      throw new ShapeError(`${this.name}: attentionMask must be [batch, queries, keys] = [null,${want.slice(1).map((d) => d ?? 'null').join(',')}], got [${mask.shape.map((d) => d ?? 'null').join(',')}].`);
    }
  }

  /** x [batch, n, d] projected by kernel [d, heads, size] (+ bias, in the product's kernel) to [batch, heads, n, size]. */
  private project(x: Tensor, i: number): Tensor {
    const kernel = this.kernels[i];
    const [d, h, size] = kernel.shape;
    const bias = this.biases[i] ? reshape(this.biases[i]!, [h * size]) : undefined;
    const y = matmul(reshape(x, [-1, d]), reshape(kernel, [d, h * size]), { bias });
    return transpose(reshape(y, [x.shape[0], x.shape[1], h, size]), [0, 2, 1, 3]);
  }

  /** The mask on the scores [batch, heads, queries, keys]: attentionMask and the causal mask, combined. */
  private maskOf(opts: MultiHeadAttentionCallOptions, queries: number, keys: number, batch: number): Tensor | null {
    const { attentionMask, useCausalMask = false } = opts;
    if (typeof useCausalMask !== 'boolean') throw new InvalidArgumentError(`${this.name}: useCausalMask must be a boolean.`);
    let mask: Tensor | null = null;
    if (attentionMask !== undefined && attentionMask !== null) {
      if (!(attentionMask instanceof Tensor)) throw new InvalidArgumentError(`${this.name}: attentionMask must be a Tensor.`);
      const s = attentionMask.shape;
      if (s.length !== 3 || (s[0] !== batch && s[0] !== 1) || s[1] !== queries || s[2] !== keys) {
        throw new ShapeError(`${this.name}: attentionMask must be [batch, queries, keys] = [${batch},${queries},${keys}], got ${fmt(s)}.`);
      }
      mask = expandDims(attentionMask, 1);
    }
    if (useCausalMask) {
      // Keras's causal mask: query i attends to key j when i ≥ j.
      const causal = tensor(Float32Array.from({ length: queries * keys }, (_, n) => (Math.floor(n / keys) >= n % keys ? 1 : 0)), [queries, keys]);
      mask = mask ? mul(mask, causal) : causal;
    }
    return mask;
  }

  override call(inputs: Tensor | Tensor[], opts: MultiHeadAttentionCallOptions): Tensor {
    if (!Array.isArray(inputs)) throw new InvalidArgumentError(`${this.name}: apply it to [query, value] or [query, value, key].`);
    this.shapesOf(inputs.map((t) => t.shape));
    const [query, value, key = value] = inputs;
    for (const [i, t] of [query, key, value].entries()) {
      if (t.shape[2] !== this.kernels[i].shape[0]) throw new ShapeError(`${this.name}: the ${PROJECTIONS[i]} has ${t.shape[2]} features where the layer was built for ${this.kernels[i].shape[0]}.`);
    }
    if (key.shape[1] !== value.shape[1] || key.shape[0] !== value.shape[0] || query.shape[0] !== value.shape[0]) {
      throw new ShapeError(`${this.name}: query ${fmt(query.shape)}, value ${fmt(value.shape)} and key ${fmt(key.shape)} must agree in batch, and key and value in length.`);
    }
    const [batch, queries] = query.shape;
    const keys = key.shape[1];
    return tidy(() => {
      const mask = this.maskOf(opts, queries, keys, batch);
      const q = this.project(query, 0);
      const k = this.project(key, 1);
      const v = this.project(value, 2);
      const scores = matmul(q, k, { transposeB: true });
      let weights = maskedSoftmax(scores, mask, { scale: 1 / Math.sqrt(this.keyDim) });
      if (this.dropoutLayer) weights = this.dropoutLayer.apply(weights, { training: opts.training });
      const heads = transpose(matmul(weights, v), [0, 2, 1, 3]);
      const [, h, size, out] = [0, ...this.kernels[3].shape];
      const y = matmul(reshape(heads, [-1, h * size]), reshape(this.kernels[3], [h * size, out]), { bias: this.biases[3] ?? undefined });
      return reshape(y, [batch, queries, out]);
    });
  }
}

export function multiHeadAttention(args: MultiHeadAttentionArgs): MultiHeadAttention {
  return new MultiHeadAttention(args);
}
