// model.summary(): Keras's (and TensorFlow.js's) table of layers, output shapes and parameter
// counts, in plain text so that it reads the same in a terminal and a browser console.
import { InvalidArgumentError } from '../errors';
import type { Layer, LayerShape } from './layer';

export type PrintFn = (line: string) => void;

/** Keras's widths for a Sequential: 65 characters, columns ending at 45%, 85% and 100%. */
const LINE_LENGTH = 65;
const POSITIONS = [0.45, 0.85, 1];

/** "(None, 32)", Python's tuple as Keras prints a shape; "?" when it is not known. */
function shapeText(shape: LayerShape | undefined): string {
  if (!shape) return '?';
  const dims = shape.map((d) => (d === null ? 'None' : String(d)));
  return dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
}

/** 1234567 → "1,234,567", as Keras writes counts. */
const count = (n: number) => n.toLocaleString('en-US');

const params = (weights: ReadonlyArray<{ size: number }>) => weights.reduce((n, w) => n + w.size, 0);

/** A model as the summary sees it: a Sequential's or functional model's `layers`, a functional model's `inputs`. */
type Summarized = Layer & { layers?: Layer[]; inputs?: unknown[] };

/**
 * The rows of the table: the layers of a Sequential with the shapes they compute from its input
 * shape, or a functional or subclassed model's layers with the shapes of their most recent apply
 * (a functional model's, when it was made).
 */
function rows(model: Summarized): Array<[string, string, string]> {
  const layers = Array.isArray(model.layers) ? model.layers : model.sublayers();
  const stacked = Array.isArray(model.layers) && !Array.isArray(model.inputs);
  const first = layers[0]?.inputShape;
  let shape: LayerShape | undefined = first ? [null, ...first] : undefined;
  return layers.map((layer) => {
    shape = stacked && shape ? layer.computeOutputShape(shape) : undefined;
    shape ??= layer.lastOutputShape;
    return [`${layer.name} (${layer.getClassName()})`, shapeText(shape), layer.built ? count(layer.countParams()) : 'unbuilt'];
  });
}

/** Keras's print_row: each field cut to its column and padded to the column's end. */
function row(fields: readonly string[], ends: readonly number[]): string {
  let line = '';
  fields.forEach((field, i) => {
    line = (line + field).slice(0, ends[i]);
    line += ' '.repeat(ends[i] - line.length);
  });
  return line;
}

/**
 * Prints the summary one line at a time: `Model: "name"`, a row per layer (name and class,
 * output shape, parameter count) and the totals of all, trainable and non-trainable parameters,
 * each shared weight counted once. `positions` are where the columns end, as fractions of
 * `lineLength` or in characters.
 */
export function printSummary(model: Summarized, lineLength = LINE_LENGTH, positions = POSITIONS, printFn: PrintFn = console.log): void {
  if (!Number.isInteger(lineLength) || lineLength < 20) throw new InvalidArgumentError(`summary: lineLength must be an integer ≥ 20, got ${String(lineLength)}.`);
  if (!Array.isArray(positions) || positions.length !== 3 || !positions.every((p, i) => typeof p === 'number' && p > (positions[i - 1] ?? 0))) {
    throw new InvalidArgumentError('summary: positions must be 3 increasing numbers, the ends of the columns.');
  }
  if (typeof printFn !== 'function') throw new InvalidArgumentError('summary: printFn must be a function.');
  const ends = positions[2] <= 1 ? positions.map((p) => Math.floor(lineLength * p)) : positions;
  const width = ends[2];
  const lines = [`Model: "${model.name}"`, '_'.repeat(width), row(['Layer (type)', 'Output Shape', 'Param #'], ends), '='.repeat(width)];
  const table = rows(model);
  table.forEach((fields, i) => lines.push(row(fields, ends), (i === table.length - 1 ? '=' : '_').repeat(width)));
  if (table.length === 0) lines.push('='.repeat(width));
  const trainable = params(model.trainableWeights);
  const frozen = params(model.nonTrainableWeights);
  lines.push(`Total params: ${count(trainable + frozen)}`, `Trainable params: ${count(trainable)}`, `Non-trainable params: ${count(frozen)}`, '_'.repeat(width));
  for (const line of lines) printFn(line);
}
