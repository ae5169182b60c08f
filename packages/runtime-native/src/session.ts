// The user API, shaped like onnxruntime-node's InferenceSession.
import { availableParallelism } from 'node:os';
import {
  type Dim, type DType, Graph, GoldcrestError, Tensor, cloneGraph, deserializeGraph, getSchema, hasSchema, loadGcm, validateGraph, viewData,
} from '@goldcrest/core-ir';
import { callNative, fromNative, nativeAddon, type NativeSession } from './native.js';
import { type ExecutionPlan, NeedsInputValues, isRunnableOp, lowerGraph } from './plan.js';
import { HostSplit, hostCutPoint } from './host-split.js';

export type Isa = 'scalar' | 'avx2' | 'avx512';
export const ISAS: readonly Isa[] = ['scalar', 'avx2', 'avx512'];

export interface SessionOptions {
  /** Threads of the pool (the calling worker counts as one). Default: available parallelism. */
  threads?: number;
  /** Force a microkernel ISA (tests, debugging). Default: env GOLDCREST_ISA, else the best this CPU supports. */
  isa?: Isa;
  /** Record the wall time of every node of each run (see `lastProfile()`); costs a clock read per node. */
  profile?: boolean;
}

/** One node's share of a profiled run. */
export interface NodeProfile { node: string; op: string; ms: number }

export interface ValueMetadata {
  name: string;
  type: DType;
  /** Dims as declared by the model: numbers or symbols ('N', ...). */
  shape: Dim[];
}

interface Compiled { plan: ExecutionPlan; native: NativeSession }

/** Plans kept per session for distinct input shapes / specialised values (least recently used ones are freed). */
const MAX_PLANS = 8;

