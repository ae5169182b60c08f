import { Graph, Node, Value } from '@goldcrest/core-ir';

/**
 * A structural copy of `g` for plan-time shape specialisation: new Values and Nodes (so shape
 * inference can overwrite shapes freely), shared constant Tensors and attribute values (never
 * mutated by planning).
 */
export function cloneGraph(g: Graph): Graph {
  const out = new Graph(g.name);
  out.metadata = { ...g.metadata };
  const map = new Map<Value, Value>();
  for (const v of g.values.values()) {
    const c = new Value(v.name, v.dtype, v.shape ? [...v.shape] : undefined);
    c.data = v.data;
    c.trainable = v.trainable;
    c.quant = v.quant;
    map.set(v, c);
    out.values.set(c.name, c);
  }
  const get = (v: Value): Value => {
    let c = map.get(v);
    if (!c) {
      // A value not registered in `values` (hand-built graphs): copy it on first sight.
      c = new Value(v.name, v.dtype, v.shape ? [...v.shape] : undefined);
      c.data = v.data;
      map.set(v, c);
    }
    return c;
  };
  for (const n of g.nodes) {
    const node = new Node(n.name, n.op, n.inputs.map((v) => (v ? get(v) : null)), n.outputs.map(get), { ...n.attrs });
    for (const o of node.outputs) o.producer = node;
    out.nodes.push(node);
  }
  out.inputs = g.inputs.map(get);
  out.outputs = g.outputs.map(get);
  return out;
}
