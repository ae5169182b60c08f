// Convolution, normalization, pooling, matrix products and softmax.
import { AUTO_PADS, type Attrs, Tensor, type Value, attrError, isStatic, normAxis, shapeError, unsupportedOpError } from '@goldcrest/core-ir';
import type { OnnxNode } from '../node.js';
import type { OnnxOpTable } from '../registry.js';

/** Spatial rank of a windowed op: from kernel_shape, else the weight's or input's rank. */
function spatialRank(n: OnnxNode, x: Value, w?: Value | null): number | undefined {
  if (n.has('kernel_shape')) return n.ints('kernel_shape').length;
  if (w?.shape) return w.shape.length - 2;
  return x.shape ? x.shape.length - 2 : undefined;
}

function require2d(n: OnnxNode, rank: number | undefined, what: string): void {
  if (rank === 2) return;
  const desc = rank === undefined ? 'of unknown rank (pass inputShapes)' : `${rank}-D`;
  throw unsupportedOpError(`${n.where}: only 2-D ${what} is supported, this one is ${desc}`);
}

/** strides / dilations / pads / auto_pad shared by Conv and the pools, validated for 2-D. */
function windowAttrs(n: OnnxNode, withDilations: boolean): Attrs {
  const strides = n.ints('strides', [1, 1]);
  const dilations = withDilations ? n.ints('dilations', [1, 1]) : [1, 1];
  const pads = n.ints('pads', [0, 0, 0, 0]);
  const autoPad = n.string('auto_pad', 'NOTSET');
  const bad = (name: string, v: number[], len: number) => {
    if (v.length !== len) throw attrError(`${n.where}: attribute '${name}' has ${v.length} values ${JSON.stringify(v)}, a 2-D op needs ${len}`);
  };
  bad('strides', strides, 2);
  bad('dilations', dilations, 2);
  bad('pads', pads, 4);
  if (!(AUTO_PADS as readonly string[]).includes(autoPad)) throw n.unsupported('auto_pad', `value '${autoPad}' is not one of ${AUTO_PADS.join(', ')}`);
  // ONNX pads are [x1_begin, x2_begin, x1_end, x2_end] = core-ir's [top, left, bottom, right].
  return { layout: 'NCHW', strides, dilations, pads, autoPad };
}

/** Optional outputs that a frontend for inference cannot produce: an error only if something reads them. */
function rejectUsedOutputs(n: OnnxNode, from: number, what: string): void {
  for (let i = from; i < n.outputCount; i++) {
    if (n.outputUsed(i)) throw unsupportedOpError(`${n.where}: output ${i} ('${n.proto.output![i]}', ${what}) is read by the graph but is not supported`);
  }
}

const floatTensor = (like: Tensor, data: Float32Array | Float64Array, dims: number[]) => new Tensor(like.type, data, dims);

function isF32or64(t: Tensor): boolean {
  return t.type === 'float32' || t.type === 'float64';
}

function scaled(t: Tensor, k: number): Tensor {
  const src = t.data as Float32Array | Float64Array;
  const out = new (src.constructor as Float32ArrayConstructor)(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] * k;
  return floatTensor(t, out, [...t.dims]);
}

