import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { Builder } from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { GoldcrestError } from '../errors.js';
import { Graph, type AttrValue } from '../graph.js';
import { defineOp, hasSchema } from '../ops/schema.js';
import { rng } from '../reference-run.js';
import { Tensor } from '../tensor.js';
import * as fb from './generated/index.js';
import { GCM_FILE_IDENTIFIER, GCM_MAX_GRAPH_DEPTH, GCM_VERSION, deserializeGraph, isGcm, readGcmHeader, serializeGraph } from './index.js';

/** Rewrites the 4-byte size prefix to match the (changed) length, so decoding goes past the size check. */
function fixSizePrefix(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  if (out.length >= 4) new DataView(out.buffer).setUint32(0, Math.max(0, out.length - 4), true);
  return out;
}

// A test-only op whose attributes cover every AttrValue kind, with optional inputs in the middle.
if (!hasSchema('GcmTestAllAttrs')) {
  defineOp({
    name: 'GcmTestAllAttrs',
    doc: 'test only',
    inputs: [{ name: 'X' }, { name: 'O1', optional: true }, { name: 'O2', optional: true }],
    outputs: [{ name: 'Y' }],
    attrs: {
      i: { type: 'int' }, f: { type: 'float' }, negZero: { type: 'float' }, inf: { type: 'float' }, nan: { type: 'float' },
      big: { type: 'int' }, b: { type: 'bool' }, s: { type: 'string' }, is: { type: 'ints' }, fs: { type: 'floats' },
      fsInt: { type: 'floats' }, emptyFs: { type: 'floats' }, emptyIs: { type: 'ints' }, ss: { type: 'strings' },
      t: { type: 'tensor' }, g: { type: 'graph' },
    },
    infer: (ctx) => [{ dtype: ctx.inputs[0]!.dtype, shape: ctx.inputs[0]!.shape }],
  });
}

/** One initializer per dtype, including extremes and odd byte lengths. */
function everyDtype(): Tensor[] {
  return [
    new Tensor('float32', new Float32Array([1.5, -0, Infinity, -Infinity, NaN, 3.4e38, 1e-45]), [7]),
    new Tensor('float16', new Uint16Array([0x3c00, 0x8000, 0x7c00, 0x7e00, 0x0001]), [5]),
    new Tensor('float64', new Float64Array([Math.PI, -0, Number.MAX_VALUE, Number.MIN_VALUE]), [2, 2]),
    new Tensor('int8', new Int8Array([-128, 127, 0]), [3]),
    new Tensor('uint8', new Uint8Array([0, 255, 7]), [3, 1]),
    new Tensor('int16', new Int16Array([-32768, 32767, 1]), [3]),
    new Tensor('uint16', new Uint16Array([65535, 0, 9]), [3]),
    new Tensor('int32', new Int32Array([-(2 ** 31), 2 ** 31 - 1, 5]), [3]),
    new Tensor('uint32', new Uint32Array([2 ** 32 - 1, 0, 1]), [1, 3]),
    new Tensor('int64', new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 0n]), [3]),
    new Tensor('uint64', new BigUint64Array([2n ** 64n - 1n, 0n]), [2]),
    new Tensor('bool', new Uint8Array([1, 0, 1, 1]), [2, 2]),
    new Tensor('string', ['', 'héllo', '日本語', 'a\u0000b'], [2, 2]),
    new Tensor('float32', new Float32Array([42]), []), // scalar
    new Tensor('float32', new Float32Array(0), [0, 3]), // empty
  ];
}

