/** The converter's optimization pipeline: the passes in a fixed order, repeated to a fixed point. */
import { Graph, GoldcrestError, inferShapes, validateGraph } from '@goldcrest/core-ir';
import { type ApplyResult, type Rule, applyRules, eliminateDeadCode, mergeCounts } from '@goldcrest/rewrite';
import { foldBatchNormRules } from './fold-batchnorm.js';
import { foldConstants, reshapeOwnDimsRule } from './fold-constants.js';
import { fuseActivationRules } from './fuse-activations.js';
import { opHistogram } from './testing.js';
import { noopRule, powSquareRule } from './simplify.js';
import { convertToNHWC, layoutCleanupRules, layoutFinishRules } from './to-nhwc.js';

export interface OptimizeOptions {
  /** Data layout of the result's conv/pool nodes (NHWC is what the CPU kernels want). */
  layout?: 'NHWC' | 'NCHW';
  /** Step limit of each rule-table run (default 10000). */
  maxSteps?: number;
  /** Keep float16 weights float16: constant folding leaves their Casts to float32 in place. */
  keepFp16?: boolean;
}

export interface PassReport {
  pass: string;
  /** Applications per rule (rule tables) or a single count (function passes). */
  applied: Record<string, number>;
  converged: boolean;
  ms: number;
}

export interface OptimizeReport {
  layout: 'NHWC' | 'NCHW';
  passes: PassReport[];
  /** Total per rule / pass over the whole run (what `goldcrest inspect` prints). */
  totals: Record<string, number>;
  nodesBefore: number;
  nodesAfter: number;
  opsBefore: Record<string, number>;
  opsAfter: Record<string, number>;
  /** Pipeline rounds run (the pipeline repeats while constant folding still finds work). */
  rounds: number;
  converged: boolean;
}

const MAX_ROUNDS = 4;

/** Rules that simplify without changing layout; run before and after the layout change. */
export const simplifyRules: Rule[] = [noopRule, powSquareRule, reshapeOwnDimsRule, ...foldBatchNormRules, ...fuseActivationRules];

/**
 * Last: Transposes left after sinking become Reshapes where they only move size-1 axes, and
 * Reshape chains collapse (before that, a Transpose must stay one so it can cancel or sink).
 */
export const finishRules: Rule[] = [...layoutFinishRules, ...simplifyRules];

/**
 * Optimizes `graph` in place: constant and shape-subgraph folding, BatchNorm folding, activation
 * and bias fusion, NCHW -> NHWC (unless layout 'NCHW'), Transpose cleanup, dead-code removal; then
 * re-runs shape inference and validation. Returns what each pass did.
 */
export function optimize(graph: Graph, opts: OptimizeOptions = {}): OptimizeReport {
  const layout = opts.layout ?? 'NHWC';
  if (layout !== 'NHWC' && layout !== 'NCHW') {
    throw new GoldcrestError('E_ARGUMENT', `optimize: layout must be 'NHWC' or 'NCHW', got '${String(layout)}'`);
  }
  // Control-flow bodies (closed graphs: If/Loop/Scan, core-ir ops/control.ts) are optimized first, on their own.
  for (const n of graph.nodes) for (const a of Object.values(n.attrs)) if (a instanceof Graph) optimize(a, opts);
  inferShapes(graph);
  const nodesBefore = graph.nodes.length;
  const opsBefore = opHistogram(graph);
  const passes: PassReport[] = [];
  let converged = true;

  const timed = (pass: string, f: () => Record<string, number> | ApplyResult) => {
    const t0 = performance.now();
    const r = f();
    const res: PassReport = 'steps' in r && 'applied' in r
      ? { pass, applied: (r as ApplyResult).applied, converged: (r as ApplyResult).converged, ms: 0 }
      : { pass, applied: r as Record<string, number>, converged: true, ms: 0 };
    res.ms = performance.now() - t0;
    converged &&= res.converged;
    passes.push(res);
    return res;
  };
  const changed = (r: PassReport) => Object.values(r.applied).some((v) => v > 0);
  const rules = (table: Rule[]) => () => applyRules(graph, table, { maxSteps: opts.maxSteps, reinfer: true });

  let rounds = 0;
  let converted = false;
  for (;;) {
    rounds++;
    let any = changed(timed('foldConstants', () => ({ foldConstants: foldConstants(graph, { keepFp16: opts.keepFp16 }) })));
    any = changed(timed('simplify', rules(simplifyRules))) || any;
    if (layout === 'NHWC') {
      if (!converted) {
        any = changed(timed('toNHWC', () => ({ convertToNHWC: convertToNHWC(graph) }))) || any;
        converted = true;
      }
      any = changed(timed('layoutCleanup', rules([...layoutCleanupRules, ...simplifyRules]))) || any;
    }
    any = changed(timed('finish', rules(finishRules))) || any;
    any = changed(timed('eliminateDeadCode', () => ({ eliminateDeadCode: eliminateDeadCode(graph).removedNodes }))) || any;
    if (!any) break;
    if (rounds >= MAX_ROUNDS) {
      converged = false;
      break;
    }
  }

  inferShapes(graph);
  validateGraph(graph);
  const totals: Record<string, number> = {};
  for (const p of passes) mergeCounts(totals, p.applied);
  return {
    layout,
    passes,
    totals,
    nodesBefore,
    nodesAfter: graph.nodes.length,
    opsBefore,
    opsAfter: opHistogram(graph),
    rounds,
    converged,
  };
}

/** A short human-readable summary of a report (for `goldcrest inspect` / `convert --verbose`). */
export function formatOptimizeReport(r: OptimizeReport): string {
  const ms = r.passes.reduce((s, p) => s + p.ms, 0);
  const lines = [
    `optimize (${r.layout}): ${r.nodesBefore} -> ${r.nodesAfter} nodes, ${r.rounds} round(s), ${ms.toFixed(0)} ms${r.converged ? '' : ' (step limit reached)'}`,
  ];
  const applied = Object.entries(r.totals).filter(([, n]) => n > 0);
  const width = Math.max(0, ...applied.map(([k]) => k.length));
  for (const [k, n] of applied) lines.push(`  ${k.padEnd(width)}  ${n}`);
  const hist = (h: Record<string, number>) => Object.entries(h).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ');
  lines.push(`  before: ${hist(r.opsBefore)}`, `  after:  ${hist(r.opsAfter)}`);
  return lines.join('\n');
}