function transposed2d(t: Tensor): Tensor {
  const [r, c] = t.dims;
  const src = t.data as Float32Array | Float64Array;
  const out = new (src.constructor as Float32ArrayConstructor)(src.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = src[i * c + j];
  return floatTensor(t, out, [c, r]);
}

function scalarLike(dtype: string, v: number): Tensor {
  if (dtype === 'float32') return new Tensor('float32', new Float32Array([v]), []);
  if (dtype === 'float64') return new Tensor('float64', new Float64Array([v]), []);
  throw unsupportedOpError(`Gemm scaling by ${v} is supported for float32/float64 only, not ${dtype}`);
}

export const NN_OPS: OnnxOpTable = {
  Conv: {
    versions: [1, 11],
    to: ['Conv2D'],
    limits: '2-D only (1-D/3-D rejected)',
    lower: (n) => {
      const x = n.req(0, 'X');
      const w = n.req(1, 'W');
      require2d(n, spatialRank(n, x, w), 'convolution');
      if (n.has('kernel_shape') && w.shape && isStatic(w.shape)) {
        const ks = n.ints('kernel_shape');
        if (ks[0] !== w.shape[2] || ks[1] !== w.shape[3]) throw shapeError(`${n.where}: kernel_shape ${JSON.stringify(ks)} does not match weight dims ${JSON.stringify(w.shape)}`);
      }
      n.emitSimple('Conv2D', [x, w, n.input(2)], { ...windowAttrs(n, true), group: n.int('group', 1) });
    },
  },

  BatchNormalization: {
    versions: [1, 6, 7, 9, 14, 15],
    to: ['BatchNorm'],
    limits: 'inference form only: training_mode=1, spatial=0 or reading the running-statistics outputs is rejected',
    lower: (n) => {
      if (n.opset >= 14 && n.int('training_mode', 0) !== 0) throw n.unsupported('training_mode', '= 1 (batch statistics) is not supported; export the model in eval mode');
      if (n.opset < 9 && n.int('spatial', 1) === 0) throw n.unsupported('spatial', '= 0 (per-activation statistics) is not supported');
      rejectUsedOutputs(n, 1, 'training-mode statistics');
      const ins = [n.req(0, 'X'), n.req(1, 'scale'), n.req(2, 'B'), n.req(3, 'mean'), n.req(4, 'var')];
      n.emitSimple('BatchNorm', ins, { epsilon: n.float('epsilon', 1e-5), layout: 'NCHW' });
    },
  },

  MaxPool: {
    versions: [1, 8, 10, 11, 12],
    to: ['MaxPool2D'],
    limits: '2-D only; the Indices output is rejected',
    lower: (n) => {
      const x = n.req(0, 'X');
      require2d(n, spatialRank(n, x), 'pooling');
      // storage_order only changes how Indices are numbered, and Indices are rejected here.
      rejectUsedOutputs(n, 1, 'Indices');
      n.emitSimple('MaxPool2D', [x], {
        ...windowAttrs(n, n.opset >= 10),
        kernel: n.ints('kernel_shape'),
        ceilMode: n.opset >= 10 && n.int('ceil_mode', 0) !== 0,
      });
    },
  },

  AveragePool: {
    versions: [1, 7, 10, 11],
    to: ['AveragePool2D'],
    limits: '2-D only',
    lower: (n) => {
      const x = n.req(0, 'X');
      require2d(n, spatialRank(n, x), 'pooling');
      n.emitSimple('AveragePool2D', [x], {
        ...windowAttrs(n, n.opset >= 19),
        kernel: n.ints('kernel_shape'),
        ceilMode: n.opset >= 10 && n.int('ceil_mode', 0) !== 0,
        countIncludePad: n.opset >= 7 && n.int('count_include_pad', 0) !== 0,
      });
    },
  },

  GlobalAveragePool: {
    versions: [1],
    to: ['GlobalAveragePool'],
    limits: 'rank-4 (2-D) inputs only',
    lower: (n) => {
      const x = n.req(0, 'X');
      if (x.shape && x.shape.length !== 4) require2d(n, x.shape.length - 2, 'pooling');
      n.emitSimple('GlobalAveragePool', [x], { layout: 'NCHW' });
    },
  },

  MatMul: {
    versions: [1, 9, 13],
    to: ['MatMul'],
    lower: (n) => { n.emitSimple('MatMul', [n.req(0, 'A'), n.req(1, 'B')]); },
  },

  Gemm: {
    versions: [1, 6, 7, 9, 11, 13],
    to: ['Transpose', 'MatMul', 'Mul', 'Add'],
    limits: 'alpha/beta/transB folded into constant B and C; a [N] or [1,N] constant C becomes the MatMul bias',
    lower: (n) => {
      const alpha = n.float('alpha', 1);
      const beta = n.float('beta', 1);
      let a = n.req(0, 'A');
      let b = n.req(1, 'B');
      const c = beta !== 0 ? n.input(2) : null;
      if (n.int('transA', 0)) a = n.emit('Transpose', [a], [n.temp('A_T', a.dtype)], { perm: [1, 0] }, 'transpose_A').outputs[0];

      // Fold transB and alpha into a constant B; otherwise they become nodes.
      let alphaLeft = alpha;
      const bConst = n.constant(1);
      if (bConst && isF32or64(bConst) && bConst.dims.length === 2) {
        let t = n.int('transB', 0) ? transposed2d(bConst) : bConst;
        if (alpha !== 1) t = scaled(t, alpha);
        alphaLeft = 1;
        if (t !== bConst) b = n.addConstant('B', t);
      } else if (n.int('transB', 0)) {
        b = n.emit('Transpose', [b], [n.temp('B_T', b.dtype)], { perm: [1, 0] }, 'transpose_B').outputs[0];
      }

      // C: a bias of the MatMul when it is a constant row, else a broadcast Add after scaling.
      let bias: Value | null = null;
      let addend: Value | null = null;
      if (c) {
        const cConst = n.constant(2);
        const ncols = b.shape?.[1];
        const isRow = (t: Tensor) => typeof ncols === 'number' && t.size === ncols && (t.dims.length === 1 || (t.dims.length === 2 && t.dims[0] === 1));
        if (cConst && isF32or64(cConst)) {
          const t = beta !== 1 ? scaled(cConst, beta) : cConst;
          if (alphaLeft === 1 && isRow(t)) bias = t === cConst && t.dims.length === 1 ? c : n.addConstant('bias', new Tensor(t.type, t.data, [t.size]));
          else addend = t === cConst ? c : n.addConstant('C', t);
        } else {
          addend = beta !== 1 ? n.emit('Mul', [c, n.addConstant('beta', scalarLike(c.dtype, beta))], [n.temp('C_scaled', c.dtype)], {}, 'scale_C').outputs[0] : c;
        }
      }

      // MatMul [-> Mul alpha] [-> Add C]: the last of them writes the ONNX output and takes the node's name.
      const out = n.output(0);
      const last = (done: boolean, suffix: string) => (done ? out : n.temp(suffix, a.dtype));
      let y = n.emit('MatMul', [a, b, bias], [last(alphaLeft === 1 && !addend, 'matmul')], {}, alphaLeft === 1 && !addend ? undefined : 'matmul').outputs[0];
      if (alphaLeft !== 1) {
        y = n.emit('Mul', [y, n.addConstant('alpha', scalarLike(a.dtype, alphaLeft))], [last(!addend, 'scaled')], {}, addend ? 'scale' : undefined).outputs[0];
      }
      if (addend) n.emit('Add', [y, addend], [out]);
    },
  },

  Softmax: {
    versions: [1, 11, 13],
    to: ['Softmax', 'Flatten', 'Reshape', 'Shape'],
    limits: 'opset < 13 with a non-last axis: Flatten -> Softmax -> Reshape (the 2-D coercion semantics)',
    lower: (n) => {
      const x = n.req(0, 'input');
      if (n.opset >= 13) {
        n.emitSimple('Softmax', [x], { axis: n.int('axis', -1) });
        return;
      }
      // Before opset 13 the input is coerced to 2-D [prod(d[:axis]), prod(d[axis:])]: softmax
      // over all trailing dims together. That equals a plain Softmax only when axis is last.
      const axis0 = n.int('axis', 1);
      const rank = x.shape?.length;
      if (rank !== undefined && rank > 0 && normAxis(axis0, rank, n.where) === rank - 1) {
        n.emitSimple('Softmax', [x], { axis: rank - 1 });
        return;
      }
      const axis = rank !== undefined && axis0 < 0 ? axis0 + rank : axis0;
      const flat = n.emit('Flatten', [x], [n.temp('flat', x.dtype)], { axis }, 'flatten').outputs[0];
      const sm = n.emit('Softmax', [flat], [n.temp('softmax', x.dtype)], { axis: 1 }, 'softmax').outputs[0];
      const shape: Value = x.shape && isStatic(x.shape)
        ? n.int64Constant('shape', x.shape)
        : n.emit('Shape', [x], [n.temp('shape', 'int64')], {}, 'shape').outputs[0];
      n.emit('Reshape', [sm, shape], [n.output(0)]);
    },
  },
};
