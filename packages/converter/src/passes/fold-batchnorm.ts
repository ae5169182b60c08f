/**
 * BatchNorm folding: Conv2D -> BatchNorm (inference) becomes one Conv2D with
 *   W'[o] = W[o] * s[o],  B'[o] = (B[o] - mean[o]) * s[o] + beta[o],  s = gamma / sqrt(var + eps).
 * A BatchNorm that does not follow a foldable conv stays as it is.
 */
import { Tensor, type Value } from '@goldcrest/core-ir';
import { type Rule, constant, any, op, optional, removeIfDead, replaceNode } from '@goldcrest/rewrite';
import { scaleOutputChannels } from './weights.js';

const f32Const = (t: Tensor) => t.type === 'float32';

export const foldBatchNormRule: Rule = {
  name: 'conv-batchnorm',
  pattern: op(
    'BatchNorm',
    [
      op('Conv2D', [any('x'), constant('w', f32Const), optional(constant('b', f32Const))], {
        name: 'conv',
        singleUse: true,
        attrs: (a) => a.activation === 'none',
      }),
      constant('gamma', f32Const),
      constant('beta', f32Const),
      constant('mean', f32Const),
      constant('var', f32Const),
    ],
    { name: 'bn' },
  ),
  rewrite: (m, g) => {
    const conv = m.nodes.conv;
    const bn = m.nodes.bn;
    const convLayout = (conv.attrs.layout as string | undefined) ?? 'NCHW';
    const bnLayout = (bn.attrs.layout as string | undefined) ?? 'NCHW';
    if (convLayout !== bnLayout) return false;
    const w = m.consts.w;
    const O = w.dims[0];
    const [gamma, beta, mean, variance] = ['gamma', 'beta', 'mean', 'var'].map((k) => m.consts[k].data as Float32Array);
    if ([gamma, beta, mean, variance].some((a) => a.length !== O)) return false;
    const eps = (bn.attrs.epsilon as number | undefined) ?? 1e-5;
    const b = m.consts.b?.data as Float32Array | undefined;
    const s = Float32Array.from(gamma, (gm, o) => gm / Math.sqrt(variance[o] + eps));
    const b2 = Float32Array.from(s, (so, o) => ((b ? b[o] : 0) - mean[o]) * so + beta[o]);
    const wv: Value = g.addConstant(`${conv.name}_w_bn`, scaleOutputChannels(w, s));
    const bv: Value = g.addConstant(`${conv.name}_b_bn`, new Tensor('float32', b2, [O]));
    const fused = replaceNode(g, bn, 'Conv2D', [m.values.x, wv, bv], { ...conv.attrs });
    removeIfDead(g, [conv]);
    fused.name = conv.name; // the conv's name is free again and reads better in reports

    return true;
  },
};

export const foldBatchNormRules: Rule[] = [foldBatchNormRule];
