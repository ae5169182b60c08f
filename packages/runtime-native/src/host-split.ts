// Host ops: nodes whose output shape depends on the data of a tensor computed in the same run
// (NonMaxSuppression on a detector's scores, NonZero of a computed mask...). A native plan needs
// every shape before the run starts, so the graph is cut at such a node: the nodes before it run
// as one native session, the node itself runs on the host (core-ir's reference evaluator), and the
// nodes after it run as another session whose inputs now have known dims (it plans per dims as
// any session does, and may cut again at a later host op). When the node's inputs are constants
// or small graph inputs, the planner folds it instead and no cut is made.
import { type Graph, GoldcrestError, type Node, type Tensor, type Value, cloneGraph, getSchema, resolveAttrs } from '@goldcrest/core-ir';

/** Ops with data-dependent output shapes that may run on the host between native segments. */
export const HOST_OPS: ReadonlySet<string> = new Set(['NonMaxSuppression', 'NonZero', 'Unique', 'Compress']);

/** The structural part of InferenceSession a split needs (avoids an import cycle). */
export interface SegmentSession {
  readonly inputNames: readonly string[];
  readonly isa: string | undefined;
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  lastProfile(): { node: string; op: string; ms: number }[];
  release(): Promise<void>;
}

/**
 * The top-level node of `graph` a failed lowering should be cut at: the error is tagged with a node
 * (plan.ts atNode) that is a host op and exists at the top level of `graph` (a host op inside an
 * If/Loop body cannot be cut out). Undefined when the error is anything else.
 */
export function hostCutPoint(e: unknown, graph: Graph | undefined): Node | undefined {
  if (!graph) return undefined;
  // The tag may sit on a cause (lowerGraph re-wraps errors to name the model's opset).
  let at: Node | undefined;
  for (let c: unknown = e; c instanceof GoldcrestError && !at; c = c.cause) at = (c as GoldcrestError & { node?: Node }).node;
  if (!at || !HOST_OPS.has(at.op)) return undefined;
  return graph.nodes.find((n) => n.name === at.name && n.op === at.op);
}

export class HostSplit {
  /** Created on the first run, when the ranks of the values crossing into it are known. */
  private suffix: SegmentSession | undefined;

  private constructor(
    private readonly prefix: SegmentSession | undefined,
    private readonly host: Node,
    private readonly openSuffix: ((ranks: Map<string, number>) => Promise<SegmentSession>) | undefined,
    /** Values that cross into the suffix (made before the cut, and the host node's outputs). */
    private readonly suffixInputs: readonly string[],
    private readonly outputs: readonly string[],
    /** Graph outputs that are constants (initializers), by name. */
    private readonly constants: ReadonlyMap<string, Tensor>,
  ) {}

  /** Cuts `graph` at top-level node `at`; `open` creates a session for a segment graph. */
  static async create(graph: Graph, at: Node, open: (g: Graph) => Promise<SegmentSession>): Promise<HostSplit> {
    const g = cloneGraph(graph);
    g.topoSort();
    const cut = g.nodes.findIndex((n) => n.name === at.name);
    if (cut < 0) throw new GoldcrestError('E_INTERNAL', `host split: node '${at.name}' not found`);
    const before = g.nodes.slice(0, cut), host = g.nodes[cut], after = g.nodes.slice(cut + 1);
    const producedBefore = new Set(before.flatMap((n) => n.outputs));
    const readLater = new Set<Value>([...host.inputs, ...after.flatMap((n) => n.inputs), ...g.outputs].filter((v): v is Value => !!v));
    const crossing = [...producedBefore].filter((v) => readLater.has(v));

    const prefix = before.length && crossing.length ? await open(segment(graph, cut, 'prefix', crossing.map((v) => v.name))) : undefined;
    const producedAfter = new Set(after.flatMap((n) => n.outputs));
    const suffixOutputs = g.outputs.filter((v) => producedAfter.has(v)).map((v) => v.name);
    const suffixInputs = [...crossing, ...host.outputs].map((v) => v.name);
    const openSuffix = suffixOutputs.length
      ? (ranks: Map<string, number>) => open(segment(graph, cut, 'suffix', suffixOutputs, ranks))
      : undefined;
    const constants = new Map(g.outputs.filter((v) => v.data).map((v) => [v.name, v.data!] as const));
    return new HostSplit(prefix, host, openSuffix, suffixInputs, g.outputs.map((v) => v.name), constants);
  }

