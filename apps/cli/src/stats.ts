// Model statistics for `inspect` and `convert`: op histogram, parameter count, MACs.
import { opHistogram } from '@goldcrest/converter';
import { GoldcrestError, type Graph, type Node, type Shape, type Value, dtypeSize, isStatic, numel } from '@goldcrest/core-ir';

export interface ValueInfo {
  name: string;
  dtype: string;
  shape: (number | string)[] | null;
}

export interface ModelStats {
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  nodes: number;
  /** op -> count, most frequent first. */
  ops: Record<string, number>;
  /** Elements over all initializers (weights, biases, constants). */
  params: number;
  /** Bytes of all initializers. */
  paramBytes: number;
  /** Multiply-accumulates of Conv2D and MatMul nodes; null when a needed shape is unknown or symbolic. */
  macs: number | null;
  /** Nodes whose MACs could not be counted (unknown/symbolic shapes). */
  macsUnknown: string[];
}

export const valueInfo = (v: Value): ValueInfo => ({ name: v.name, dtype: v.dtype, shape: v.shape ? [...v.shape] : null });

/** op -> count, most frequent first (stable order for printing). */
export function sortedOps(ops: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(ops).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
}

const staticShape = (v: Value | null | undefined): number[] | undefined => (v?.shape && isStatic(v.shape) ? v.shape : undefined);

/**
 * MACs of one node, or undefined when its shapes are not static. Conv2D: N*OH*OW*O*KH*KW*(I/group)
 * (= output elements * weight elements per output channel); MatMul: batch*M*N*K (= output elements * K).
 */
export function nodeMacs(node: Node): number | undefined {
  if (node.op === 'Conv2D') {
    const y = staticShape(node.outputs[0]);
    const w = staticShape(node.inputs[1]);
    if (!y || !w) return undefined;
    return numel(y) * (numel(w) / w[0]);
  }
  if (node.op === 'MatMul') {
    const y = staticShape(node.outputs[0]);
    const a = staticShape(node.inputs[0]);
    if (!y || !a) return undefined;
    return numel(y) * a[a.length - 1];
  }
  return 0;
}

export function modelStats(graph: Graph): ModelStats {
  let params = 0;
  let paramBytes = 0;
  for (const v of graph.initializers) {
    const n = numel(v.data!.dims);
    params += n;
    paramBytes += n * dtypeSize(v.dtype);
  }
  let macs = 0;
  const macsUnknown: string[] = [];
  for (const n of graph.nodes) {
    const m = nodeMacs(n);
    if (m === undefined) macsUnknown.push(n.name);
    else macs += m;
  }
  return {
    inputs: graph.inputs.map(valueInfo),
    outputs: graph.outputs.map(valueInfo),
    nodes: graph.nodes.length,
    ops: sortedOps(opHistogram(graph)),
    params,
    paramBytes,
    macs: macsUnknown.length ? null : macs,
    macsUnknown,
  };
}

// --- latency ---

export interface LatencyStats {
  median: number;
  min: number;
  p90: number;
  mean: number;
  max: number;
}

/** Order statistics of a sample (p90 by nearest rank). */
export function latencyStats(samples: readonly number[]): LatencyStats {
  if (samples.length === 0) throw new GoldcrestError('E_ARGUMENT', 'no latency samples: --loops must be at least 1');
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  const mid = s.length >> 1;
  return {
    median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2,
    min: s[0],
    p90: at(0.9),
    mean: s.reduce((a, b) => a + b, 0) / s.length,
    max: s[s.length - 1],
  };
}

// --- formatting ---

export const fmtShape = (s: Shape | readonly (number | string)[] | null | undefined) => (s ? `[${s.join(',')}]` : '[?]');

/** 1234567 -> '1.23M'. */
export function fmtCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

export function fmtBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

export const fmtOps = (ops: Record<string, number>) => Object.entries(ops).map(([op, n]) => `${op} ${n}`).join(', ');
