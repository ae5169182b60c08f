/** Small graph edits that rules compose; each keeps `graph.nodes` in topological order. */
import { type Attrs, type DType, type Graph, type Node, type Shape, type Value, graphError } from '@goldcrest/core-ir';

/**
 * Replaces `root` by a new node of `op` that produces root's own output values (so names that
 * other nodes or the graph outputs refer to stay valid). The new node takes root's place in the
 * node order, which is legal because every input of a matched subgraph is defined before its root.
 */
export function replaceNode(graph: Graph, root: Node, op: string, inputs: (Value | null)[], attrs: Attrs = {}, opts: { name?: string } = {}): Node {
  const at = graph.nodes.indexOf(root);
  if (at < 0) throw graphError(`replaceNode: node '${root.name}' is not in graph '${graph.name}'`);
  const next = graph.nodes[at + 1];
  const outs = [...root.outputs];
  graph.removeNode(root);
  return graph.addNode(op, inputs, outs, attrs, { name: opts.name ?? root.name, before: next });
}

/** Adds a node with one fresh output value right before `before`; returns that value. */
export function insertBefore(
  graph: Graph,
  before: Node,
  op: string,
  inputs: (Value | null)[],
  out: { name: string; dtype: DType; shape?: Shape },
  attrs: Attrs = {},
): Value {
  return graph.addNode(op, inputs, [out], attrs, { before }).outputs[0];
}

/** Reads of `v` by nodes (input slots) and graph outputs. */
export function useCount(graph: Graph, v: Value): number {
  let n = graph.outputs.filter((o) => o === v).length;
  for (const node of graph.nodes) for (const x of node.inputs) if (x === v) n++;
  return n;
}

/** True when no node reads an output of `node` and none of them is a graph output. */
export function isDead(graph: Graph, node: Node): boolean {
  return node.outputs.every((o) => useCount(graph, o) === 0);
}

/**
 * Removes those of `nodes` that are dead, repeating until nothing changes (a node can die when a
 * later one in the list is removed). Returns how many were removed.
 */
export function removeIfDead(graph: Graph, nodes: Iterable<Node>): number {
  const pending = new Set([...nodes]);
  let removed = 0;
  let changed = true;
  while (changed) {
    changed = false;
    for (const n of pending) {
      if (!graph.nodes.includes(n)) { pending.delete(n); continue; }
      if (isDead(graph, n)) {
        graph.removeNode(n);
        pending.delete(n);
        removed++;
        changed = true;
      }
    }
  }
  return removed;
}

/**
 * Makes readers of `node`'s only output read `to` instead and removes `node` (plus `alsoRemove`
 * nodes that became dead). When that output is a graph output, its name is the model's interface
 * and must survive: then `to`'s producer is made to write it directly, which is only possible
 * when `node` is `to`'s sole reader and `to` is no graph input, initializer or output; otherwise
 * nothing changes and false is returned.
 */
export function bypass(graph: Graph, node: Node, to: Value, alsoRemove: Iterable<Node> = []): boolean {
  const out = node.outputs[0];
  if (graph.outputs.includes(out)) {
    const p = to.producer;
    if (!p || graph.outputs.includes(to) || useCount(graph, to) !== 1 || node.inputs.filter((v) => v === to).length !== 1) return false;
    graph.removeNode(node);
    p.outputs = p.outputs.map((o) => (o === to ? out : o));
    out.producer = p;
    to.producer = undefined;
    out.dtype = to.dtype;
    out.shape = to.shape;
    removeIfDead(graph, alsoRemove);
    return true;
  }
  graph.replaceAllUses(out, to);
  removeIfDead(graph, [node, ...alsoRemove]);
  return true;
}

/**
 * Removes `nodes` if dead and then, transitively, the producers of their inputs that became dead
 * (e.g. a whole Shape -> Cast -> Slice -> Concat chain once its Reshape reads a constant).
 */
export function removeDeadUpstream(graph: Graph, nodes: Iterable<Node>): number {
  let removed = 0;
  const stack = [...nodes];
  while (stack.length) {
    const n = stack.pop()!;
    if (!graph.nodes.includes(n) || !isDead(graph, n)) continue;
    graph.removeNode(n);
    removed++;
    for (const v of n.inputs) if (v?.producer) stack.push(v.producer);
  }
  return removed;
}
