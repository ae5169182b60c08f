import { GoldcrestError, type Graph, type Tensor, cloneGraph, inferShapes, isStatic, shapeError } from '@goldcrest/core-ir';
import { parseInputFiles, parseInputShapes } from '../args.js';
import { UsageError } from '../errors.js';
import type { Io } from '../io.js';
import type { Isa } from '@goldcrest/runtime-native';
import { randomTensorOf, rng } from '../random.js';
import { defaultThreads, openModel } from '../session.js';
import { type LatencyStats, fmtShape, latencyStats } from '../stats.js';
import { type OpProfile, formatProfile, summarizeProfile } from './profile.js';
import { decodeFeed, inlineFeed, modelInput } from './run.js';

export interface BenchFlags {
  threads?: number;
  /** Force a microkernel ISA (default: the best this CPU supports). */
  isa?: Isa;
  loops?: number;
  warmup?: number;
  json?: boolean;
  inputShape?: string[];
  input?: string[];
  seed?: number;
  /** Also print a per-op-type profile (median node times over extra profiled runs). */
  profile?: boolean;
}

export interface BenchResult {
  model: string;
  threads: number;
  /** Microkernel ISA the runtime picked (or was forced to with GOLDCREST_ISA). */
  isa: string | null;
  loops: number;
  warmup: number;
  inputs: Record<string, { dtype: string; shape: number[] }>;
  /** Symbolic dims bench chose itself (none were pinned by --input-shape / --input), e.g. "x[2]=32". */
  filledFreeDims: string[];
  loadMs: number;
  latencyMs: LatencyStats;
  peakRssMiB: number;
  /** With --profile: time per op type (share, GFLOP/s for conv / matmul) and the slowest nodes. */
  profile?: OpProfile;
}

/** Seeded random feeds for every graph input; symbolic dims must be pinned by `shapes`. */
export function randomFeeds(graph: Graph, shapes: Record<string, number[]>, seed: number): Record<string, Tensor> {
  const next = rng(seed);
  const feeds: Record<string, Tensor> = {};
  for (const v of graph.inputs) {
    const given = shapes[v.name];
    const shape = given ?? v.shape;
    if (!shape || !isStatic(shape)) {
      const example = (v.shape ?? []).map((d) => (typeof d === 'number' ? d : `<${d}>`)).join(',');
      throw shapeError(`input '${v.name}' has shape ${fmtShape(v.shape)} with symbolic dims: pin it with --input-shape ${v.name}=${example || '<dims>'} (numbers for every <dim>), or feed a tensor with --input ${v.name}=file.npy`);
    }
    if (given && v.shape && (v.shape.length !== given.length || v.shape.some((d, i) => typeof d === 'number' && d !== given[i]))) {
      throw shapeError(`--input-shape ${v.name}=${given.join(',')} does not fit the model's input shape ${fmtShape(v.shape)}`);
    }
    feeds[v.name] = randomTensorOf(v.dtype, shape, next);
  }
  return feeds;
}

const FREE_DIM_CANDIDATES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048];

/**
 * Chooses sizes for the symbolic input dims nobody pinned, so `bench` works on a model converted
 * without --input-shape. Like onnxruntime_perf_test, free dims are 1 — a leading (batch) dim
 * always; the other free dims are doubled from 1 until shape inference accepts the whole graph
 * (a pooling window must fit the map). The choice is reported, never hidden.
 */
