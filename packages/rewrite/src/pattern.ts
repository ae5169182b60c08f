/**
 * Declarative patterns over core-ir graphs (in the spirit of tinygrad's UPat): a pattern is a
 * small tree of op / constant / wildcard matchers; matching a node yields named captures.
 */
import { type Attrs, type Graph, type Node, type Tensor, type Value, resolveAttrs } from '@goldcrest/core-ir';

/** Matches the node producing a value. */
export interface OpPattern {
  kind: 'op';
  /** Accepted op names. */
  ops: readonly string[];
  /** Patterns for the first inputs (extra node inputs are not constrained; omitted inputs are null). */
  inputs?: readonly Pattern[];
  /** Also try the first two inputs swapped (Add, Mul). */
  commutative?: boolean;
  /** Predicate on the attributes, with schema defaults filled in. */
  attrs?: (attrs: Attrs, node: Node) => boolean;
  /**
   * The matched output must be read by exactly one node input and not be a graph output, so the
   * rewrite may absorb this node (don't fuse a value other nodes also read). Ignored on the root.
   */
  singleUse?: boolean;
  /** Which output of the producer the edge must be (default 0). */
  output?: number;
  /** Capture name: the node lands in `match.nodes`, the matched output value in `match.values`. */
  name?: string;
  /** Last check with the partial match (captures of inputs are bound). */
  where?: (node: Node, m: Match) => boolean;
}

/** Matches any (non-omitted) value. */
export interface AnyPattern {
  kind: 'any';
  name?: string;
  where?: (v: Value, m: Match) => boolean;
}

/** Matches a value whose content is known: an initializer, or a value in `MatchContext.known`. */
export interface ConstPattern {
  kind: 'const';
  name?: string;
  where?: (t: Tensor, v: Value) => boolean;
}

/** Matches an omitted optional input, or `inner` when present. */
export interface OptionalPattern {
  kind: 'optional';
  inner: Pattern;
}

export type Pattern = OpPattern | AnyPattern | ConstPattern | OptionalPattern;

/** Result of a successful match. Captures with the same name must bind the same value. */
export interface Match {
  root: Node;
  nodes: Record<string, Node>;
  values: Record<string, Value>;
  consts: Record<string, Tensor>;
  /** Every node matched by an op pattern, root first (pre-order). */
  matched: Node[];
}

export interface MatchContext {
  graph: Graph;
  /** Number of reads of `v` (node input slots + graph outputs). Defaults to a scan of the graph. */
  uses?: (v: Value) => number;
  /** Values known to be constant besides initializers (e.g. from inferShapes({ propagate: true })). */
  known?: Map<Value, Tensor>;
}

// ---- builders ---------------------------------------------------------------------------------

type OpOptions = Omit<OpPattern, 'kind' | 'ops' | 'inputs'>;

/** `op('Relu', [any('x')])`, `op(['Conv2D', 'MatMul'], [...], { name: 'conv', singleUse: true })`. */
export function op(ops: string | readonly string[], inputs?: readonly Pattern[], opts: OpOptions = {}): OpPattern {
  return { kind: 'op', ops: typeof ops === 'string' ? [ops] : ops, inputs, ...opts };
}

export function any(name?: string, where?: AnyPattern['where']): AnyPattern {
  return { kind: 'any', name, where };
}

export function constant(name?: string, where?: ConstPattern['where']): ConstPattern {
  return { kind: 'const', name, where };
}

/** A constant whose every element is within `tol` (relative to max(1, |value|)) of `value`. */
export function scalar(value: number, name?: string, tol = 1e-6): ConstPattern {
  return constant(name, (t) => t.size > 0 && allClose(t, value, tol));
}

export function optional(inner: Pattern): OptionalPattern {
  return { kind: 'optional', inner };
}

/** True when every element of `t` is (approximately) `value`. */
export function allClose(t: Tensor, value: number, tol = 1e-6): boolean {
  if (t.type === 'string' || t.type === 'float16') return false;
  const lim = tol * Math.max(1, Math.abs(value));
  for (const x of t.toNumbers()) if (!(Math.abs(x - value) <= lim)) return false;
  return true;
}

// ---- matching ---------------------------------------------------------------------------------

