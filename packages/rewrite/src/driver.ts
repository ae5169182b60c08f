/** The fixed-point driver: sweep the graph, try every rule at every node, until nothing applies. */
import { type Graph, type Node, type Tensor, type Value, inferShapes } from '@goldcrest/core-ir';
import { type Match, type MatchContext, type OpPattern, matchPattern } from './pattern.js';

export interface Rule {
  /** Stable name, used as the key of the per-rule counts. */
  name: string;
  /** Root pattern; the root is the node the rewrite replaces or edits. */
  pattern: OpPattern;
  /**
   * Edits the graph through Graph methods (and the helpers in edit.ts). Return false when the
   * rule decided not to apply after all (e.g. a numeric check failed); anything else counts as
   * applied. A rule that applies must change the graph, or the driver hits its step limit.
   */
  rewrite(match: Match, graph: Graph): boolean | void;
}

export interface ApplyOptions {
  /** Upper bound on applied rewrites (default 10000); protects against rules that ping-pong. */
  maxSteps?: number;
  /** Values known to be constant besides initializers (seen by `constant()` patterns). */
  known?: Map<Value, Tensor>;
  /**
   * Re-run core-ir shape inference after each sweep that changed the graph, so rules that test
   * shapes see the effect of earlier rewrites (e.g. a removed Flatten no longer leaves a symbolic
   * dim). Within a sweep, shapes may be stale but never wrong: rewrites preserve values.
   */
  reinfer?: boolean;
}

export interface ApplyResult {
  steps: number;
  /** Applications per rule name (every rule appears, with 0 when it never applied). */
  applied: Record<string, number>;
  /** True when a full sweep applied nothing; false when the step limit stopped the run. */
  converged: boolean;
}

/**
 * Runs `rules` to a fixed point. Each sweep visits the nodes in order and tries the rules (in table
 * order) rooted at each; after a rewrite, use counts are recomputed so `singleUse` stays exact.
 */
export function applyRules(graph: Graph, rules: readonly Rule[], opts: ApplyOptions = {}): ApplyResult {
  const maxSteps = opts.maxSteps ?? 10_000;
  const applied: Record<string, number> = Object.fromEntries(rules.map((r) => [r.name, 0]));
  const byOp = new Map<string, Rule[]>();
  for (const r of rules) for (const op of r.pattern.ops) byOp.set(op, [...(byOp.get(op) ?? []), r]);

  let steps = 0;
  // Use counts are computed per queried value and cached until the next rewrite: far cheaper than
  // recounting every value after each step, since only a few values are queried in between.
  const cache = new Map<Value, number>();
  const uses = (v: Value) => {
    let n = cache.get(v);
    if (n === undefined) {
      n = 0;
      for (const node of graph.nodes) for (const x of node.inputs) if (x === v) n++;
      for (const o of graph.outputs) if (o === v) n++;
      cache.set(v, n);
    }
    return n;
  };
  const ctx: MatchContext = { graph, uses, known: opts.known };
  for (;;) {
    let changed = false;
    for (const node of [...graph.nodes]) {
      for (const rule of byOp.get(node.op) ?? []) {
        if (!alive(node) || !rule.pattern.ops.includes(node.op)) break;
        const m = matchPattern(rule.pattern, node, ctx);
        if (!m) continue;
        if (rule.rewrite(m, graph) === false) continue;
        steps++;
        applied[rule.name]++;
        changed = true;
        cache.clear();
        if (steps >= maxSteps) return finish(graph, { steps, applied, converged: false });
      }
    }
    if (!changed) return finish(graph, { steps, applied, converged: true });
    if (opts.reinfer) inferShapes(graph);
  }
}

/** A removed node no longer produces its outputs (Graph.removeNode clears `producer`): O(1). */
const alive = (n: Node) => n.outputs.length > 0 && n.outputs.every((o) => o.producer === n);

function finish(graph: Graph, r: ApplyResult): ApplyResult {
  // Rules insert with `before`, so order should already hold; re-sorting also detects a cycle a
  // faulty rule might have created (E_GRAPH) instead of letting it reach the runtime.
  if (r.steps > 0) graph.topoSort();
  return r;
}

/** Adds the counts of `b` into `a` (for passes that run several rule tables). */
export function mergeCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  for (const [k, v] of Object.entries(b)) a[k] = (a[k] ?? 0) + v;
  return a;
}
