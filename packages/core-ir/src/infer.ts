import { GoldcrestError, graphError } from './errors.js';
import type { Graph, Node } from './graph.js';
import { getSchema, resolveAttrs, type InferInput } from './ops/index.js';

/** Shape/dtype inference for one node; writes the results onto its output values. */
export function inferNode(node: Node, knownValues?: Map<unknown, import('./tensor.js').Tensor>): void {
  const schema = getSchema(node.op);
  const attrs = resolveAttrs(node);
  const inputs: (InferInput | undefined)[] = node.inputs.map((v) =>
    v ? { dtype: v.dtype, shape: v.shape, value: v.data ?? knownValues?.get(v) } : undefined,
  );
  const outs = schema.infer({ node, inputs, attrs });
  if (outs.length < node.outputs.length) {
    throw new GoldcrestError('E_INTERNAL', `node '${node.name}' (${node.op}): schema inferred ${outs.length} outputs, node has ${node.outputs.length}`);
  }
  node.outputs.forEach((o, i) => {
    o.dtype = outs[i].dtype;
    if (outs[i].shape) o.shape = outs[i].shape;
  });
}

/** Runs shape and dtype inference over the whole graph in topological order. */
export function inferShapes(graph: Graph): void {
  for (const node of graph.nodes) inferNode(node);
}

/**
 * Structural validation: every node input is produced earlier (or is a graph input / initializer),
 * arity matches the schema, attributes are well typed, graph outputs are produced.
 * Throws a GoldcrestError naming the first problem.
 */
export function validateGraph(graph: Graph): void {
  const available = new Set([...graph.inputs, ...graph.initializers]);
  for (const node of graph.nodes) {
    const s = getSchema(node.op);
    const variadic = s.inputs.length > 0 && s.inputs[s.inputs.length - 1].variadic;
    const minIn = s.inputs.filter((p) => !p.optional && !p.variadic).length + (variadic ? 1 : 0);
    if (node.inputs.length < minIn || (!variadic && node.inputs.length > s.inputs.length)) {
      throw graphError(`node '${node.name}' (${node.op}) has ${node.inputs.length} inputs, schema expects ${variadic ? `at least ${minIn}` : `${minIn}..${s.inputs.length}`}`);
    }
    node.inputs.forEach((v, i) => {
      const port = s.inputs[Math.min(i, s.inputs.length - 1)];
      if (!v) {
        if (!port.optional) throw graphError(`node '${node.name}' (${node.op}): required input ${i} '${port.name}' is missing`);
        return;
      }
      if (!available.has(v)) throw graphError(`node '${node.name}' (${node.op}): input ${i} '${v.name}' is not produced before this node`);
    });
    resolveAttrs(node);
    for (const o of node.outputs) available.add(o);
  }
  for (const o of graph.outputs) if (!available.has(o)) throw graphError(`graph output '${o.name}' is not produced by any node`);
}
