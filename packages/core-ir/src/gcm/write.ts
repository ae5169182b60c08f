// Graph -> .gcm bytes. FlatBuffers are built back to front, so every child (string, vector,
// sub-table) is created before the table that points at it.
import { Builder, type Offset } from 'flatbuffers';
import { dtypeSize } from '../dtype.js';
import { GoldcrestError, attrError, graphError } from '../errors.js';
import { Graph, type AttrValue, type Node, type QuantParams, type Value } from '../graph.js';
import { getSchema, hasSchema, type AttrType } from '../ops/schema.js';
import type { Dim } from '../shape.js';
import { Tensor } from '../tensor.js';
import { HOST_LITTLE_ENDIAN, dtypeToFile, swapBytes } from './codes.js';
import * as fb from './generated/index.js';
import { GCM_FILE_IDENTIFIER, GCM_PRODUCER, GCM_TENSOR_ALIGNMENT, GCM_VERSION } from './version.js';

/** Serializes a Graph (with nested graphs, weights, quant params, trainable flags) to .gcm bytes. */
export function serializeGraph(graph: Graph): Uint8Array {
  const weightBytes = countWeightBytes(graph, new Set());
  const b = new Builder(Math.min(2 ** 30, Math.max(1024, weightBytes + 64 * 1024)));
  const w = new Writer(b);
  const graphOff = w.graph(graph, []);
  const producer = b.createString(GCM_PRODUCER);
  fb.Model.startModel(b);
  fb.Model.addVersionMajor(b, GCM_VERSION.major);
  fb.Model.addVersionMinor(b, GCM_VERSION.minor);
  fb.Model.addProducer(b, producer);
  fb.Model.addGraph(b, graphOff);
  // Size-prefixed: readers detect truncation from the first 4 bytes.
  b.finishSizePrefixed(fb.Model.endModel(b), GCM_FILE_IDENTIFIER);
  // A fresh copy starts at offset 0 of its own ArrayBuffer, so the 64-byte alignment that
  // FlatBuffers kept relative to the buffer start is real alignment in memory too.
  return b.asUint8Array().slice();
}

function countWeightBytes(g: Graph, seen: Set<Graph>): number {
  if (seen.has(g)) return 0;
  seen.add(g);
  let n = 0;
  const add = (t: Tensor) => { n += t.type === 'string' ? 0 : t.size * dtypeSize(t.type) + GCM_TENSOR_ALIGNMENT; };
  for (const v of g.values.values()) if (v.data) add(v.data);
  for (const node of g.nodes) {
    for (const a of Object.values(node.attrs)) {
      if (a instanceof Tensor) add(a);
      else if (a instanceof Graph) n += countWeightBytes(a, seen);
    }
  }
  return n;
}

/** Exact when it is a safe integer and not -0, so an int64 field round-trips the JS number. */
const intLike = (v: number) => Number.isSafeInteger(v) && !Object.is(v, -0);

class Writer {
  constructor(private readonly b: Builder) {}

  private str(s: string): Offset {
    return this.b.createString(s);
  }

  private offsets(list: Offset[]): Offset {
    this.b.startVector(4, list.length, 4);
    for (let i = list.length - 1; i >= 0; i--) this.b.addOffset(list[i]);
    return this.b.endVector();
  }

  private int32s(list: number[]): Offset {
    this.b.startVector(4, list.length, 4);
    for (let i = list.length - 1; i >= 0; i--) this.b.addInt32(list[i]);
    return this.b.endVector();
  }

  private int64s(list: number[]): Offset {
    this.b.startVector(8, list.length, 8);
    for (let i = list.length - 1; i >= 0; i--) this.b.addInt64(BigInt(list[i]));
    return this.b.endVector();
  }

  private float64s(list: number[]): Offset {
    this.b.startVector(8, list.length, 8);
    for (let i = list.length - 1; i >= 0; i--) this.b.addFloat64(list[i]);
    return this.b.endVector();
  }

