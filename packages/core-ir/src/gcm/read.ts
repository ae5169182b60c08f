// .gcm bytes -> Graph. Every read is bounds-checked (CheckedByteBuffer) and every reference is
// range-checked here; any failure is a GoldcrestError('E_MODEL_FORMAT') whose message names
// what was being decoded. Weights are returned as views of `bytes` (no copy) when aligned.
import { type DType, dtypeSize, viewData } from '../dtype.js';
import { GoldcrestError } from '../errors.js';
import { Graph, Node, Value, type AttrValue, type Attrs, type QuantParams } from '../graph.js';
import { validateGraph } from '../infer.js';
import type { Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { CheckedByteBuffer } from './checked-buffer.js';
import { HOST_LITTLE_ENDIAN, dtypeFromFile, swapBytes } from './codes.js';
import * as fb from './generated/index.js';
import { GCM_FILE_IDENTIFIER, GCM_VERSION } from './version.js';

/** Size prefix (4) + root offset (4) + identifier (4). */
const HEADER_BYTES = 12;
/** Nested graphs (If/Loop bodies) deeper than this are rejected: bounds recursion on hostile files. */
export const GCM_MAX_GRAPH_DEPTH = 32;

/** Does `bytes` start like a .gcm file (size prefix, then the 'GCM1' identifier)? Cheap; does not validate. */
export function isGcm(bytes: Uint8Array): boolean {
  if (!(bytes instanceof Uint8Array) || bytes.length < HEADER_BYTES) return false;
  for (let i = 0; i < 4; i++) if (bytes[8 + i] !== GCM_FILE_IDENTIFIER.charCodeAt(i)) return false;
  return true;
}

export interface GcmHeader {
  version: { major: number; minor: number };
  /** Who wrote the file, e.g. "@goldcrest/core-ir". */
  producer: string;
}

/** Reads only the header (version, producer) without decoding the graph. */
export function readGcmHeader(bytes: Uint8Array): GcmHeader {
  const r = new Reader(bytes);
  const model = r.open();
  return r.header(model);
}

/**
 * Decodes a .gcm file into a Graph and validates it. Never crashes or hangs on hostile input:
 * every problem is a GoldcrestError with code E_MODEL_FORMAT. The returned initializers view
 * `bytes` when their data is suitably aligned (always, for files this package writes and
 * buffers starting on an 8-byte boundary), so do not reuse `bytes` afterwards.
 */
export function deserializeGraph(bytes: Uint8Array): Graph {
  if (!(bytes instanceof Uint8Array)) {
    throw new GoldcrestError('E_ARGUMENT', `deserializeGraph expects a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  }
  const r = new Reader(bytes);
  const model = r.open();
  const { version } = r.header(model);
  if (version.major > GCM_VERSION.major) {
    r.fail(`is .gcm format version ${version.major}.${version.minor}; this @goldcrest/core-ir reads format versions up to ${GCM_VERSION.major}.x (upgrade @goldcrest/core-ir)`);
  }
  const graph = r.within('graph', () => {
    const g = model.graph();
    if (!g) return r.fail('has no graph');
    return r.graph(g, [], 0);
  });
  try {
    validateGraph(graph);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new GoldcrestError('E_MODEL_FORMAT', `cannot read .gcm model: the decoded graph is invalid: ${msg}`, { cause: e });
  }
  return graph;
}

/** Writes a property even when the name is '__proto__' (names come from the file). */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

class Reader {
  private readonly ctx: string[] = [];
  private budget: number;
  readonly bb: CheckedByteBuffer;

  constructor(private readonly bytes: Uint8Array) {
    // A well-formed file decodes with about one unit of work per byte; shared or overlapping
    // sub-objects in a hostile file would multiply that, so the budget caps it.
    this.budget = bytes.length * 2 + 4096;
    this.bb = new CheckedByteBuffer(bytes, { fail: (m) => this.fail(m), charge: (n) => this.charge(n) });
  }

  private error(msg: string, cause?: unknown): GoldcrestError {
    const subject = this.ctx.length ? this.ctx.join(': ') : 'the file';
    return new GoldcrestError('E_MODEL_FORMAT', `cannot read .gcm model: ${subject} ${msg}`, { cause });
  }

  fail(msg: string): never {
    throw this.error(msg);
  }

  charge(n: number): void {
    this.budget -= n;
    if (this.budget < 0) this.fail(`needs more decoding work than a ${this.bytes.length}-byte file can hold (sub-objects shared or overlapping: corrupted?)`);
  }

  /** Runs `fn` with `label` pushed on the context; unexpected errors become E_MODEL_FORMAT naming it. */
  within<T>(label: string, fn: () => T): T {
    this.ctx.push(label);
    try {
      return fn();
    } catch (e) {
      if (e instanceof GoldcrestError && e.code === 'E_MODEL_FORMAT') throw e;
      throw this.error(`cannot be decoded: ${e instanceof Error ? e.message : String(e)}`, e);
    } finally {
      this.ctx.pop();
    }
  }

  /** Replaces the innermost context label (once a name has been read). */
  private relabel(label: string): void {
    this.ctx[this.ctx.length - 1] = label;
  }

  /** Checks size prefix and identifier; returns the root table. */
  open(): fb.Model {
    const n = this.bytes.length;
    if (n < HEADER_BYTES) this.fail(`is ${n} bytes, too short for a .gcm model (truncated?)`);
    if (!isGcm(this.bytes)) {
      const found = String.fromCharCode(...this.bytes.subarray(8, 12));
      this.fail(`is not a .gcm model: expected identifier '${GCM_FILE_IDENTIFIER}' at byte 8, found ${JSON.stringify(found)}`);
    }
    const declared = this.bb.readInt32(0) >>> 0;
    if (declared + 4 > n) this.fail(`is ${n} bytes but its header says ${declared + 4} (truncated?)`);
    if (declared + 4 < n) this.fail(`is ${n} bytes but its header says ${declared + 4} (trailing bytes: corrupted or concatenated?)`);
    return this.within('root table', () => new fb.Model().__init(this.bb.__indirect(4), this.bb));
  }

  header(model: fb.Model): GcmHeader {
    return this.within('header', () => {
      const major = model.versionMajor();
      const minor = model.versionMinor();
      if (major === 0) this.fail('has no format version (corrupted?)');
      return { version: { major, minor }, producer: (model.producer() as string | null) ?? '' };
    });
  }

  private str(s: string | null, what: string): string {
    if (s === null) this.fail(`has no ${what}`);
    return s;
  }

  /** `scopes`: enclosing graphs, innermost last (for captured values). */
  graph(g: fb.Graph, scopes: Graph[], depth: number): Graph {
    this.charge(8);
    const graph = new Graph(this.str(g.name(), 'graph name'));
    this.relabel(scopes.length ? `${this.ctx[this.ctx.length - 1]} (graph '${graph.name}')` : `graph '${graph.name}'`);

    for (let i = 0, n = g.metadataLength(); i < n; i++) {
      this.within(`metadata entry ${i}`, () => {
        const kv = g.metadata(i)!;
        this.charge(8);
        const key = this.str(kv.key(), 'key');
        if (Object.prototype.hasOwnProperty.call(graph.metadata, key)) this.fail(`repeats key '${key}'`);
        setOwn(graph.metadata, key, (kv.value() as string | null) ?? '');
      });
    }

    const entries: Value[] = [];
    const captured = new Set<Value>();
    for (let i = 0, n = g.valuesLength(); i < n; i++) {
      this.within(`value ${i}`, () => {
        const v = this.value(g.values(i)!, i, graph, scopes);
        if (graph.values.get(v.name) !== v) captured.add(v);
        entries.push(v);
      });
    }
    const ref = (idx: number, allowCaptured: boolean): Value => {
      if (!(idx >= 0 && idx < entries.length)) this.fail(`refers to value ${idx}, but the graph has ${entries.length} values`);
      const v = entries[idx];
      if (!allowCaptured && captured.has(v)) this.fail(`refers to '${v.name}', a value captured from an enclosing graph`);
      return v;
    };

    for (let i = 0, n = g.inputsLength(); i < n; i++) {
      this.charge(4);
      graph.inputs.push(this.within(`graph input ${i}`, () => ref(g.inputs(i)!, false)));
    }
    for (let i = 0, n = g.outputsLength(); i < n; i++) {
      this.charge(4);
      graph.outputs.push(this.within(`graph output ${i}`, () => ref(g.outputs(i)!, true)));
    }
    for (let k = 0, n = g.nodesLength(); k < n; k++) {
      this.within(`node ${k}`, () => graph.nodes.push(this.node(g.nodes(k)!, k, ref, [...scopes, graph], depth)));
    }
    return graph;
  }

  private value(fv: fb.Value, i: number, graph: Graph, scopes: Graph[]): Value {
    this.charge(8);
    const name = this.str(fv.name() as string | null, 'name');
    this.relabel(`value ${i} '${name}'`);
    if (fv.captured()) {
      if (!scopes.length) this.fail('is marked as captured from an enclosing graph, but this graph is not nested');
      const scope = [...scopes].reverse().find((s) => s.values.has(name));
      if (!scope) this.fail('is captured from an enclosing graph, but no enclosing graph has a value of that name');
      return scope.values.get(name)!;
    }
    if (graph.values.has(name)) this.fail('repeats the name of an earlier value');
    const dtype = this.dtype(fv.dtype());
    const rank = fv.rank();
    const nDims = fv.shapeLength();
    let shape: Shape | undefined;
    if (rank === -1) {
      if (nDims !== 0) this.fail(`has an unknown shape (rank -1) but lists ${nDims} dims`);
    } else {
      if (rank !== nDims) this.fail(`has rank ${rank} but lists ${nDims} dims`);
      shape = [];
      for (let k = 0; k < nDims; k++) {
        shape.push(this.within(`dim ${k}`, () => {
          const d = fv.shape(k)!;
          this.charge(8);
          const sym = d.symbol() as string | null;
          if (sym !== null) return sym;
          return this.safeInt(d.size(), 'size');
        }));
      }
    }
    const v = new Value(name, dtype, shape);
    const q = fv.quant();
    if (q) v.quant = this.within('quantization parameters', () => this.quant(q));
    const t = fv.data();
    if (t) {
      const data = this.within('data', () => this.tensor(t));
      if (data.type !== dtype) this.fail(`has dtype ${dtype} but its data is ${data.type}`);
      v.data = data;
    }
    v.trainable = fv.trainable();
    graph.values.set(name, v);
    return v;
  }

  private dtype(code: number): DType {
    const dt = dtypeFromFile(code);
    if (!dt) this.fail(`has unknown dtype code ${code} (written by a newer Goldcrest, or corrupted)`);
    return dt;
  }

  private safeInt(v: bigint, what: string): number {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) this.fail(`has ${what} ${v}, beyond the safe integer range`);
    return n;
  }

  private doubles(len: number, at: (i: number) => number | null): number[] {
    this.charge(8 * len);
    return Array.from({ length: len }, (_, i) => at(i)!);
  }

  private quant(q: fb.QuantParams): QuantParams {
    this.charge(8);
    const out: QuantParams = {
      scale: this.doubles(q.scaleLength(), (i) => q.scale(i)),
      zeroPoint: this.doubles(q.zeroPointLength(), (i) => q.zeroPoint(i)),
      bits: q.bits(),
    };
    const axis = q.axis();
    if (axis !== null) out.axis = axis;
    return out;
  }

  private tensor(t: fb.Tensor): Tensor {
    this.charge(8);
    const dtype = this.dtype(t.dtype());
    const rank = t.dimsLength();
    this.charge(8 * rank);
    const dims: number[] = [];
    let numel = 1;
    for (let k = 0; k < rank; k++) {
      const d = this.safeInt(t.dims(k)!, `dim ${k} of`);
      if (d < 0) this.fail(`has negative dim ${d}`);
      dims.push(d);
      numel *= d;
    }
    if (dtype === 'string') {
      const n = t.stringsLength();
      if (n !== numel) this.fail(`has ${n} strings, dims [${dims.join(',')}] need ${numel}`);
      this.charge(4 * n);
      const strings = Array.from({ length: n }, (_, i) => t.strings(i) as string);
      return new Tensor('string', strings, dims);
    }
    const need = numel * dtypeSize(dtype);
    const have = t.dataLength();
    if (have !== need) this.fail(`has ${have} data bytes, but dims [${dims.join(',')}] of ${dtype} need ${need}`);
    let bytes = have ? t.dataArray()! : new Uint8Array(0);
    const size = dtypeSize(dtype);
    if (!HOST_LITTLE_ENDIAN && size > 1) bytes = swapBytes(bytes, size);
    // viewData copies only when the bytes are misaligned for the element type: charge for that.
    if (bytes.byteOffset % size !== 0 || !HOST_LITTLE_ENDIAN) this.charge(have);
    return new Tensor(dtype, viewData(dtype, bytes), dims);
  }

  private node(fn: fb.Node, k: number, ref: (idx: number, allowCaptured: boolean) => Value, scopes: Graph[], depth: number): Node {
    this.charge(8);
    const name = this.str(fn.name() as string | null, 'name');
    this.relabel(`node ${k} '${name}'`);
    const op = this.str(fn.op() as string | null, 'op name');
    const inputs: (Value | null)[] = [];
    this.charge(4 * fn.inputsLength());
    for (let i = 0, n = fn.inputsLength(); i < n; i++) {
      const idx = fn.inputs(i)!;
      inputs.push(idx === -1 ? null : this.within(`input ${i}`, () => ref(idx, true)));
    }
    const outputs: Value[] = [];
    this.charge(4 * fn.outputsLength());
    for (let i = 0, n = fn.outputsLength(); i < n; i++) {
      outputs.push(this.within(`output ${i}`, () => {
        const v = ref(fn.outputs(i)!, false);
        if (v.producer) this.fail(`'${v.name}' is already produced by node '${v.producer.name}'`);
        if (v.data) this.fail(`'${v.name}' is an initializer, not a node output`);
        return v;
      }));
    }
    const attrs: Attrs = {};
    for (let a = 0, n = fn.attrsLength(); a < n; a++) {
      this.within(`attribute ${a}`, () => {
        const fa = fn.attrs(a)!;
        this.charge(8);
        const aname = this.str(fa.name() as string | null, 'name');
        this.relabel(`attribute '${aname}'`);
        if (Object.prototype.hasOwnProperty.call(attrs, aname)) this.fail('appears twice');
        setOwn(attrs, aname, this.attrValue(fa, scopes, depth));
      });
    }
    const node = new Node(name, op, inputs, outputs, attrs);
    for (const o of outputs) o.producer = node;
    return node;
  }

  private attrValue(fa: fb.Attribute, scopes: Graph[], depth: number): AttrValue {
    const type = fa.valueType();
    const get = <T>(obj: T): T => {
      const t = fa.value(obj) as T | null;
      if (t === null) this.fail('has no value');
      this.charge(8);
      return t;
    };
    switch (type) {
      case fb.AttrValue.IntAttr: return Number(get(new fb.IntAttr()).value());
      case fb.AttrValue.FloatAttr: return get(new fb.FloatAttr()).value();
      case fb.AttrValue.BoolAttr: return get(new fb.BoolAttr()).value();
      case fb.AttrValue.StringAttr: return this.str(get(new fb.StringAttr()).value() as string | null, 'string');
      case fb.AttrValue.IntsAttr: {
        const t = get(new fb.IntsAttr());
        this.charge(8 * t.valuesLength());
        return Array.from({ length: t.valuesLength() }, (_, i) => Number(t.values(i)!));
      }
      case fb.AttrValue.FloatsAttr: {
        const t = get(new fb.FloatsAttr());
        return this.doubles(t.valuesLength(), (i) => t.values(i));
      }
      case fb.AttrValue.StringsAttr: {
        const t = get(new fb.StringsAttr());
        this.charge(4 * t.valuesLength());
        return Array.from({ length: t.valuesLength() }, (_, i) => t.values(i) as string);
      }
      case fb.AttrValue.TensorAttr: {
        const t = get(new fb.TensorAttr()).value();
        if (!t) this.fail('has no tensor');
        return this.tensor(t);
      }
      case fb.AttrValue.GraphAttr: {
        const g = get(new fb.GraphAttr()).value();
        if (!g) this.fail('has no graph');
        if (depth + 1 > GCM_MAX_GRAPH_DEPTH) this.fail(`nests graphs more than ${GCM_MAX_GRAPH_DEPTH} levels deep`);
        return this.graph(g, scopes, depth + 1);
      }
      default:
        return this.fail(`has unknown kind ${type} (written by a newer Goldcrest, or corrupted)`);
    }
  }
}