  /** The ISA of the native segments. */
  get isa(): string | undefined {
    return this.prefix?.isa ?? this.suffix?.isa;
  }

  /** Per-node times of the last run: the native segments' nodes (when profiling) and the host node. */
  lastProfile(): { node: string; op: string; ms: number }[] {
    return [...(this.prefix?.lastProfile() ?? []), { node: this.host.name, op: this.host.op, ms: this.hostMs }, ...(this.suffix?.lastProfile() ?? [])];
  }

  private hostMs = 0;

  async run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    const env = new Map<string, Tensor>(Object.entries(feeds));
    if (this.prefix) for (const [k, t] of Object.entries(await this.prefix.run(feeds))) env.set(k, t);
    const valueOf = (v: Value | null): Tensor | undefined => {
      if (!v) return undefined;
      const t = v.data ?? env.get(v.name);
      if (!t) throw new GoldcrestError('E_INTERNAL', `host op '${this.host.name}': input '${v.name}' was not computed`);
      return t;
    };
    let outs: Tensor[];
    const t0 = performance.now();
    try {
      outs = getSchema(this.host.op).evaluate!(this.host.inputs.map(valueOf), resolveAttrs(this.host));
      this.hostMs = performance.now() - t0;
    } catch (e) {
      if (e instanceof GoldcrestError) throw new GoldcrestError(e.code, `node '${this.host.name}' (${this.host.op}, run on the host): ${e.message}`, { cause: e });
      throw e;
    }
    this.host.outputs.forEach((o, i) => env.set(o.name, outs[i]));
    if (this.openSuffix) {
      this.suffix ??= await this.openSuffix(new Map(this.suffixInputs.map((n) => [n, env.get(n)!.dims.length])));
      const sf = Object.fromEntries(this.suffix.inputNames.map((n) => [n, env.get(n)!]));
      for (const [k, t] of Object.entries(await this.suffix.run(sf))) env.set(k, t);
    }
    const result: Record<string, Tensor> = {};
    for (const name of this.outputs) {
      const t = env.get(name) ?? this.constants.get(name);
      if (!t) throw new GoldcrestError('E_INTERNAL', `host split: output '${name}' was not computed`);
      result[name] = t;
    }
    return result;
  }

  async release(): Promise<void> {
    await this.prefix?.release();
    await this.suffix?.release();
  }
}

/**
 * One side of the cut at topological position `cut` of `source`: 'prefix' keeps the nodes before
 * it with `outputs` as graph outputs; 'suffix' keeps the nodes after it, and `newInputs` (values
 * made before the cut, and the host node's outputs; name -> rank) become graph inputs with one
 * free dim per axis.
 */
function segment(source: Graph, cut: number, side: 'prefix' | 'suffix', outputs: string[], newInputs = new Map<string, number>()): Graph {
  const g = cloneGraph(source);
  g.topoSort();
  const drop = side === 'prefix' ? g.nodes.slice(cut) : g.nodes.slice(0, cut + 1);
  for (const n of drop) g.removeNode(n);
  g.outputs = outputs.map((n) => g.value(n));
  for (const [name, rank] of newInputs) {
    const v = g.value(name);
    v.producer = undefined;
    v.data = undefined;
    // Free dims: the suffix plans per concrete dims, as any session does for symbolic inputs.
    v.shape = Array.from({ length: rank }, (_, i) => `${name}:${i}`);
    g.inputs.push(v);
  }
  // Inputs the segment no longer reads stay declared: the session feeds every input it was given.
  g.pruneValues();
  return g;
}
