import type { Graph, Node, Value } from '@goldcrest/core-ir';

export interface DceResult {
  removedNodes: number;
  removedValues: number;
}

/**
 * Removes nodes none of whose outputs reach a graph output, then values nothing refers to
 * (unused initializers included). Graph inputs are kept even when unused: they are the
 * model's interface.
 */
export function eliminateDeadCode(graph: Graph): DceResult {
  const live = new Set<Node>();
  const stack: Value[] = [...graph.outputs];
  const seen = new Set<Value>();
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    const p = v.producer;
    if (!p || live.has(p)) continue;
    live.add(p);
    for (const x of p.inputs) if (x) stack.push(x);
  }
  const before = graph.nodes.length;
  for (const n of [...graph.nodes]) if (!live.has(n)) graph.removeNode(n);
  const valuesBefore = graph.values.size;
  graph.pruneValues();
  return { removedNodes: before - graph.nodes.length, removedValues: valuesBefore - graph.values.size };
}
