import penaltyGradSource from '../../shaders/penalty_grad.wgsl';
import penaltyPartialSource from '../../shaders/penalty_partial.wgsl';
import penaltyTotalSource from '../../shaders/penalty_total.wgsl';
import { defineKernel } from './kernel';

/** The multi-tensor penalty's passes; `table` is the chunk and segment table of penalty_partial.wgsl. */
const penaltyUniforms = { chunks: 'u32', segments: 'u32', segment_base: 'u32' } as const;

export const penaltyPartialKernel = defineKernel({
  shader: 'penalty_partial',
  source: penaltyPartialSource,
  uniforms: penaltyUniforms,
  bindings: {
    table: { access: 'read', dtype: 'uint32' },
    w: { access: 'read', dtype: 'float32' },
    partials: { access: 'read_write', dtype: 'float32' },
  },
  workgroupSize: [64],
  entries: ['main'],
});

export const penaltyTotalKernel = defineKernel({
  shader: 'penalty_total',
  source: penaltyTotalSource,
  uniforms: penaltyUniforms,
  bindings: {
    table: { access: 'read', dtype: 'uint32' },
    partials: { access: 'read', dtype: 'float32' },
    out: { access: 'read_write', dtype: 'float32' },
  },
  workgroupSize: [64],
  entries: ['main'],
});

export const penaltyGradKernel = defineKernel({
  shader: 'penalty_grad',
  source: penaltyGradSource,
  uniforms: penaltyUniforms,
  bindings: {
    table: { access: 'read', dtype: 'uint32' },
    w: { access: 'read', dtype: 'float32' },
    ct: { access: 'read', dtype: 'float32' },
    g: { access: 'read_write', dtype: 'float32' },
  },
  workgroupSize: [64],
  entries: ['main'],
});