/** A loaded model ready to run. Create with `InferenceSession.create`. */
export class InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly ValueMetadata[];
  readonly outputMetadata: readonly ValueMetadata[];
  /** Kept for planning new input shapes; dropped once a fully static model is planned (frees the weights). */
  private graph: Graph | undefined;
  private readonly options: { threads: number; isa?: Isa; profile: boolean };
  private lastRun: Compiled | undefined;
  /** One native session (own plan and arena) per concrete input-dims signature. */
  private readonly plans = new Map<string, Compiled>();
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * Graph inputs whose VALUES plans are specialised on (learned on the first plan that needed
   * them: Reshape shapes, axes, trip counts, If conditions... fed as small integer inputs).
   */
  private readonly valueInputs = new Set<string>();
  /** Per plan key: the graph cut at a host op (host-split.ts) when it cannot be planned whole. */
  private readonly splits = new Map<string, HostSplit>();
  private lastSplit: HostSplit | undefined;
  private released = false;

  private constructor(graph: Graph, options: { threads: number; isa?: Isa; profile: boolean }) {
    this.graph = graph;
    this.options = options;
    this.inputNames = graph.inputs.map((v) => v.name);
    this.outputNames = graph.outputs.map((v) => v.name);
    const meta = (v: Graph['inputs'][number]): ValueMetadata => ({ name: v.name, type: v.dtype, shape: [...(v.shape ?? [])] });
    this.inputMetadata = graph.inputs.map(meta);
    this.outputMetadata = graph.outputs.map(meta);
  }

  /**
   * Loads a model: a .gcm path, .gcm bytes, or a core-ir Graph (e.g. from the converter; it must be
   * NHWC-optimized). A model with static input dims is planned (and its weights packed) here;
   * symbolic dims are planned on the first run with each concrete shape.
   */
  static async create(model: string | Uint8Array | ArrayBuffer | Graph, options: SessionOptions = {}): Promise<InferenceSession> {
    const opts = resolveOptions(options);
    let graph: Graph;
    if (typeof model === 'string') graph = await loadModelFile(model);
    else if (model instanceof Graph) graph = cloneGraph(model);  // later edits to the caller's graph do not leak in
    else if (model instanceof Uint8Array) graph = deserializeGraph(model);
    else if (model instanceof ArrayBuffer) graph = deserializeGraph(new Uint8Array(model));
    else throw new GoldcrestError('E_ARGUMENT', 'InferenceSession.create: expected a .gcm path, .gcm bytes (Uint8Array/ArrayBuffer) or a Graph');
    validateGraph(graph);
    for (const n of graph.nodes) {
      if (!hasSchema(n.op)) throw new GoldcrestError('E_UNSUPPORTED_OP', `node '${n.name}': op '${n.op}' has no core-ir schema`);
      if (!isRunnableOp(n.op) && !getSchema(n.op).evaluate) {
        throw new GoldcrestError('E_UNSUPPORTED_OP', `node '${n.name}': runtime-native has no kernel for op '${n.op}'`);
      }
    }
    for (const v of graph.inputs) {
      if (!v.shape) throw new GoldcrestError('E_SHAPE', `input '${v.name}' has no declared shape; give its rank (dims may be symbols)`);
    }
    const session = new InferenceSession(graph, opts);
    const available = nativeAddon().supportedIsas();  // also fails early (E_RUNTIME) when the addon is not built
    if (opts.isa && !available.includes(opts.isa)) {
      throw new GoldcrestError('E_ARGUMENT', `ISA '${opts.isa}' is not available on this CPU/build (available: ${available.join(', ')}); unset GOLDCREST_ISA or pick one of those`);
    }
    if (graph.inputs.every((v) => v.shape!.every((d) => typeof d === 'number'))) {
      try {
        session.compile(Object.fromEntries(graph.inputs.map((v) => [v.name, v.shape as number[]])));
        // Every valid feed has these dims, so no other plan will be needed: free the weights, unless
        // trainable initializers may be updated (a plan that folded one is rebuilt from the graph).
        if (!graph.initializers.some((v) => v.trainable)) session.graph = undefined;
      } catch (e) {
        // Static dims, but the plan depends on the values of small inputs (or a host op's output
        // shape on the data): planned on the first run.
        if (!(e instanceof NeedsInputValues) && !hostCutPoint(e, graph)) throw e;
      }
    }
    return session;
  }

  /** The ISA of the microkernels this session runs (undefined before the first plan exists). */
  get isa(): string | undefined {
    for (const c of this.plans.values()) return c.native.isa;
    for (const sp of this.splits.values()) return sp.isa;
    return undefined;
  }

  /**
   * Runs the model. Executes off the event loop; concurrent calls on one session are queued.
   * Feeds are validated first: an unknown or missing name, a wrong dtype or dims -> E_FEED.
   */
  run(feeds: Record<string, Tensor>, fetches?: readonly string[]): Promise<Record<string, Tensor>> {
    return this.enqueue(async () => {
      const out = await this.runNow(feeds);
      if (fetches === undefined) return out;
      if (!Array.isArray(fetches)) throw new GoldcrestError('E_ARGUMENT', 'run(feeds, fetches): fetches must be an array of output names');
      const picked: Record<string, Tensor> = {};
      for (const name of fetches) {
        if (!(name in out)) throw new GoldcrestError('E_ARGUMENT', `unknown output '${name}'; the model's outputs are ${this.outputNames.map((n) => `'${n}'`).join(', ')}`);
        picked[name] = out[name];
      }
      return picked;
    });
  }

  /**
   * Replaces the values of trainable initializers (same dtype and dims), e.g. after a training
   * step. Queued behind in-flight runs; the next run uses the new values. The native copies are
   * updated in place and only the operators reading them re-pack (a plan whose shape folding used
   * a trainable value is rebuilt on its next run instead).
   */
  updateInitializers(values: Record<string, Tensor>): Promise<void> {
    return this.enqueue(async () => {
      if (this.released) throw new GoldcrestError('E_ARGUMENT', 'updateInitializers() on a released InferenceSession');
      const graph = this.graph;
      const updates = Object.entries(values ?? {}).map(([name, t]) => {
        const v = graph?.values.get(name);
        if (!v || !v.data) throw new GoldcrestError('E_ARGUMENT', `'${name}' is not an initializer of this model`);
        if (!v.trainable) throw new GoldcrestError('E_ARGUMENT', `initializer '${name}' is not marked trainable`);
        const tensor = asTensor(t, name);
        if (tensor.type !== v.data.type || tensor.dims.join() !== v.data.dims.join()) {
          throw new GoldcrestError('E_ARGUMENT', `initializer '${name}': expected ${v.data.type} [${v.data.dims.join(',')}], got ${tensor.type} [${tensor.dims.join(',')}]`);
        }
        return [v, tensor] as const;
      });
      for (const [v, t] of updates) v.data = t;
      if (updates.length === 0) return;
      // Cut graphs hold their own copies of the weights: cut again on the next run.
      for (const sp of this.splits.values()) await sp.release();
      this.splits.clear();
      this.lastSplit = undefined;
      for (const [key, c] of [...this.plans]) {
        if (c.plan.trainableFolded) {
          // A folded value depends on the old weights: plan this shape again on its next run.
          c.native.release();
          this.plans.delete(key);
          if (this.lastRun === c) this.lastRun = undefined;
          continue;
        }
        for (const [v, t] of updates) {
          for (const id of c.plan.trainable[v.name] ?? []) callNative(() => c.native.updateConstant(id, t.data as ArrayBufferView));
        }
      }
    });
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const result = this.queue.then(job);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Per-node wall times of the last completed run (sessions created with `profile: true`), in
   * plan order; fused and aliased nodes do not appear. Empty without profiling.
   */
  lastProfile(): NodeProfile[] {
    if (this.lastSplit) return this.options.profile ? this.lastSplit.lastProfile() : [];
    const ms = this.lastRun?.native.profile;
    if (!this.lastRun || !ms) return [];
    return this.lastRun.plan.native.nodes.map((n, i) => ({ node: n.name, op: n.op, ms: ms[i] }));
  }

  /** Frees native memory. Later `run` calls fail with E_ARGUMENT; an in-flight run completes first. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.queue;
    for (const c of this.plans.values()) c.native.release();
    this.plans.clear();
    for (const sp of this.splits.values()) await sp.release();
    this.splits.clear();
    this.lastSplit = undefined;
    this.lastRun = undefined;
  }

  private async runNow(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    if (this.released) throw new GoldcrestError('E_ARGUMENT', 'run() on a released InferenceSession; create a new session');
    const dims = this.checkFeeds(feeds);
    const split = this.splits.size ? this.splits.get(this.planKey(dims.dims, dims.tensors)) : undefined;
    if (split) return this.runSplit(split, dims.tensors);
    let compiled: Compiled;
    try {
      compiled = this.compile(dims.dims, dims.tensors);
    } catch (e) {
      // A node whose output shape depends on computed data: cut the graph there (host-split.ts).
      const at = hostCutPoint(e, this.graph);
      if (!at) throw e;
      const { threads, isa, profile } = this.options;
      const made = await HostSplit.create(this.graph!, at, (g) => InferenceSession.create(g, { threads, profile, ...(isa ? { isa } : {}) }));
      if (this.splits.size >= MAX_PLANS) {
        const [oldKey, old] = this.splits.entries().next().value!;
        await old.release();
        this.splits.delete(oldKey);
      }
      this.splits.set(this.planKey(dims.dims, dims.tensors), made);  // keyed after lowering: it may have learned value inputs
      return this.runSplit(made, dims.tensors);
    }
    const arrays = compiled.plan.inputs.map((p) => dims.tensors[p.name].data as ArrayBufferView);
    let buffers: ArrayBuffer[];
    try {
      buffers = await compiled.native.run(arrays);
    } catch (e) {
      throw fromNative(e);
    }
    this.lastRun = compiled;
    this.lastSplit = undefined;
    const out: Record<string, Tensor> = {};
    compiled.plan.outputs.forEach((o, i) => {
      out[o.name] = new Tensor(o.dtype, viewData(o.dtype, new Uint8Array(buffers[i])), o.dims);
    });
    return out;
  }

  private async runSplit(split: HostSplit, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    this.lastRun = undefined;
    const out = await split.run(feeds);
    this.lastSplit = split;
    return Object.fromEntries(this.outputNames.map((n) => [n, out[n]]));
  }

  /** Cache key: every input's dims, plus the values of the inputs plans specialise on. */
  private planKey(dims: Record<string, readonly number[]>, feeds?: Record<string, Tensor>): string {
    const key = this.inputNames.map((n) => dims[n].join('x')).join('|');
    if (!feeds || this.valueInputs.size === 0) return key;
    const vals = [...this.valueInputs].map((n) => `${n}=${Array.from(feeds[n].data as ArrayLike<number | bigint>, String).join(',')}`);
    return `${key}#${vals.join(';')}`;
  }

  /**
   * Lowers for these dims; when lowering needs the values of small inputs (and feeds are at hand),
   * learns them as value inputs and lowers again with their values as plan constants.
   */
  private lower(dims: Record<string, readonly number[]>, feeds?: Record<string, Tensor>): ExecutionPlan {
    for (;;) {
      const values = Object.fromEntries([...this.valueInputs].filter(() => feeds).map((n) => [n, feeds![n]]));
      try {
        return lowerGraph(this.graph!, dims, values);
      } catch (e) {
        if (!(e instanceof NeedsInputValues)) throw e;
        const fresh = e.inputs.filter((n) => !this.valueInputs.has(n));
        if (!feeds) throw e;  // planning at create: the caller defers to the first run
        if (fresh.length === 0) throw e.cause as GoldcrestError;
        for (const n of fresh) this.valueInputs.add(n);
      }
    }
  }

  private compile(dims: Record<string, readonly number[]>, feeds?: Record<string, Tensor>): Compiled {
    let key = this.planKey(dims, feeds);
    let c = this.plans.get(key);
    if (c) {
      this.plans.delete(key);  // re-insert: Map order is the LRU order
    } else {
      if (!this.graph) throw new GoldcrestError('E_INTERNAL', `no plan for input dims ${key} of a static model`);
      const plan = this.lower(dims, feeds);
      key = this.planKey(dims, feeds);  // lowering may have learned value inputs
      const addon = nativeAddon();
      const { threads, isa, profile } = this.options;
      const native = callNative(() => new addon.Session(plan.native, { threads, isa, profile }));
      for (const t of plan.native.tensors) delete t.data;  // C++ has its copies; let JS free the weights
      c = { plan, native };
      if (this.plans.size >= MAX_PLANS) {
        // Runs are serialised, so the evicted plan has no run in flight.
        const [oldKey, old] = this.plans.entries().next().value!;
        old.native.release();
        this.plans.delete(oldKey);
        if (this.lastRun === old) this.lastRun = undefined;
      }
    }
    this.plans.set(key, c);
    return c;
  }

  /** Validates feeds against the declared inputs; returns each input's tensor and concrete dims. */
  private checkFeeds(feeds: Record<string, Tensor>): { dims: Record<string, number[]>; tensors: Record<string, Tensor> } {
    if (typeof feeds !== 'object' || feeds === null) throw new GoldcrestError('E_FEED', 'run(feeds): feeds must be an object { inputName: Tensor }');
    for (const name of Object.keys(feeds)) {
      if (!this.inputNames.includes(name)) {
        throw new GoldcrestError('E_FEED', `unknown input '${name}'; the model's inputs are ${this.inputNames.map((n) => `'${n}'`).join(', ')}`);
      }
    }
    const symbols = new Map<string, [number, string]>();
    const out: Record<string, number[]> = {};
    const tensors: Record<string, Tensor> = {};
    for (const meta of this.inputMetadata) {
      const given = feeds[meta.name];
      if (given === undefined) throw new GoldcrestError('E_FEED', `missing input '${meta.name}' (${meta.type} ${JSON.stringify(meta.shape)})`);
      const t = asTensor(given, meta.name);
      tensors[meta.name] = t;
      if (t.type !== meta.type) throw new GoldcrestError('E_FEED', `input '${meta.name}': expected dtype ${meta.type}, got ${t.type}`);
      const got = t.dims;
      const want = meta.shape;
      const wantStr = () => JSON.stringify(want);  // only built for error messages
      if (got.length !== want.length) {
        throw new GoldcrestError('E_FEED', `input '${meta.name}': expected rank ${want.length} ${wantStr()}, got dims [${got.join(',')}]`);
      }
      want.forEach((d, i) => {
        if (typeof d === 'number') {
          if (got[i] !== d) throw new GoldcrestError('E_FEED', `input '${meta.name}': dim ${i} must be ${d} (expected ${wantStr()}), got dims [${got.join(',')}]`);
          return;
        }
        const bound = symbols.get(d);
        if (bound && bound[0] !== got[i]) {
          throw new GoldcrestError('E_FEED', `input '${meta.name}': dim ${i} ('${d}') is ${got[i]} but input '${bound[1]}' bound '${d}' to ${bound[0]}`);
        }
        symbols.set(d, [got[i], meta.name]);
      });
      out[meta.name] = [...got];
    }
    return { dims: out, tensors };
  }
}

