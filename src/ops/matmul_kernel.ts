// Placeholder until the matmul kernels land; replaced by the kernel selection code.
export interface MatmulDims { batch: number; M: number; N: number; K: number; transposeA: boolean; transposeB: boolean; aBatchStride: number; bBatchStride: number }
export function encodeMatmul(_a: GPUBuffer, _b: GPUBuffer, _out: GPUBuffer, _d: MatmulDims): void {
  throw new Error('matmul kernel not yet available');
}
