// Every WGSL kernel, by file name. Each file under shaders/ is imported as text, the same way in
// the esbuild bundle (`--loader:.wgsl=text`), in tests (scripts/wgsl-plugin.ts) and in bench.
import binary from '../../shaders/binary.wgsl';
import fill from '../../shaders/fill.wgsl';
import permute from '../../shaders/permute.wgsl';
import random from '../../shaders/random.wgsl';
import reduce from '../../shaders/reduce.wgsl';
import unary from '../../shaders/unary.wgsl';
import unaryGrad from '../../shaders/unary_grad.wgsl';

export const shaderSources: Record<string, string> = {
  binary,
  fill,
  permute,
  random,
  reduce,
  unary,
  unary_grad: unaryGrad,
};