function kitchenSink(): Graph {
  const g = new Graph('kitchen');
  g.metadata = { producer: 'gcm.test', opset: '17', 'ünïcode key': 'välue', empty: '' };
  const x = g.addInput('x', 'float32', ['N', 3, 'H', 'W']);
  const scalarIn = g.addInput('s', 'float32', []);
  everyDtype().forEach((t, i) => g.addConstant(`c${i}_${t.type}`, t, { trainable: i % 3 === 0 }));

  const w = g.addConstant('conv.w', new Tensor('float32', Float32Array.from({ length: 8 * 3 * 3 * 3 }, (_, i) => i / 7), [8, 3, 3, 3]), { trainable: true });
  const bias = g.addConstant('conv.b', new Tensor('float32', new Float32Array(8).fill(0.25), [8]));
  const conv = g.addNode('Conv2D', [x, w, bias], [{ name: 'conv.y', dtype: 'float32' }], {
    pads: [1, 1, 1, 1], strides: [1, 1], autoPad: 'NOTSET', group: 1, activation: 'clip', activationParams: [0, 6],
  }, { name: 'conv1' });

  // Quantization: per-tensor and per-axis (axis 0 — a value flatc's default handling would drop).
  const q8 = g.addConstant('q.w', new Tensor('int8', new Int8Array([1, -2, 3, -4, 5, -6]), [2, 3]));
  q8.quant = { scale: [0.05, 0.1], zeroPoint: [0, -3], axis: 0, bits: 4 };
  const qin = g.value('c3_int8');
  qin.quant = { scale: [0.0078125], zeroPoint: [-128], bits: 8 };
  const qaxis = g.value('c4_uint8');
  qaxis.quant = { scale: [1e-3, 2e-3, 3e-3], zeroPoint: [128, 127, 126], axis: -1, bits: 8 };

  // A nested graph that captures `x` (outer scope) and itself nests another graph.
  const inner = new Graph('inner');
  const ix = inner.addInput('ix', 'float32', [1]);
  inner.addNode('Relu', [ix], [{ name: 'iy', dtype: 'float32', shape: [1] }]);
  inner.outputs = [inner.value('iy')];
  const body = new Graph('body');
  const by = body.addNode('Add', [x, x], [{ name: 'body.y', dtype: 'float32' }]);
  const bt = body.addConstant('body.k', new Tensor('int64', [1n, 2n], [2]), { trainable: true });
  body.addNode('GcmTestAllAttrs', [by.outputs[0], null, bt], [{ name: 'body.z', dtype: 'float32' }], allKinds(inner));
  body.outputs = [body.value('body.z'), x];

  const attrs = allKinds(body);
  g.addNode('GcmTestAllAttrs', [conv.outputs[0], null, scalarIn], [{ name: 'y', dtype: 'float32' }], attrs, { name: 'all' });
  // An output with unknown shape (shape inference not run) next to a scalar one.
  g.value('y').shape = undefined;
  g.outputs = [g.value('y'), conv.outputs[0]];
  return g;
}

function allKinds(sub: Graph): Record<string, AttrValue> {
  return {
    i: -7, f: 0.1, negZero: -0, inf: -Infinity, nan: NaN, big: 2 ** 53 - 1, b: true, s: 'sàme', is: [0, -1, 2 ** 40], fs: [0.5, -2.25, 1e-300],
    fsInt: [1, 2], emptyFs: [], emptyIs: [], ss: ['a', '', 'ß'],
    t: new Tensor('int64', [3n, -1n], [2]), g: sub,
  };
}

/** A plain, order-preserving description of a graph for deep comparison. */
function describeGraph(g: Graph): unknown {
  const tensor = (t: Tensor) => ({ type: t.type, dims: [...t.dims], data: Array.from(t.data as ArrayLike<unknown>), ctor: t.data.constructor.name });
  const attr = (v: AttrValue): unknown => (v instanceof Tensor ? tensor(v) : v instanceof Graph ? describeGraph(v) : Array.isArray(v) ? [...v] : v);
  return {
    name: g.name,
    metadata: { ...g.metadata },
    values: [...g.values.entries()].map(([k, v]) => ({
      key: k, name: v.name, dtype: v.dtype, shape: v.shape, quant: v.quant, trainable: v.trainable,
      data: v.data && tensor(v.data), producer: v.producer?.name,
    })),
    inputs: g.inputs.map((v) => v.name),
    outputs: g.outputs.map((v) => v.name),
    nodes: g.nodes.map((n) => ({
      name: n.name, op: n.op, inputs: n.inputs.map((v) => v?.name ?? null), outputs: n.outputs.map((v) => v.name),
      attrs: Object.entries(n.attrs).map(([k, v]) => [k, attr(v)]),
    })),
  };
}

/** Expects `fn` to throw a GoldcrestError E_MODEL_FORMAT (and nothing else); returns its message. */
function modelFormatError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(GoldcrestError);
    expect((e as GoldcrestError).code).toBe('E_MODEL_FORMAT');
    return (e as Error).message;
  }
  throw new Error('expected E_MODEL_FORMAT, nothing was thrown');
}


