// Detection post-processing. NonMaxSuppression's output length depends on the data: its shape is
// known only when its inputs are (constants, or graph inputs a plan specialises on); otherwise the
// runtime evaluates it on the host between native segments (runtime-native README, "Host ops").
// Semantics: the ONNX operator spec (opsets 10, 11).
import { Tensor } from '../tensor.js';
import { defineOp } from './schema.js';
import { req, where } from './util.js';
import { shapeError } from '../errors.js';

const num = (t: Tensor | undefined, dflt: number): number => (t && t.size > 0 ? t.toNumbers()[0] : dflt);

/** [y1, x1, y2, x2] corners (any diagonal, normalised to min/max) of box `i` of `b`. */
function corners(b: Tensor, base: number, centerPoint: boolean): [number, number, number, number] {
  const d = b.data as Float32Array | Float64Array;
  const [p, q, r, s] = [d[base], d[base + 1], d[base + 2], d[base + 3]];
  if (centerPoint) {
    // [x_center, y_center, width, height]
    return [q - s / 2, p - r / 2, q + s / 2, p + r / 2];
  }
  return [Math.min(p, r), Math.min(q, s), Math.max(p, r), Math.max(q, s)];
}

/** Intersection over union; boxes without area never overlap anything. */
function iou(a: [number, number, number, number], b: [number, number, number, number]): number {
  const areaA = (a[2] - a[0]) * (a[3] - a[1]);
  const areaB = (b[2] - b[0]) * (b[3] - b[1]);
  if (areaA <= 0 || areaB <= 0) return 0;
  const h = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const w = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (h <= 0 || w <= 0) return 0;
  const inter = h * w;
  return inter / (areaA + areaB - inter);
}

/**
 * Greedy per (batch, class): candidates scoring above `score_threshold`, highest score first (ties:
 * lower box index first); a candidate is kept unless its IoU with a kept box exceeds
 * `iou_threshold`; at most `max_output_boxes_per_class` per class (default 0: none).
 */
export function nonMaxSuppression(boxes: Tensor, scores: Tensor, maxPerClass: number, iouThreshold: number,
  scoreThreshold: number | undefined, centerPointBox: boolean): Tensor {
  const [batches, spatial] = boxes.dims;
  const classes = scores.dims[1];
  const sc = scores.data as Float32Array | Float64Array;
  const out: bigint[] = [];
  for (let bi = 0; bi < batches; bi++) {
    const box = Array.from({ length: spatial }, (_, i) => corners(boxes, (bi * spatial + i) * 4, centerPointBox));
    for (let ci = 0; ci < classes; ci++) {
      const row = (bi * classes + ci) * spatial;
      const order: number[] = [];
      for (let i = 0; i < spatial; i++) if (scoreThreshold === undefined || sc[row + i] > scoreThreshold) order.push(i);
      order.sort((x, y) => sc[row + y] - sc[row + x] || x - y);
      const kept: number[] = [];
      for (const i of order) {
        if (kept.length >= maxPerClass) break;
        if (kept.every((k) => iou(box[k], box[i]) <= iouThreshold)) kept.push(i);
      }
      for (const k of kept) out.push(BigInt(bi), BigInt(ci), BigInt(k));
    }
  }
  return new Tensor('int64', BigInt64Array.from(out), [out.length / 3, 3]);
}

const FLOATS = new Set(['float32', 'float64']);

/** The op on its input tensors (optional ones may be undefined) and attributes. */
const evaluateNms = ([boxes, scores, m, io, st]: (Tensor | undefined)[], centerPointBox: unknown): Tensor =>
  nonMaxSuppression(boxes!, scores!, num(m, 0), num(io, 0), st ? num(st, 0) : undefined, centerPointBox === 1);

defineOp({
  name: 'NonMaxSuppression',
  doc: 'int64 [selected, 3] (batch, class, box) indices kept by greedy per-class IoU suppression.',
  inputs: [{ name: 'boxes' }, { name: 'scores' }, { name: 'max_output_boxes_per_class', optional: true },
    { name: 'iou_threshold', optional: true }, { name: 'score_threshold', optional: true }],
  outputs: [{ name: 'selected_indices' }],
  attrs: { center_point_box: { type: 'int', default: 0 } },
  infer: (ctx) => {
    const boxes = req(ctx, 0);
    const scores = req(ctx, 1);
    if (!FLOATS.has(boxes.dtype) || scores.dtype !== boxes.dtype) {
      throw shapeError(`${where(ctx.node)}: boxes and scores must be float32 or float64 of one dtype, got ${boxes.dtype} and ${scores.dtype}`);
    }
    const b = boxes.shape, s = scores.shape;
    if (b && (b.length !== 3 || (typeof b[2] === 'number' && b[2] !== 4))) throw shapeError(`${where(ctx.node)}: boxes must be [batches, boxes, 4], got ${JSON.stringify(b)}`);
    if (s && s.length !== 3) throw shapeError(`${where(ctx.node)}: scores must be [batches, classes, boxes], got ${JSON.stringify(s)}`);
    if (b && s && typeof b[1] === 'number' && typeof s[2] === 'number' && b[1] !== s[2]) {
      throw shapeError(`${where(ctx.node)}: boxes has ${b[1]} boxes but scores has ${s[2]}`);
    }
    const vals = ctx.inputs.map((x) => x?.value);
    const present = ctx.inputs.map((x, i) => i < 2 || x !== undefined);
    // The length is known when every given input's value is.
    if (vals.every((v, i) => !present[i] || v)) return [{ dtype: 'int64', shape: [...evaluateNms(vals, ctx.attrs.center_point_box).dims] }];
    return [{ dtype: 'int64', shape: undefined }];
  },
  evaluate: (ins, attrs) => [evaluateNms(ins, attrs.center_point_box)],
});
