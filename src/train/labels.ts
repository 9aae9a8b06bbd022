// Which y a compiled loss reads as class indices (sparse labels), and for how many classes: fit,
// evaluate and trainOnBatch check such labels before any weight changes (src/train/data.ts).
import { withoutRecording } from '../ops/primitive';
import { rowsOf } from '../tensor/copy';
import { type Tensor, tidy } from '../tensor/tensor';
import type { Compiled } from './compile';
import { readsValueLabels, watchSparseLabels } from './losses';
import { predictions, type TrainableModel } from './step';

/** The class counts found per compiled loss and model (null: the loss reads no sparse labels). */
const found = new WeakMap<Compiled, WeakMap<TrainableModel, Array<number | null>>>();

/**
 * For each output, the number of classes when its compiled loss reads y as class indices (it
 * computes a sparse categorical cross-entropy of y, by name, as the function itself or inside a
 * function of the user's), else null. Built-in losses of values answer at once; otherwise the
 * model is run once, on the first `rows` samples, untaped and not training, and the answer kept
 * for this model and compile: GPU work queued, nothing read back, no weight touched.
 */
export function sparseLabelClasses(model: TrainableModel, c: Compiled, x: Tensor[], y: Tensor[], rows: number): Array<number | null> {
  const lossOf = (i: number) => c.losses?.[i] ?? c.loss;
  if (y.every((_, i) => readsValueLabels(lossOf(i)))) return y.map(() => null);
  let perModel = found.get(c);
  if (!perModel) found.set(c, (perModel = new WeakMap()));
  const known = perModel.get(model);
  if (known !== undefined) return known;
  const classes: Array<number | null> = y.map(() => null);
  tidy(() =>
    withoutRecording(() => {
      const preds = predictions(model, x.map((t) => rowsOf(t, 0, rows, 'fit')), false);
      y.forEach((t, i) => {
        if (readsValueLabels(lossOf(i)) || !preds[i]) return;
        const yb = rowsOf(t, 0, rows, 'fit');
        // The labels count when they are y's own values (y itself or a reshaped view of it).
        const watcher = (labels: Tensor, count: number) => {
          if (labels.storage === yb.storage) classes[i] = count;
        };
        watchSparseLabels(watcher, () => lossOf(i)(yb, preds[i]));
      });
    }),
  );
  perModel.set(model, classes);
  return classes;
}
