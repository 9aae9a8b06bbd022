import { describe, it } from 'vitest';
import * as wg from '../src';
import { composedRules } from '../src/autodiff/composed_rules';
import { unaryCodes } from '../src/kernels/unary';
import type { TapeNode, VjpRule } from '../src/ops/primitive';
import { vjpRules } from '../src/ops/rules';
import { unary, type UnaryOp } from '../src/ops/unary';
import { expectClose, randomArray } from './helpers';

// Each elementwise derivative is written twice: once in WGSL (unary_df in shaders/unary_math.wgsl,
// the fused gradient kernel) and once as recorded ops (src/autodiff/composed_rules.ts, for
// gradients of gradients). Both are evaluated here on the same inputs for every op code.

const params: Partial<Record<UnaryOp, [number, number]>> = { leakyRelu: [0.2, 0], elu: [1, 0], clipByValue: [-0.4, 0.6] };
const positive = new Set<UnaryOp>(['sqrt', 'log', 'rsqrt']);

describe('every copy of an elementwise derivative agrees', () => {
  for (const op of Object.keys(unaryCodes) as UnaryOp[]) {
    if (op === 'sign') continue;
    it(`${op}: the fused kernel and the composed ops give the same dx`, async () => {
      const n = 37;
      const x = wg.tensor(positive.has(op) ? randomArray(n, 3, 0.1, 3) : randomArray(n, 3, -2, 2));
      const ct = wg.tensor(randomArray(n, 4));
      const [alpha, beta] = params[op] ?? [0, 0];
      const y = unary(op, x, alpha, beta);
      const node: TapeNode<'unary'> = { prim: 'unary', params: { op, alpha, beta }, inputs: [x], output: y, needs: [true] };
      const fused = (vjpRules.unary as VjpRule<'unary'>)(ct, node)[0]!;
      const composed = (composedRules.unary as VjpRule<'unary'>)(ct, node)[0]!;
      expectClose(await composed.data(), await fused.data(), 1e-5, 1e-6);
      for (const t of [x, ct, y, fused, composed]) t.dispose();
    });
  }
});