/**
 * A core-ir Tensor, or anything shaped like one ({ type, data, dims }, e.g. an onnxruntime-node
 * Tensor or a Tensor from another copy of core-ir), re-validated as a Tensor.
 */
function asTensor(t: unknown, name: string): Tensor {
  if (t instanceof Tensor) return t;
  const o = t as { type?: unknown; data?: unknown; dims?: unknown } | null;
  if (o && typeof o === 'object' && typeof o.type === 'string' && ArrayBuffer.isView(o.data) && Array.isArray(o.dims)) {
    try {
      return new Tensor(o.type as DType, o.data as Float32Array, o.dims as number[]);
    } catch (e) {
      throw new GoldcrestError('E_FEED', `input '${name}': ${(e as Error).message}`, { cause: e });
    }
  }
  throw new GoldcrestError('E_FEED', `input '${name}': expected a Tensor, got ${t === null ? 'null' : Array.isArray(t) ? 'an array' : ArrayBuffer.isView(t) ? (t as object).constructor.name : typeof t}`);
}

/** loadGcm, with a hint when the file is another format (the runtime does not convert). */
async function loadModelFile(path: string): Promise<Graph> {
  try {
    return await loadGcm(path);
  } catch (e) {
    if (e instanceof GoldcrestError && e.code === 'E_MODEL_FORMAT' && !/\.gcm$/i.test(path)) {
      throw new GoldcrestError('E_MODEL_FORMAT', `${e.message}. InferenceSession runs .gcm models: convert this one first (\`goldcrest convert ${path} -o model.gcm\`, or pass the Graph from @goldcrest/converter's convert() to create())`, { cause: e });
    }
    throw e;
  }
}

function resolveOptions(o: SessionOptions): { threads: number; isa?: Isa; profile: boolean } {
  if (typeof o !== 'object' || o === null) throw new GoldcrestError('E_ARGUMENT', 'session options must be an object');
  const threads = o.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new GoldcrestError('E_ARGUMENT', `option threads must be an integer in 1..256, got ${String(o.threads)}`);
  }
  const isa = o.isa ?? (process.env.GOLDCREST_ISA || undefined);
  if (isa !== undefined && !ISAS.includes(isa as Isa)) {
    throw new GoldcrestError('E_ARGUMENT', `ISA '${isa}'${o.isa ? '' : ' (from GOLDCREST_ISA)'} is not one of ${ISAS.join(', ')}`);
  }
  return { threads, isa: isa as Isa | undefined, profile: o.profile === true };
}
