import { GoldcrestError, graphError, unsupportedOpError } from './errors.js';
import type { Graph, Node, Value } from './graph.js';
import { getSchema, hasSchema, resolveAttrs, shapeRange, type InferInput } from './ops/index.js';
import { isStatic, numel } from './shape.js';
import { Tensor } from './tensor.js';

/** The node's op schema; an unknown op is an error naming the node. */
function schemaOf(node: Node) {
  if (!hasSchema(node.op)) throw unsupportedOpError(`node '${node.name}': op '${node.op}' has no core-ir schema`);
  return getSchema(node.op);
}

/** Shape/dtype inference for one node; writes the results onto its output values. */
export function inferNode(node: Node, knownValues?: Map<Value, Tensor>): void {
  const schema = schemaOf(node);
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

export interface InferOptions {
  /**
   * Also compute the values of nodes whose inputs are all known (initializers, `Shape` of a
   * static shape, ...) with the schemas' reference `evaluate`, up to `maxElements` per output.
   * This is how shape subgraphs get resolved: by constant folding in the converter, and at plan
   * time in the runtime once the input shapes are known.
   */
  propagate?: boolean;
  maxElements?: number;
}

/**
 * Runs shape and dtype inference over the whole graph in topological order. Returns the
 * values it could compute (empty unless `propagate`), keyed by Value.
 */
export function inferShapes(graph: Graph, opts: InferOptions = {}): Map<Value, Tensor> {
  const known = new Map<Value, Tensor>();
  const limit = opts.maxElements ?? 1 << 16;
  for (const node of graph.nodes) {
    inferNode(node, known);
    if (!opts.propagate) continue;
    const value = tryEvaluate(node, known, limit);
    if (value) node.outputs.forEach((o, i) => known.set(o, value[i]));
  }
  return known;
}

/** Evaluates `node` when every input value is known (or, for Shape, the input shape is static). */
export function tryEvaluate(node: Node, known: Map<Value, Tensor>, maxElements: number): Tensor[] | undefined {
  const schema = getSchema(node.op);
  if (node.op === 'Shape') {
    const s = node.inputs[0]?.shape;
    if (!s || !isStatic(s)) return undefined;
    const attrs = resolveAttrs(node);
    const [b, e] = shapeRange(s.length, attrs.start as number, attrs.end as number);
    const dims = s.slice(b, e);
    return [new Tensor('int64', dims.map((d) => BigInt(d)), [dims.length])];
  }
  if (!schema.evaluate) return undefined;
  const ins: (Tensor | undefined)[] = [];
  for (const v of node.inputs) {
    if (!v) { ins.push(undefined); continue; }
    const t = v.data ?? known.get(v);
    if (!t || t.size > maxElements) return undefined;
    ins.push(t);
  }
  for (const o of node.outputs) {
    if (!o.shape || !isStatic(o.shape) || numel(o.shape) > maxElements) return undefined;
  }
  try {
    return schema.evaluate(ins, resolveAttrs(node));
  } catch (e) {
    // An op the reference evaluator does not cover for these dtypes simply stays unfolded.
    if (e instanceof GoldcrestError && e.code === 'E_UNSUPPORTED_OP') return undefined;
    throw e;
  }
}

/**
 * Structural validation: every node input is produced earlier (or is a graph input / initializer),
 * arity matches the schema, attributes are well typed, graph outputs are produced.
 * Throws a GoldcrestError naming the first problem.
 */
export function validateGraph(graph: Graph): void {
  const available = new Set([...graph.inputs, ...graph.initializers]);
  for (const node of graph.nodes) {
    const s = schemaOf(node);
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
