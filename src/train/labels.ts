// Which y a compiled loss reads as class indices (sparse labels), and for how many classes: fit,
// evaluate and trainOnBatch check such labels before any weight changes (src/train/data.ts).
import { withoutRecording } from '../ops/primitive';
import { rowsOf } from '../tensor/copy';
import { type Tensor, tidy } from '../tensor/tensor';
import type { Compiled } from './compile';
import { readsValueLabels, watchSparseLabels } from './losses';
import type { TrainableModel } from './step';

/** The class count found per compiled loss and model (null: the loss reads no sparse labels). */
const found = new WeakMap<Compiled, WeakMap<TrainableModel, number | null>>();

/**
 * The number of classes when the compiled loss reads y as class indices (it computes a sparse
 * categorical cross-entropy of y, by name, as the function itself or inside a function of the
 * user's), else null. A built-in loss of values answers at once; any other is run once, on the
 * first `rows` samples, untaped and not training, and the answer kept for this model and compile:
 * GPU work queued, nothing read back, no weight touched.
 */
export function sparseLabelClasses(model: TrainableModel, c: Compiled, x: Tensor, y: Tensor, rows: number): number | null {
  if (readsValueLabels(c.loss)) return null;
  let perModel = found.get(c);
  if (!perModel) found.set(c, (perModel = new WeakMap()));
  const known = perModel.get(model);
  if (known !== undefined) return known;
  let classes: number | null = null;
  tidy(() =>
    withoutRecording(() => {
      const yb = rowsOf(y, 0, rows, 'fit');
      // The labels count when they are y's own values (y itself or a reshaped view of it).
      const watcher = (labels: Tensor, count: number) => {
        if (labels.storage === yb.storage) classes = count;
      };
      watchSparseLabels(watcher, () => c.loss(yb, model.apply(rowsOf(x, 0, rows, 'fit'), { training: false })));
    }),
  );
  perModel.set(model, classes);
  return classes;
}