/** Counts reads of every value: node input slots plus graph outputs. */
export function countUses(graph: Graph): Map<Value, number> {
  const uses = new Map<Value, number>();
  const bump = (v: Value) => uses.set(v, (uses.get(v) ?? 0) + 1);
  for (const n of graph.nodes) for (const v of n.inputs) if (v) bump(v);
  for (const v of graph.outputs) bump(v);
  return uses;
}

/** The constant content of `v` (initializer or known), if any. */
export function constValue(v: Value | null | undefined, ctx?: Pick<MatchContext, 'known'>): Tensor | undefined {
  if (!v) return undefined;
  return v.data ?? ctx?.known?.get(v);
}

const emptyMatch = (root: Node): Match => ({ root, nodes: {}, values: {}, consts: {}, matched: [] });
const cloneMatch = (m: Match): Match => ({
  root: m.root,
  nodes: { ...m.nodes },
  values: { ...m.values },
  consts: { ...m.consts },
  matched: [...m.matched],
});

function bindValue(m: Match, name: string | undefined, v: Value): boolean {
  if (!name) return true;
  const prev = m.values[name];
  if (prev) return prev === v;
  m.values[name] = v;
  return true;
}

interface Ctx {
  graph: Graph;
  uses: (v: Value) => number;
  known?: Map<Value, Tensor>;
}

function matchValue(p: Pattern, v: Value | null, m: Match, ctx: Ctx): Match | null {
  switch (p.kind) {
    case 'optional':
      return v === null ? m : matchValue(p.inner, v, m, ctx);
    case 'any':
      if (!v) return null;
      if (p.where && !p.where(v, m)) return null;
      return bindValue(m, p.name, v) ? m : null;
    case 'const': {
      const t = constValue(v, ctx);
      if (!v || !t) return null;
      if (p.where && !p.where(t, v)) return null;
      if (!bindValue(m, p.name, v)) return null;
      if (p.name) m.consts[p.name] = t;
      return m;
    }
    case 'op': {
      const node = v?.producer;
      if (!v || !node) return null;
      if (node.outputs.indexOf(v) !== (p.output ?? 0)) return null;
      if (p.singleUse && ctx.uses(v) !== 1) return null;
      return matchNode(p, node, m, ctx);
    }
  }
}

function matchNode(p: OpPattern, node: Node, m0: Match, ctx: Ctx): Match | null {
  if (!p.ops.includes(node.op)) return null;
  if (p.attrs) {
    let attrs: Attrs;
    try {
      attrs = resolveAttrs(node);
    } catch {
      return null; // ill-typed attributes: leave the node to validation
    }
    if (!p.attrs(attrs, node)) return null;
  }
  const orders: number[][] = [[0, 1]];
  if (p.commutative) orders.push([1, 0]);
  for (const order of orders) {
    let m: Match | null = cloneMatch(m0);
    if (!m.matched.includes(node)) m.matched.push(node);
    if (p.name) {
      const prev = m.nodes[p.name];
      if (prev && prev !== node) return null;
      m.nodes[p.name] = node;
      const out = node.outputs[p.output ?? 0];
      if (!bindValue(m, p.name, out)) continue;
    }
    const ins = p.inputs ?? [];
    for (let i = 0; i < ins.length && m; i++) {
      const slot = i < 2 ? order[i] : i;
      m = matchValue(ins[i], node.inputs[slot] ?? null, m, ctx);
    }
    if (m && p.where && !p.where(node, m)) m = null;
    if (m) return m;
  }
  return null;
}

/** Matches `pattern` with `node` as its root; returns the captures or null. */
export function matchPattern(pattern: OpPattern, node: Node, ctx: MatchContext): Match | null {
  let uses = ctx.uses;
  if (!uses) {
    const counts = countUses(ctx.graph);
    uses = (v) => counts.get(v) ?? 0;
  }
  return matchNode(pattern, node, emptyMatch(node), { graph: ctx.graph, uses, known: ctx.known });
}

/** All matches of `pattern` in the graph, in node order. */
export function findMatches(graph: Graph, pattern: OpPattern, known?: Map<Value, Tensor>): Match[] {
  const counts = countUses(graph);
  const ctx: MatchContext = { graph, uses: (v) => counts.get(v) ?? 0, known };
  const out: Match[] = [];
  for (const n of graph.nodes) {
    const m = matchPattern(pattern, n, ctx);
    if (m) out.push(m);
  }
  return out;
}