export function fillFreeDims(graph: Graph, shapes: Record<string, number[]>): string[] {
  const open = graph.inputs.filter((v) => !shapes[v.name] && v.shape && !isStatic(v.shape));
  if (open.length === 0) return [];
  const trial = (size: number): Record<string, number[]> =>
    Object.fromEntries(open.map((v) => [v.name, v.shape!.map((d, i) => (typeof d === 'number' ? d : i === 0 ? 1 : size))]));
  for (const size of FREE_DIM_CANDIDATES) {
    const candidate = trial(size);
    const g = cloneGraph(graph);
    for (const v of g.inputs) v.shape = candidate[v.name] ?? shapes[v.name] ?? v.shape;
    try {
      inferShapes(g, { propagate: true });
    } catch (e) {
      if (e instanceof GoldcrestError && e.code === 'E_SHAPE') continue;
      throw e;
    }
    Object.assign(shapes, candidate);
    return open.flatMap((v) => v.shape!.flatMap((d, i) => (typeof d === 'number' ? [] : [`${v.name}[${i}] ${d}=${candidate[v.name][i]}`])));
  }
  return []; // nothing fits: randomFeeds names the input and asks for --input-shape
}

export async function benchCommand(model: string, flags: BenchFlags, io: Io): Promise<BenchResult> {
  const threads = flags.threads ?? defaultThreads();
  const loops = flags.loops ?? 100;
  const warmup = flags.warmup ?? 10;
  const shapes = parseInputShapes(flags.inputShape);
  const files = parseInputFiles(flags.input);
  for (const f of files) {
    if (!f.name) throw new UsageError(`bench --input needs a name: --input <name>=${f.path}`);
  }
  const given: Record<string, Tensor> = Object.fromEntries(files.filter((f) => !f.values).map((f) => [f.name!, decodeFeed(f.path)]));
  for (const [name, t] of Object.entries(given)) shapes[name] ??= [...t.dims];

  const { graph, session, loadMs } = await openModel(model, threads, shapes, flags.isa, flags.profile === true);
  try {
    for (const f of files) {
      if (!f.values) continue;
      given[f.name!] = inlineFeed({ ...f, values: f.values }, modelInput(graph, f.name!, f.path));
    }
    const filledFreeDims = fillFreeDims(graph, shapes);
    const feeds = { ...randomFeeds(graph, shapes, flags.seed ?? 1), ...given };
    for (let i = 0; i < warmup; i++) await session.run(feeds);
    const samples: number[] = [];
    for (let i = 0; i < loops; i++) {
      const t0 = performance.now();
      await session.run(feeds);
      samples.push(performance.now() - t0);
    }
    // Extra runs after the timed ones; the session reads the clock around every node.
    let profile: OpProfile | undefined;
    if (flags.profile) {
      const runs = [];
      for (let i = 0; i < Math.min(loops, 30); i++) {
        await session.run(feeds);
        runs.push(session.lastProfile());
      }
      profile = summarizeProfile(graph, runs);
    }
    const result: BenchResult = {
      model,
      threads,
      isa: session.isa ?? null,
      loops,
      warmup,
      inputs: Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { dtype: t.type, shape: [...t.dims] }])),
      filledFreeDims,
      loadMs,
      latencyMs: latencyStats(samples),
      peakRssMiB: process.resourceUsage().maxRSS / 1024, // maxRSS is in KiB
      ...(profile ? { profile } : {}),
    };
    if (flags.json) {
      io.out(JSON.stringify(result));
    } else {
      const l = result.latencyMs;
      const ms = (x: number) => `${x.toFixed(3)} ms`;
      io.out(`bench ${model}: ${threads} thread${threads > 1 ? 's' : ''}, ${result.isa ?? 'default'} kernels, ${loops} loops after ${warmup} warmup`);
      io.out(`  inputs   ${Object.entries(result.inputs).map(([k, v]) => `${k} ${v.dtype} ${fmtShape(v.shape)}`).join(', ')}`);
      if (filledFreeDims.length) io.out(`  free dims chosen by bench (pin with --input-shape): ${filledFreeDims.join(', ')}`);
      io.out(`  load     ${ms(loadMs)}`);
      io.out(`  latency  median ${ms(l.median)}  min ${ms(l.min)}  p90 ${ms(l.p90)}  mean ${ms(l.mean)}`);
      io.out(`  peak RSS ${result.peakRssMiB.toFixed(1)} MiB`);
      if (profile) for (const line of formatProfile(profile)) io.out(line);
    }
    return result;
  } finally {
    await session.release();
  }
}