  /**
   * `scopes` are the enclosing graphs, innermost last: a node of a nested graph may read a
   * value of an outer graph (If/Loop bodies), recorded as a `captured` entry.
   */
  graph(g: Graph, scopes: Graph[]): Offset {
    const b = this.b;
    const index = new Map<Value, number>();
    const entries: { v: Value; captured: boolean }[] = [];
    for (const v of g.values.values()) {
      index.set(v, entries.length);
      entries.push({ v, captured: false });
    }
    const ref = (v: Value, what: string, allowCapture: boolean): number => {
      const i = index.get(v);
      if (i !== undefined) return i;
      // The reader resolves a capture by name, innermost enclosing graph first.
      if (allowCapture && [...scopes].reverse().find((s) => s.values.has(v.name))?.values.get(v.name) === v) {
        index.set(v, entries.length);
        entries.push({ v, captured: true });
        return entries.length - 1;
      }
      throw graphError(`graph '${g.name}': ${what} '${v.name}' is not a value of this graph${scopes.length ? ' or an enclosing one' : ''} (register it with graph.addValue)`);
    };

    const inputs = g.inputs.map((v, i) => ref(v, `input ${i}`, false));
    const outputs = g.outputs.map((v, i) => ref(v, `output ${i}`, true));
    const nodeRefs = g.nodes.map((n) => ({
      ins: n.inputs.map((v, i) => (v ? ref(v, `node '${n.name}' (${n.op}) input ${i}`, true) : -1)),
      outs: n.outputs.map((v, i) => ref(v, `node '${n.name}' (${n.op}) output ${i}`, false)),
    }));

    const nodeOffs = g.nodes.map((n, k) => this.node(n, nodeRefs[k].ins, nodeRefs[k].outs, [...scopes, g]));
    const valueOffs = entries.map(({ v, captured }) => this.value(v, captured));
    const meta = Object.entries(g.metadata).map(([k, v]) => {
      const ko = this.str(k);
      const vo = this.str(String(v));
      fb.KeyValue.startKeyValue(b);
      fb.KeyValue.addKey(b, ko);
      fb.KeyValue.addValue(b, vo);
      return fb.KeyValue.endKeyValue(b);
    });

    const name = this.str(g.name);
    const metaVec = this.offsets(meta);
    const valuesVec = this.offsets(valueOffs);
    const inputsVec = this.int32s(inputs);
    const outputsVec = this.int32s(outputs);
    const nodesVec = this.offsets(nodeOffs);
    fb.Graph.startGraph(b);
    fb.Graph.addName(b, name);
    fb.Graph.addMetadata(b, metaVec);
    fb.Graph.addValues(b, valuesVec);
    fb.Graph.addInputs(b, inputsVec);
    fb.Graph.addOutputs(b, outputsVec);
    fb.Graph.addNodes(b, nodesVec);
    return fb.Graph.endGraph(b);
  }

  private value(v: Value, captured: boolean): Offset {
    const b = this.b;
    const name = this.str(v.name);
    if (captured) {
      // Only the name matters: the reader resolves it in the enclosing graphs.
      fb.Value.startValue(b);
      fb.Value.addName(b, name);
      fb.Value.addDtype(b, dtypeToFile(v.dtype));
      fb.Value.addCaptured(b, true);
      return fb.Value.endValue(b);
    }
    const shape = v.shape ? this.offsets(v.shape.map((d) => this.dim(d, v))) : 0;
    const quant = v.quant ? this.quant(v.quant, v) : 0;
    const data = v.data ? this.tensor(v.data) : 0;
    fb.Value.startValue(b);
    fb.Value.addName(b, name);
    fb.Value.addDtype(b, dtypeToFile(v.dtype));
    fb.Value.addRank(b, v.shape ? v.shape.length : -1);
    if (shape) fb.Value.addShape(b, shape);
    if (quant) fb.Value.addQuant(b, quant);
    if (data) fb.Value.addData(b, data);
    fb.Value.addTrainable(b, v.trainable);
    return fb.Value.endValue(b);
  }

  private dim(d: Dim, v: Value): Offset {
    const b = this.b;
    if (typeof d === 'string') {
      const s = this.str(d);
      fb.Dim.startDim(b);
      fb.Dim.addSymbol(b, s);
      return fb.Dim.endDim(b);
    }
    if (!Number.isSafeInteger(d)) throw new GoldcrestError('E_SHAPE', `value '${v.name}': dim ${d} of shape [${v.shape!.join(',')}] is not an integer`);
    fb.Dim.startDim(b);
    fb.Dim.addSize(b, BigInt(d));
    return fb.Dim.endDim(b);
  }

  private quant(q: QuantParams, v: Value): Offset {
    const b = this.b;
    if (!Number.isInteger(q.bits) || q.bits < 0 || q.bits > 255) {
      throw new GoldcrestError('E_ARGUMENT', `value '${v.name}': quantization bits ${q.bits} must be an integer in 0..255`);
    }
    if (q.axis !== undefined && !Number.isInteger(q.axis)) throw new GoldcrestError('E_ARGUMENT', `value '${v.name}': quantization axis ${q.axis} must be an integer`);
    const scale = this.float64s(q.scale);
    const zp = this.float64s(q.zeroPoint);
    fb.QuantParams.startQuantParams(b);
    fb.QuantParams.addScale(b, scale);
    fb.QuantParams.addZeroPoint(b, zp);
    // flatc 2.0.8's addAxis compares against 0 instead of "absent", which would drop axis 0.
    if (q.axis !== undefined) this.forced(() => { fb.QuantParams.addAxis(b, q.axis!); return 0; });
    fb.QuantParams.addBits(b, q.bits);
    return fb.QuantParams.endQuantParams(b);
  }

