// Symbolic tensors: what `input()` and `layer.apply` on symbolic inputs give. They hold a shape
// and the call that makes them, never data; `model({ inputs, outputs })` runs the calls again on
// real tensors (src/layers/functional.ts).
import type { Tensor } from '../tensor/tensor';
import type { Layer, LayerShape } from './layer';

type DType = Tensor['dtype'];

/** One call of a layer in a graph: the symbolic tensors it took and those it made. */
export interface Node {
  readonly layer: Layer;
  readonly inputs: readonly SymbolicTensor[];
  /** The layer was applied to an array (a merge layer, a model with several inputs). */
  readonly arrayInput: boolean;
  /**
   * The options of the call besides `training` (which the model's own call decides); a symbolic
   * tensor among them is taken from the graph when the model runs.
   */
  readonly callOptions: Readonly<Record<string, unknown>>;
  outputs: SymbolicTensor[];
  /** The layer returned an array (a model with several outputs). */
  arrayOutput: boolean;
}

/** A placeholder for a tensor in a functional model: a shape whose batch axis is unknown (null). */
export class SymbolicTensor {
  constructor(
    readonly shape: LayerShape,
    readonly dtype: DType,
    /** The call that makes this tensor. */
    readonly node: Node,
    /** Its position among the outputs of that call. */
    readonly outputIndex: number,
    readonly name: string,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  toString(): string {
    return `SymbolicTensor(name=${this.name}, shape=[${this.shape.map((d) => d ?? 'null').join(',')}], dtype=${this.dtype})`;
  }
}

/** The symbolic tensors among a call's options (an attention mask): inputs of the call besides `inputs`. */
export function optionTensors(node: Node): SymbolicTensor[] {
  return Object.values(node.callOptions).filter((v): v is SymbolicTensor => v instanceof SymbolicTensor);
}

/** Whether `v` is a symbolic tensor or a non-empty array of them (what makes `apply` symbolic). */
export function isSymbolic(v: unknown): v is SymbolicTensor | SymbolicTensor[] {
  return v instanceof SymbolicTensor || (Array.isArray(v) && v.length > 0 && v.every((t) => t instanceof SymbolicTensor));
}