describe('.gcm round trip', () => {
  it('is lossless for every attribute kind, dtype, symbolic dims, quant params, trainable flags, metadata and nested graphs', () => {
    const g = kitchenSink();
    const bytes = serializeGraph(g);
    const back = deserializeGraph(bytes);
    expect(describeGraph(back)).toEqual(describeGraph(g));
    // toEqual cannot see these: -0 and NaN attributes keep their exact values.
    const all = back.nodes.find((n) => n.name === 'all')!;
    expect(Object.is(all.attrs.negZero, -0)).toBe(true);
    expect(Number.isNaN(all.attrs.nan)).toBe(true);
    expect(Object.is((back.value('c2_float64').data!.data as Float64Array)[1], -0)).toBe(true);
    // Per-axis quant on axis 0 survives, per-tensor stays without axis.
    expect(back.value('q.w').quant).toEqual({ scale: [0.05, 0.1], zeroPoint: [0, -3], axis: 0, bits: 4 });
    expect('axis' in back.value('c3_int8').quant!).toBe(false);
    // Unknown shape vs scalar shape.
    expect(back.value('y').shape).toBeUndefined();
    expect(back.value('s').shape).toEqual([]);
    // A second round trip produces identical bytes.
    expect(serializeGraph(back)).toEqual(bytes);
  });

  it('keeps outer-scope captures in nested graphs pointing at the outer value', () => {
    const back = deserializeGraph(serializeGraph(kitchenSink()));
    const body = back.nodes.find((n) => n.name === 'all')!.attrs.g as Graph;
    const x = back.value('x');
    expect(body.nodes[0].inputs).toEqual([x, x]);
    expect(body.nodes[0].inputs[0]).toBe(x);
    expect(body.outputs[1]).toBe(x);
    expect(body.values.has('x')).toBe(false);
    const inner = body.nodes[1].attrs.g as Graph;
    expect(inner.nodes[0].op).toBe('Relu');
    // Producers are restored.
    expect(back.value('conv.y').producer).toBe(back.nodes[0]);
  });

  it('puts every weight buffer at a 64-byte aligned file offset and returns views of the bytes', () => {
    const g = kitchenSink();
    const bytes = serializeGraph(g);
    expect(bytes.byteOffset).toBe(0);
    const back = deserializeGraph(bytes);
    let checked = 0;
    for (const v of back.initializers) {
      const t = v.data!;
      if (t.type === 'string' || t.size === 0) continue;
      const arr = t.data as Float32Array;
      expect(arr.buffer).toBe(bytes.buffer); // a view, not a copy
      expect((arr.byteOffset - bytes.byteOffset) % 64).toBe(0);
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('copies (rather than fails) when the caller hands in misaligned bytes', () => {
    const bytes = serializeGraph(kitchenSink());
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    const back = deserializeGraph(shifted);
    expect(describeGraph(back)).toEqual(describeGraph(deserializeGraph(bytes)));
  });

  it('writes the identifier, version and producer', () => {
    const bytes = serializeGraph(kitchenSink());
    expect(isGcm(bytes)).toBe(true);
    expect(new TextDecoder().decode(bytes.subarray(8, 12))).toBe(GCM_FILE_IDENTIFIER);
    expect(readGcmHeader(bytes)).toEqual({ version: { ...GCM_VERSION }, producer: '@goldcrest/core-ir' });
    expect(isGcm(new Uint8Array(16))).toBe(false);
    expect(isGcm(new Uint8Array(3))).toBe(false);
  });

  it('rejects values that are not registered in the graph, and attributes it cannot store', () => {
    const g = new Graph('g');
    const x = g.addInput('x', 'float32', [1]);
    const stray = new Graph('other').addInput('stray', 'float32', [1]);
    g.addNode('Add', [x, stray], [{ name: 'y', dtype: 'float32' }], {}, { name: 'add' });
    expect(() => serializeGraph(g)).toThrow(/node 'add' \(Add\) input 1 'stray' is not a value of this graph/);
    const h = new Graph('h');
    const hx = h.addInput('x', 'float32', [1]);
    h.addNode('Relu', [hx], [{ name: 'y', dtype: 'float32' }], { bad: [1, 'a'] as unknown as string[] }, { name: 'r' });
    expect(() => serializeGraph(h)).toThrow(/node 'r' \(Relu\): attribute 'bad'/);
  });
});

describe('generated bindings', () => {
  it('were generated from the current schema (run node tools/gen-gcm.mjs after editing gcm.fbs)', () => {
    const schema = readFileSync(new URL('../../schema/gcm.fbs', import.meta.url));
    const hash = createHash('sha256').update(schema).digest('hex').slice(0, 16);
    const dir = new URL('./generated/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const first = readFileSync(new URL(f, dir), 'utf8').split('\n')[0];
      expect(first, f).toMatch(/^\/\/ GENERATED by `node tools\/gen-gcm\.mjs`/);
      expect(first, f).toContain(`(sha256 ${hash})`);
    }
  });
});

describe('.gcm reader on hostile bytes', () => {
  const good = serializeGraph(kitchenSink());

  it('rejects every truncation with E_MODEL_FORMAT', () => {
    for (let cut = 0; cut < good.length; cut += cut < 64 ? 1 : 7) {
      const msg = modelFormatError(() => deserializeGraph(good.subarray(0, cut)));
      if (cut >= 12) expect(msg).toMatch(/truncated/);
    }
  });

  it('rejects truncations even when the size prefix is forged to match, naming what runs past the end', () => {
    const messages = new Set<string>();
    for (let cut = 12; cut < good.length; cut += 5) messages.add(modelFormatError(() => deserializeGraph(fixSizePrefix(good.subarray(0, cut)))));
    expect([...messages].some((m) => /runs past the end of the file \(truncated\?\)/.test(m))).toBe(true);
    expect([...messages].some((m) => /node \d+ '[^']+'/.test(m) || /value \d+ '[^']+'/.test(m))).toBe(true);
  });

  it('never throws anything but E_MODEL_FORMAT on randomly corrupted bytes (fuzz, fixed seed)', () => {
    const rand = rng(0x9c3b1);
    let rejected = 0;
    let accepted = 0;
    const t0 = performance.now();
    for (let trial = 0; trial < 600; trial++) {
      const bytes = good.slice();
      const flips = 1 + Math.floor(rand() * 6);
      for (let k = 0; k < flips; k++) {
        const at = Math.floor(rand() * bytes.length);
        // Mix of random bytes and boundary values that make offsets/lengths extreme.
        const r = rand();
        bytes[at] = r < 0.2 ? 0xff : r < 0.3 ? 0 : r < 0.4 ? 0x80 : Math.floor(rand() * 256);
      }
      const input = trial % 4 === 3 ? fixSizePrefix(bytes.subarray(0, Math.floor(rand() * bytes.length))) : bytes;
      try {
        deserializeGraph(input);
        accepted++; // e.g. a flipped weight byte: still a valid model
      } catch (e) {
        if (!(e instanceof GoldcrestError) || e.code !== 'E_MODEL_FORMAT') {
          throw new Error(`trial ${trial}: expected E_MODEL_FORMAT, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
        }
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(300);
    expect(accepted + rejected).toBe(600);
    expect(performance.now() - t0).toBeLessThan(20_000);
  });

  it('rejects files that are not .gcm at all', () => {
    expect(modelFormatError(() => deserializeGraph(new TextEncoder().encode('\x08\x01\x12\x04onnx-model-bytes')))).toMatch(/not a \.gcm model: expected identifier 'GCM1'/);
    expect(modelFormatError(() => deserializeGraph(new Uint8Array(0)))).toMatch(/0 bytes, too short/);
    const trailing = new Uint8Array(good.length + 8);
    trailing.set(good);
    expect(modelFormatError(() => deserializeGraph(trailing))).toMatch(/trailing bytes/);
  });

  it('rejects a file from a newer major format version, naming the version it supports', () => {
    const future = modelWithVersion(GCM_VERSION.major + 1, 0);
    const msg = modelFormatError(() => deserializeGraph(future));
    expect(msg).toContain(`format version ${GCM_VERSION.major + 1}.0`);
    expect(msg).toContain(`up to ${GCM_VERSION.major}.x`);
    expect(modelFormatError(() => deserializeGraph(modelWithVersion(0, 3)))).toMatch(/no format version/);
    // A newer minor of the same major is readable (minor bumps only add fields).
    expect(deserializeGraph(modelWithVersion(GCM_VERSION.major, GCM_VERSION.minor + 5)).name).toBe('v');
  });

  it('bounds decoding work when sub-objects are shared (no exponential or quadratic blow-up)', () => {
    // One node table referenced 20000 times, each with a 2000-element ints attribute.
    const b = new Builder(1024);
    const ints = fb.IntsAttr.createValuesVector(b, Array.from({ length: 2000 }, () => 1n));
    const attr = fb.Attribute.createAttribute(b, b.createString('is'), fb.AttrValue.IntsAttr, fb.IntsAttr.createIntsAttr(b, ints));
    const node = fb.Node.createNode(b, b.createString('n'), b.createString('Relu'), fb.Node.createInputsVector(b, []), fb.Node.createOutputsVector(b, []), fb.Node.createAttrsVector(b, [attr]));
    const nodes = fb.Graph.createNodesVector(b, new Array(20000).fill(node));
    const graph = fb.Graph.createGraph(b, b.createString('g'), 0, 0, 0, 0, nodes);
    const bytes = finishModel(b, graph, GCM_VERSION.major, GCM_VERSION.minor);
    const t0 = performance.now();
    expect(modelFormatError(() => deserializeGraph(bytes))).toMatch(/more decoding work/);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it(`rejects graphs nested more than ${GCM_MAX_GRAPH_DEPTH} levels deep`, () => {
    let g = new Graph('leaf');
    for (let d = 0; d < GCM_MAX_GRAPH_DEPTH + 2; d++) {
      const outer = new Graph(`level${d}`);
      const x = outer.addInput('x', 'float32', [1]);
      outer.addNode('GcmTestAllAttrs', [x], [{ name: 'y', dtype: 'float32' }], { ...allKinds(g) });
      g = outer;
    }
    expect(modelFormatError(() => deserializeGraph(serializeGraph(g)))).toMatch(/nests graphs more than 32 levels deep/);
  });

  it('names the node and input for a dangling value reference', () => {
    const b = new Builder(1024);
    const value = (name: string) => {
      const n = b.createString(name);
      const shape = fb.Value.createShapeVector(b, [fb.Dim.createDim(b, 4n, 0)]);
      fb.Value.startValue(b);
      fb.Value.addName(b, n);
      fb.Value.addDtype(b, fb.DType.Float32);
      fb.Value.addRank(b, 1);
      fb.Value.addShape(b, shape);
      return fb.Value.endValue(b);
    };
    const values = fb.Graph.createValuesVector(b, [value('x'), value('y')]);
    const node = fb.Node.createNode(b, b.createString('conv1'), b.createString('Relu'), fb.Node.createInputsVector(b, [57]), fb.Node.createOutputsVector(b, [1]), 0);
    const graph = fb.Graph.createGraph(b, b.createString('g'), 0, values, fb.Graph.createInputsVector(b, [0]), fb.Graph.createOutputsVector(b, [1]), fb.Graph.createNodesVector(b, [node]));
    const msg = modelFormatError(() => deserializeGraph(finishModel(b, graph, 1, 0)));
    expect(msg).toContain("node 0 'conv1': input 0 refers to value 57, but the graph has 2 values");
  });

  it('turns graph validation failures (e.g. an unknown op) into E_MODEL_FORMAT naming the node', () => {
    const g = new Graph('g');
    const x = g.addInput('x', 'float32', [1]);
    g.addNode('Relu', [x], [{ name: 'y', dtype: 'float32' }], {}, { name: 'act' });
    g.outputs = [g.value('y')];
    const bytes = serializeGraph(g);
    const at = Buffer.from(bytes).indexOf('Relu');
    bytes.set(new TextEncoder().encode('Relv'), at);
    expect(modelFormatError(() => deserializeGraph(bytes))).toMatch(/op 'Relv' has no core-ir schema/);
  });
});

function finishModel(b: Builder, graph: number, major: number, minor: number): Uint8Array {
  fb.Model.startModel(b);
  fb.Model.addVersionMajor(b, major);
  fb.Model.addVersionMinor(b, minor);
  fb.Model.addGraph(b, graph);
  b.finishSizePrefixed(fb.Model.endModel(b), GCM_FILE_IDENTIFIER);
  return b.asUint8Array().slice();
}

function modelWithVersion(major: number, minor: number): Uint8Array {
  const b = new Builder(256);
  const graph = fb.Graph.createGraph(b, b.createString('v'), 0, 0, 0, 0, 0);
  return finishModel(b, graph, major, minor);
}