  private tensor(t: Tensor): Offset {
    const b = this.b;
    const dims = this.int64s([...t.dims]);
    let data = 0;
    let strings = 0;
    if (t.type === 'string') {
      strings = this.offsets((t.data as string[]).map((s) => this.str(s)));
    } else {
      const arr = t.data as Exclude<Tensor['data'], string[]>;
      let bytes = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
      if (!HOST_LITTLE_ENDIAN) bytes = swapBytes(bytes, arr.BYTES_PER_ELEMENT);
      // Pad so that the vector's first byte lands on a 64-byte boundary (FlatBuffers aligns
      // relative to the end of the buffer; finish() makes the total size a multiple of 64).
      b.prep(GCM_TENSOR_ALIGNMENT, bytes.length);
      data = b.createByteVector(bytes);
    }
    fb.Tensor.startTensor(b);
    fb.Tensor.addDtype(b, dtypeToFile(t.type));
    fb.Tensor.addDims(b, dims);
    if (data) fb.Tensor.addData(b, data);
    if (strings) fb.Tensor.addStrings(b, strings);
    return fb.Tensor.endTensor(b);
  }

  /**
   * Builds with default-valued scalars written anyway: FlatBuffers skips a field equal to its
   * default, and its `!=` test treats -0 as the default 0 (a -0 attribute would read back as 0);
   * flatc 2.0.8's optional-scalar adders likewise compare against 0.
   */
  private forced(fn: () => Offset): Offset {
    this.b.forceDefaults(true);
    try {
      return fn();
    } finally {
      this.b.forceDefaults(false);
    }
  }

  private node(n: Node, ins: number[], outs: number[], scopes: Graph[]): Offset {
    const b = this.b;
    const attrs = Object.entries(n.attrs).map(([k, v]) => this.attribute(n, k, v, scopes));
    const name = this.str(n.name);
    const op = this.str(n.op);
    const insVec = this.int32s(ins);
    const outsVec = this.int32s(outs);
    const attrsVec = this.offsets(attrs);
    fb.Node.startNode(b);
    fb.Node.addName(b, name);
    fb.Node.addOp(b, op);
    fb.Node.addInputs(b, insVec);
    fb.Node.addOutputs(b, outsVec);
    fb.Node.addAttrs(b, attrsVec);
    return fb.Node.endNode(b);
  }

  private attribute(n: Node, name: string, v: AttrValue, scopes: Graph[]): Offset {
    const b = this.b;
    const kind = attrKind(n, name, v);
    let type: fb.AttrValue;
    let off: Offset;
    switch (kind) {
      case 'int': type = fb.AttrValue.IntAttr; off = this.forced(() => fb.IntAttr.createIntAttr(b, BigInt(v as number))); break;
      case 'float': type = fb.AttrValue.FloatAttr; off = this.forced(() => fb.FloatAttr.createFloatAttr(b, v as number)); break;
      case 'bool': type = fb.AttrValue.BoolAttr; off = this.forced(() => fb.BoolAttr.createBoolAttr(b, v as boolean)); break;
      case 'string': type = fb.AttrValue.StringAttr; off = fb.StringAttr.createStringAttr(b, this.str(v as string)); break;
      case 'ints': type = fb.AttrValue.IntsAttr; off = fb.IntsAttr.createIntsAttr(b, this.int64s(v as number[])); break;
      case 'floats': type = fb.AttrValue.FloatsAttr; off = fb.FloatsAttr.createFloatsAttr(b, this.float64s(v as number[])); break;
      case 'strings': type = fb.AttrValue.StringsAttr; off = fb.StringsAttr.createStringsAttr(b, this.offsets((v as string[]).map((s) => this.str(s)))); break;
      case 'tensor': type = fb.AttrValue.TensorAttr; off = fb.TensorAttr.createTensorAttr(b, this.tensor(v as Tensor)); break;
      case 'graph': type = fb.AttrValue.GraphAttr; off = fb.GraphAttr.createGraphAttr(b, this.graph(v as Graph, scopes)); break;
      default: throw new GoldcrestError('E_INTERNAL', `unhandled attribute kind ${String(kind)}`);
    }
    return fb.Attribute.createAttribute(b, this.str(name), type, off);
  }
}

/**
 * The file kind of an attribute. AttrValue is a plain JS value, so the op schema's declared
 * type decides where the value allows both (e.g. `[]`, or 1 for a float); otherwise the value
 * does. Both choices read back as the identical JS value.
 */
export function attrKind(n: Node, name: string, v: AttrValue): AttrType {
  const declared = hasSchema(n.op) ? getSchema(n.op).attrs[name]?.type : undefined;
  const bad = () => attrError(`node '${n.name}' (${n.op}): attribute '${name}' holds ${describe(v)}, which a .gcm attribute cannot store`);
  if (v instanceof Tensor) return 'tensor';
  if (v instanceof Graph) return 'graph';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') {
    if (declared === 'float') return 'float';
    return intLike(v) ? 'int' : 'float';
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return declared === 'floats' || declared === 'strings' ? declared : 'ints';
    if (v.every((x) => typeof x === 'string')) return 'strings';
    if (v.every((x) => typeof x === 'number')) {
      if (declared === 'floats') return 'floats';
      return (v as number[]).every(intLike) ? 'ints' : 'floats';
    }
  }
  throw bad();
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'an array mixing strings and numbers (or holding other things)';
  return `a ${typeof v === 'object' ? (v as object).constructor?.name ?? 'object' : typeof v}`;
}
