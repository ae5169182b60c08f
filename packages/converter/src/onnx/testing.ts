// Test support (not exported from the package): hand-built ONNX models and onnxruntime-node as
// the oracle. Graph evaluation and random data come from passes/testing.ts (shared).
import { type DType, Tensor } from '@goldcrest/core-ir';
import ort from 'onnxruntime-node';
import type pkg from 'onnx-proto';
import { onnx } from './proto.js';

const ONNX_DTYPE: Record<DType, number> = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, string: 8,
  bool: 9, float16: 10, float64: 11, uint32: 12, uint64: 13,
};

/** Attribute as written in a test: the protobuf field decides the type. */
export type AttrInit =
  | { i: number } | { f: number } | { s: string } | { t: Tensor }
  | { ints: number[] } | { floats: number[] } | { strings: string[] };

export interface TinyNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, AttrInit>;
  name?: string;
  domain?: string;
}

export interface TinyValue {
  name: string;
  dtype?: DType;
  /** Numbers, symbol names, `null` for a dim with neither; omit the whole shape for unknown rank. */
  dims?: (number | string | null)[];
}

export interface TinyModel {
  opset: number;
  nodes: TinyNode[];
  inputs: TinyValue[];
  outputs: TinyValue[];
  initializers?: Record<string, Tensor>;
  /** Store initializers in the typed repeated fields instead of raw_data. */
  typedFields?: boolean;
  irVersion?: number;
  /** Initializers also listed as graph inputs (IR < 4 style). */
  listInitializersAsInputs?: boolean;
}

const enc = new TextEncoder();

export function tensorProto(name: string, t: Tensor, typed = false): pkg.onnx.ITensorProto {
  const p: pkg.onnx.ITensorProto = { name, dataType: ONNX_DTYPE[t.type], dims: [...t.dims] };
  if (t.type === 'string') {
    p.stringData = (t.data as string[]).map((s) => enc.encode(s));
  } else if (!typed) {
    const d = t.data as Exclude<Tensor['data'], string[]>;
    p.rawData = new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
  } else {
    const vals = Array.from(t.data as ArrayLike<number | bigint>);
    switch (t.type) {
      case 'float32': p.floatData = vals as number[]; break;
      case 'float64': p.doubleData = vals as number[]; break;
      case 'int64': p.int64Data = vals.map((v) => Number(v)); break;
      case 'uint64': case 'uint32': p.uint64Data = vals.map((v) => Number(v)); break;
      default: p.int32Data = vals as number[];
    }
  }
  return p;
}

function valueInfo(v: TinyValue): pkg.onnx.IValueInfoProto {
  const tensorType: pkg.onnx.TypeProto.ITensor = { elemType: ONNX_DTYPE[v.dtype ?? 'float32'] };
  if (v.dims) tensorType.shape = { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : d === null ? {} : { dimParam: d })) };
  return { name: v.name, type: { tensorType } };
}

function attribute(name: string, a: AttrInit): pkg.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('i' in a) return { name, type: T.INT, i: a.i };
  if ('f' in a) return { name, type: T.FLOAT, f: a.f };
  if ('s' in a) return { name, type: T.STRING, s: enc.encode(a.s) };
  if ('t' in a) return { name, type: T.TENSOR, t: tensorProto('', a.t) };
  if ('ints' in a) return { name, type: T.INTS, ints: a.ints };
  if ('floats' in a) return { name, type: T.FLOATS, floats: a.floats };
  return { name, type: T.STRINGS, strings: a.strings.map((s) => enc.encode(s)) };
}

/** Encodes a small ONNX model (ModelProto bytes). */
export function buildModel(m: TinyModel): Uint8Array {
  const inits = Object.entries(m.initializers ?? {});
  const graph: pkg.onnx.IGraphProto = {
    name: 'tiny',
    node: m.nodes.map((n, i) => ({
      name: n.name ?? `${n.op.toLowerCase()}_${i}`,
      opType: n.op,
      domain: n.domain ?? '',
      input: n.inputs,
      output: n.outputs,
      attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
    })),
    initializer: inits.map(([name, t]) => tensorProto(name, t, m.typedFields)),
    input: [
      ...m.inputs.map(valueInfo),
      ...(m.listInitializersAsInputs ? inits.map(([name, t]) => valueInfo({ name, dtype: t.type, dims: [...t.dims] })) : []),
    ],
    output: m.outputs.map(valueInfo),
  };
  const model: pkg.onnx.IModelProto = {
    irVersion: m.irVersion ?? 8,
    producerName: 'goldcrest-test',
    opsetImport: [{ domain: '', version: m.opset }],
    graph,
  };
  return onnx.ModelProto.encode(model).finish();
}

/** Runs ONNX bytes in onnxruntime-node and returns every output as a core-ir Tensor. */
export async function runOrt(bytes: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.type as 'float32', t.data as Float32Array, [...t.dims])]));
    const out = await session.run(ortFeeds);
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, new Tensor(t.type as DType, t.data as Float32Array, [...t.dims])]));
  } finally {
    await session.release();
  }
}
