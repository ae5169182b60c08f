/**
 * Layout-independent clean-ups: ops that compute nothing, Transposes that are really Reshapes,
 * and Reshape chains. Symbolic dims (a dynamic batch) are handled through Reshape's `0` (copy).
 */
import { type Dim, type Node, type Shape, Tensor, isFloat, permOf, resolveAttrs } from '@goldcrest/core-ir';
import { type Rule, any, bypass, op, removeIfDead, replaceNode } from '@goldcrest/rewrite';

/** True for a spelled-out identity permutation (an empty perm means "reverse", never identity). */
export const identityPerm = (p: number[]) => p.length > 0 && p.every((v, i) => v === i);
/** A Transpose's perm with the empty default (reverse the axes) spelled out; empty only while the rank is unknown. */
export const permAttr = (n: Node): number[] => {
  const p = resolveAttrs(n).perm as number[];
  const rank = n.inputs[0]?.shape?.length;
  return rank === undefined ? p : permOf(p, rank, `node '${n.name}' (Transpose)`);
};
const sameShape = (a: Shape | undefined, b: Shape | undefined) => !!a && !!b && a.length === b.length && a.every((d, i) => d === b[i]);

/** True when `n` computes nothing: its output equals its first input. */
function isNoop(n: Node): boolean {
  const x = n.inputs[0]!;
  const out = n.outputs[0];
  switch (n.op) {
    case 'Identity': return true;
    case 'Transpose': return identityPerm(permAttr(n));
    // Same dims (equal symbols are equal at run time: they are only ever copied), or by Shape()
    // of a value with the same dims.
    case 'Reshape': return sameShape(x.shape, out.shape) || shapeSourceMatches(n);
    // Flatten(axis 1) of a rank-2 value (what an opset < 13 Softmax import leaves around a 2-D Softmax).
    case 'Flatten': {
      const axis = resolveAttrs(n).axis as number;
      return x.shape?.length === 2 && (axis === 1 || axis === -1);
    }
    default: return false;
  }
}

/** Reshape(x, Shape(z)) where x and z have the same (possibly symbolic) dims. */
function shapeSourceMatches(n: Node): boolean {
  const s = n.inputs[1]?.producer;
  if (!s || s.op !== 'Shape') return false;
  const a = resolveAttrs(s);
  const z = s.inputs[0]!.shape;
  const full = (a.start as number) === 0 && (a.end as number) >= (z?.length ?? Infinity);
  return full && sameShape(n.inputs[0]!.shape, z);
}

/** Identity, identity Transpose, Reshape to the same shape, Flatten of a matrix: bypassed. */
export const noopRule: Rule = {
  name: 'remove-noop',
  pattern: op(['Identity', 'Transpose', 'Reshape', 'Flatten'], [any('x')]),
  rewrite: (m, g) => isNoop(m.root) && bypass(g, m.root, m.values.x, [m.root.inputs[1]?.producer].filter((p): p is Node => !!p)),
};

/**
 * A Reshape target for `out` given input shape `inp`: numbers stay, a symbol at the same position
 * in both becomes 0 (copy), at most one other symbol becomes -1; undefined when that is not enough.
 */
export function reshapeTargetFor(inp: Shape, out: Shape): number[] | undefined {
  let inferred = 0;
  const t = out.map((d: Dim, i) => {
    if (typeof d === 'number') return d;
    if (inp[i] === d) return 0;
    inferred++;
    return -1;
  });
  // A literal 0-sized dim would read as "copy"; and only one dim may be inferred.
  if (inferred > 1 || out.some((d) => d === 0)) return undefined;
  return t;
}

/** A Transpose that keeps the order of all non-1 dims is a Reshape (a free view at run time). */
export const transposeToReshapeRule: Rule = {
  name: 'transpose-to-reshape',
  pattern: op('Transpose', [any('x')]),
  rewrite: (m, g) => {
    const s = m.values.x.shape;
    const out = m.root.outputs[0].shape;
    if (!s || !out) return false;
    const moved = permAttr(m.root).filter((a) => s[a] !== 1);
    for (let i = 1; i < moved.length; i++) if (moved[i] < moved[i - 1]) return false;
    const target = reshapeTargetFor(s, out);
    if (!target) return false;
    const tv = g.addConstant(`${m.root.name}_shape`, new Tensor('int64', target, [target.length]));
    replaceNode(g, m.root, 'Reshape', [m.values.x, tv]);
    return true;
  },
};

/** Reshape(Reshape(x, s1), s2) -> Reshape(x, s2'), s2' expressed against x's dims. */
export const reshapeReshapeRule: Rule = {
  name: 'reshape-reshape',
  pattern: op('Reshape', [op('Reshape', [any('x')], { name: 'inner' }), any()]),
  rewrite: (m, g) => {
    const x = m.values.x.shape;
    const out = m.root.outputs[0].shape;
    if (!x || !out) return false;
    const target = reshapeTargetFor(x, out);
    if (!target) return false;
    const tv = g.addConstant(`${m.root.name}_shape`, new Tensor('int64', target, [target.length]));
    replaceNode(g, m.root, 'Reshape', [m.values.x, tv], { ...m.root.attrs, allowzero: false });
    removeIfDead(g, [m.nodes.inner]);
    return true;
  },
};

/**
 * Pow(x, 2) -> Mul(x, x) for floating x and a constant exponent whose elements are all 2 and that
 * does not broadcast x up: x*x is what a correctly rounded pow(x, 2) returns, at elementwise-Mul
 * speed (silero VAD squares its STFT this way). Other exponents keep pow's edge cases (pow(-0, 0.5)
 * is +0, sqrt(-0) is -0), so they stay.
 */
export const powSquareRule: Rule = {
  name: 'pow-square-to-mul',
  pattern: op('Pow', [any('x'), any('e')]),
  rewrite: (m, g) => {
    const x = m.values.x;
    // A float32/float64 initializer exponent (float16 holds raw bits).
    const t = m.values.e.data;
    if (!t || (t.type !== 'float32' && t.type !== 'float64') || !isFloat(x.dtype)) return false;
    const e = t.toNumbers();
    if (e.length === 0 || !e.every((v) => v === 2)) return false;
    if (!sameShape(x.shape, m.root.outputs[0].shape)) return false;
    replaceNode(g, m.root, 'Mul', [x, x]);
    return true;
  },
};

export const simplifyShapeRules: Rule[] = [noopRule, transposeToReshapeRule, reshapeReshapeRule];
