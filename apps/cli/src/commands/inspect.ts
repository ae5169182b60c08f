import { type Graph, inferShapes, isStatic } from '@goldcrest/core-ir';
import { optimize } from '@goldcrest/converter';
import { parseInputShapes } from '../args.js';
import type { Io } from '../io.js';
import { isGcmPath, loadModel } from '../model.js';
import { type ModelStats, fmtBytes, fmtCount, fmtShape, modelStats } from '../stats.js';

export interface InspectFlags {
  json?: boolean;
  inputShape?: string[];
}

export interface InspectResult extends ModelStats {
  model: string;
  format: string;
  metadata: Record<string, string>;
  /** For converted models: the graph before the optimizer ran, and what the optimizer reported. */
  beforeOptimize?: { nodes: number; ops: Record<string, number> };
  optimizeReport?: unknown;
}

/** Pins symbolic input dims given with --input-shape and re-runs shape inference (for MACs). */
function pinShapes(graph: Graph, shapes: Record<string, number[]>): void {
  let changed = false;
  for (const v of graph.inputs) {
    if (shapes[v.name]) { v.shape = [...shapes[v.name]]; changed = true; }
  }
  const unknown = graph.nodes.some((n) => n.outputs.some((o) => !o.shape || !isStatic(o.shape)));
  if (changed || unknown) inferShapes(graph, { propagate: true });
}

export async function inspectCommand(model: string, flags: InspectFlags, io: Io): Promise<InspectResult> {
  const inputShapes = parseInputShapes(flags.inputShape);
  let result: InspectResult;
  if (isGcmPath(model)) {
    const { graph, format } = await loadModel(model);
    pinShapes(graph, inputShapes);
    result = { model, format, metadata: { ...graph.metadata }, ...modelStats(graph) };
  } else {
    // Convert without the optimizer first, so the report shows what each pass did to this model.
    const { graph, format } = await loadModel(model, { inputShapes, optimize: false });
    const before = modelStats(graph);
    const optimizeReport = await optimize(graph);
    result = {
      model, format, metadata: { ...graph.metadata }, ...modelStats(graph),
      beforeOptimize: { nodes: before.nodes, ops: before.ops },
      optimizeReport,
    };
  }
  if (flags.json) io.out(JSON.stringify(result, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
  else printInspect(result, io);
  return result;
}

function table(rows: string[][], indent = '  '): string[] {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => r[c].length))) ?? [];
  return rows.map((r) => indent + r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  '));
}

function printInspect(r: InspectResult, io: Io): void {
  io.out(`model: ${r.model} (${r.format})`);
  io.out('inputs:');
  for (const l of table(r.inputs.map((v) => [v.name, v.dtype, fmtShape(v.shape)]))) io.out(l);
  io.out('outputs:');
  for (const l of table(r.outputs.map((v) => [v.name, v.dtype, fmtShape(v.shape)]))) io.out(l);
  io.out(`ops: ${r.nodes} nodes`);
  for (const l of table(Object.entries(r.ops).map(([op, n]) => [op, String(n)]))) io.out(l);
  io.out(`parameters: ${fmtCount(r.params)} (${r.params} values, ${fmtBytes(r.paramBytes)})`);
  io.out(r.macs === null
    ? `MACs: unknown: ${r.macsUnknown.length} node(s) have symbolic or unknown shapes (pin inputs with --input-shape name=d0,d1,...)`
    : `MACs: ${fmtCount(r.macs)} (${r.macs})`);
  if (r.beforeOptimize) {
    io.out(`optimizer: ${r.beforeOptimize.nodes} -> ${r.nodes} nodes`);
    for (const line of reportLines(r.optimizeReport)) io.out(`  ${line}`);
  }
}

/** The optimizer's report, whatever its shape: a string, lines, per-pass records or a plain object. */
function reportLines(report: unknown): string[] {
  if (report === undefined || report === null) return [];
  if (typeof report === 'string') return report.split('\n');
  if (Array.isArray(report)) return report.flatMap((x) => reportLines(x));
  if (typeof report === 'object') {
    const o = report as Record<string, unknown>;
    if (typeof o.toString === 'function' && o.toString !== Object.prototype.toString) return String(o).split('\n');
    return [Object.entries(o).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(', ')];
  }
  return [String(report)];
}
