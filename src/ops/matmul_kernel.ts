// Interim kernel selection (replaced by the tuned selection).
import { dispatch, Params } from '../device/kernels';

export interface MatmulDims { batch: number; M: number; N: number; K: number; transposeA: boolean; transposeB: boolean; aBatchStride: number; bBatchStride: number }

export function encodeMatmul(a: GPUBuffer, b: GPUBuffer, out: GPUBuffer, d: MatmulDims): void {
  if (d.M === 0 || d.N === 0) return;
  const [WG_X, WG_Y, ROWS, COL_VECS] = [8, 8, 4, 1];
  dispatch(
    { shader: 'matmul', constants: { TRANSPOSE_A: d.transposeA ? 1 : 0, TRANSPOSE_B: d.transposeB ? 1 : 0, WG_X, WG_Y, ROWS, COL_VECS } },
    new Params().u32(d.M, d.N, d.K, d.aBatchStride, d.bBatchStride),
    [a, b, out],
    [Math.ceil(d.N / (4 * COL_VECS * WG_X)), Math.ceil(d.M / (ROWS * WG_Y)), d.batch],
  );
}
