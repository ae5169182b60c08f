import type { DType } from './dtype.js';
import { graphError } from './errors.js';
import type { Shape } from './shape.js';
import type { Tensor } from './tensor.js';

/** Quantization parameters of a value: per-tensor when `axis` is undefined, else per-channel along `axis`. */
export interface QuantParams {
  scale: number[];
  zeroPoint: number[];
  axis?: number;
  /** Bit width of the integer grid (8 for int8/uint8; fewer for low-bit search). */
  bits: number;
}

/** Attribute values. Which type each attribute has is declared once in the op schema. */
export type AttrValue = number | string | boolean | number[] | string[] | Tensor | Graph;
export type Attrs = Record<string, AttrValue>;

/** An edge of the graph: produced by one node (or a graph input / initializer), read by any number of nodes. */
export class Value {
  name: string;
  dtype: DType;
  /** Unknown until shape inference ran (undefined), static, or with symbolic dims. */
  shape: Shape | undefined;
  quant?: QuantParams;
  /** Constant data when this value is an initializer. */
  data?: Tensor;
  /** Initializer updated by training (kept in session-owned buffers by the runtime). */
  trainable = false;
  /** The node producing this value (undefined for graph inputs and initializers). */
  producer?: Node;

  constructor(name: string, dtype: DType, shape?: Shape) {
    this.name = name;
    this.dtype = dtype;
    this.shape = shape;
  }

  get isConstant(): boolean { return this.data !== undefined; }
}

export class Node {
  name: string;
  op: string;
  /** Ordered inputs; `null` marks an omitted optional input. */
  inputs: (Value | null)[];
  outputs: Value[];
  attrs: Attrs;

  constructor(name: string, op: string, inputs: (Value | null)[], outputs: Value[], attrs: Attrs = {}) {
    this.name = name;
    this.op = op;
    this.inputs = inputs;
    this.outputs = outputs;
    this.attrs = attrs;
  }

  /** Reads an attribute, falling back to `dflt`; schemas (ops/) know the declared defaults. */
  attr<T extends AttrValue>(name: string, dflt: T): T {
    const v = this.attrs[name];
    return (v === undefined ? dflt : v) as T;
  }
}

/**
 * A dataflow graph. `nodes` is kept in topological order by the editing methods (call
 * `topoSort()` after arbitrary surgery). Every value is registered by unique name in `values`.
 */
export class Graph {
  name: string;
  nodes: Node[] = [];
  inputs: Value[] = [];
  outputs: Value[] = [];
  readonly values = new Map<string, Value>();
  /** Free-form metadata (producer, source format, opset...). Preserved by .gcm. */
  metadata: Record<string, string> = {};
  private nameCounter = 0;

  constructor(name = 'main') {
    this.name = name;
  }

  /** Initializers in registration order. */
  get initializers(): Value[] {
    return [...this.values.values()].filter((v) => v.data !== undefined);
  }

  /** A name not yet used by any value or node, based on `base`. */
  uniqueName(base: string): string {
    let name = base;
    while (this.values.has(name) || this.nodes.some((n) => n.name === name)) name = `${base}_${++this.nameCounter}`;
    return name;
  }

  value(name: string): Value {
    const v = this.values.get(name);
    if (!v) throw graphError(`graph '${this.name}' has no value named '${name}'`);
    return v;
  }

  /** Creates and registers a new value (the name is made unique if taken). */
  addValue(name: string, dtype: DType, shape?: Shape): Value {
    const v = new Value(this.uniqueName(name), dtype, shape);
    this.values.set(v.name, v);
    return v;
  }

  addInput(name: string, dtype: DType, shape: Shape): Value {
    if (this.values.has(name)) throw graphError(`graph input '${name}' duplicates an existing value name`);
    const v = this.addValue(name, dtype, shape);
    this.inputs.push(v);
    return v;
  }

  /** Registers a constant (initializer). */
  addConstant(name: string, t: Tensor, opts: { trainable?: boolean } = {}): Value {
    const v = this.addValue(name, t.type, [...t.dims]);
    v.data = t;
    v.trainable = opts.trainable ?? false;
    return v;
  }

  /**
   * Appends a node. `outputs` are either existing values without a producer or output specs
   * ({name, dtype, shape?}) to create. Pass `before` to insert ahead of a node (keeps topo order).
   */
  addNode(
    op: string,
    inputs: (Value | null)[],
    outputs: (Value | { name: string; dtype: DType; shape?: Shape })[],
    attrs: Attrs = {},
    opts: { name?: string; before?: Node } = {},
  ): Node {
    const outs = outputs.map((o) => (o instanceof Value ? o : this.addValue(o.name, o.dtype, o.shape)));
    for (const o of outs) {
      if (o.producer) throw graphError(`value '${o.name}' already produced by node '${o.producer.name}'`);
      if (!this.values.has(o.name)) this.values.set(o.name, o);
    }
    const node = new Node(this.uniqueName(opts.name ?? `${op}_${this.nodes.length}`), op, inputs, outs, attrs);
    for (const o of outs) o.producer = node;
    const at = opts.before ? this.nodes.indexOf(opts.before) : -1;
    if (at >= 0) this.nodes.splice(at, 0, node);
    else this.nodes.push(node);
    return node;
  }

  /** Removes a node; its outputs lose their producer (remove them or give them a new one). */
  removeNode(node: Node): void {
    const i = this.nodes.indexOf(node);
    if (i < 0) throw graphError(`node '${node.name}' is not in graph '${this.name}'`);
    this.nodes.splice(i, 1);
    for (const o of node.outputs) if (o.producer === node) o.producer = undefined;
  }

  /** Nodes reading `v` (a node reading it twice appears once). */
  consumers(v: Value): Node[] {
    return this.nodes.filter((n) => n.inputs.includes(v));
  }

  /** Redirects every read of `from` (node inputs and graph outputs) to `to`. */
  replaceAllUses(from: Value, to: Value): void {
    for (const n of this.nodes) n.inputs = n.inputs.map((x) => (x === from ? to : x));
    this.outputs = this.outputs.map((x) => (x === from ? to : x));
  }

  /** Drops values nothing refers to (not inputs, outputs, node inputs or node outputs). */
  pruneValues(): void {
    const used = new Set<Value>([...this.inputs, ...this.outputs]);
    for (const n of this.nodes) {
      for (const v of n.inputs) if (v) used.add(v);
      for (const v of n.outputs) used.add(v);
    }
    for (const [k, v] of this.values) if (!used.has(v)) this.values.delete(k);
  }

  /** Re-orders `nodes` topologically; throws E_GRAPH on a cycle. */
  topoSort(): void {
    const order: Node[] = [];
    const state = new Map<Node, 1 | 2>();
    const visit = (n: Node) => {
      const s = state.get(n);
      if (s === 2) return;
      if (s === 1) throw graphError(`graph '${this.name}' has a cycle through node '${n.name}'`);
      state.set(n, 1);
      for (const v of n.inputs) if (v?.producer && this.nodes.includes(v.producer)) visit(v.producer);
      state.set(n, 2);
      order.push(n);
    };
    for (const n of this.nodes) visit(n);
    this.nodes = order;
  }
}

/**
 * A structural copy of `g` (e.g. for plan-time shape specialisation or trying input shapes): new Values and Nodes (so shape
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
