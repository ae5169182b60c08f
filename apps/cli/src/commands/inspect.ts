import type { OptimizeReport } from '@goldcrest/converter';
import { type Graph, inferShapes, isStatic } from '@goldcrest/core-ir';
import { parseInputShapes } from '../args.js';
import type { Io } from '../io.js';
import { loadModel } from '../model.js';
import { type ModelStats, fmtBytes, fmtCount, fmtShape, modelStats, sortedOps } from '../stats.js';

export interface InspectFlags {
  json?: boolean;
  inputShape?: string[];
}

export interface InspectResult extends ModelStats {
  model: string;
  format: string;
  metadata: Record<string, string>;
  /** Converted models: what the optimizer did (node counts, op histograms, applications per rule). */
  optimizer?: {
    nodesBefore: number;
    opsBefore: Record<string, number>;
    layout: string;
    rounds: number;
    converged: boolean;
    totals: Record<string, number>;
    passes: { pass: string; applied: Record<string, number>; ms: number }[];
  };
}

/** Pins symbolic input dims of a .gcm given with --input-shape and re-runs shape inference (for MACs). */
function pinShapes(graph: Graph, shapes: Record<string, number[]>): void {
  let changed = false;
  for (const v of graph.inputs) {
    if (shapes[v.name]) { v.shape = [...shapes[v.name]]; changed = true; }
  }
  if (changed) inferShapes(graph, { propagate: true });
}

const optimizerSummary = (r: OptimizeReport): InspectResult['optimizer'] => ({
  nodesBefore: r.nodesBefore,
  opsBefore: sortedOps(r.opsBefore),
  layout: r.layout,
  rounds: r.rounds,
  converged: r.converged,
  totals: r.totals,
  passes: r.passes.map((p) => ({ pass: p.pass, applied: p.applied, ms: p.ms })),
});

export async function inspectCommand(model: string, flags: InspectFlags, io: Io): Promise<InspectResult> {
  const inputShapes = parseInputShapes(flags.inputShape);
  const { graph, format, report } = await loadModel(model, { inputShapes });
  if (format === 'gcm') pinShapes(graph, inputShapes);
  const result: InspectResult = {
    model, format, metadata: { ...graph.metadata }, ...modelStats(graph),
    ...(report ? { optimizer: optimizerSummary(report) } : {}),
  };
  if (flags.json) io.out(JSON.stringify(result));
  else printInspect(result, io);
  return result;
}

function table(rows: string[][], indent = '  '): string[] {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => r[c].length))) ?? [];
  return rows.map((r) => indent + r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  '));
}

function printInspect(r: InspectResult, io: Io): void {
  const lines = (rows: string[][]) => { for (const l of table(rows)) io.out(l); };
  io.out(`model: ${r.model} (${r.format})`);
  io.out('inputs:');
  lines(r.inputs.map((v) => [v.name, v.dtype, fmtShape(v.shape)]));
  io.out('outputs:');
  lines(r.outputs.map((v) => [v.name, v.dtype, fmtShape(v.shape)]));
  io.out(`ops: ${r.nodes} nodes`);
  lines(Object.entries(r.ops).map(([op, n]) => [op, String(n)]));
  io.out(`parameters: ${fmtCount(r.params)} (${r.params} values, ${fmtBytes(r.paramBytes)})`);
  io.out(r.macs === null
    ? `MACs: unknown: ${r.macsUnknown.length} node(s) have symbolic or unknown shapes (pin the inputs with --input-shape name=d0,d1,...)`
    : `MACs: ${fmtCount(r.macs)} (${r.macs})`);
  const o = r.optimizer;
  if (o) {
    io.out(`optimizer (${o.layout}, ${o.rounds} round${o.rounds > 1 ? 's' : ''}${o.converged ? '' : ', step limit hit'}): ${o.nodesBefore} -> ${r.nodes} nodes`);
    io.out(`  before: ${Object.entries(o.opsBefore).map(([op, n]) => `${op} ${n}`).join(', ')}`);
    const applied = Object.entries(o.totals).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
    lines(applied.map(([rule, n]) => [rule, `x${n}`]));
  }
}
