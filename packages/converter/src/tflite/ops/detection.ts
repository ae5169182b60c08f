// TFLite's NonMaxSuppression V4/V5 (TF's non_max_suppression_padded): one class, boxes
// [N, 4] as [y1, x1, y2, x2], scores [N]; outputs padded to max_output_size with 0 and the number
// of valid entries. Built on core-ir NonMaxSuppression, whose output length depends on the data:
// the runtime runs it on the host between native segments and pads after it (runtime-native
// README, "Host ops").
import { Tensor, type Value } from '@goldcrest/core-ir';
import type { TfNode } from '../node.js';
import type { TfOpTable } from '../registry.js';

/** Kept box indices [K] (int64) and K as int64 [1], for one-class NMS. */
function selectBoxes(n: TfNode, maxOut: number): { idx: Value; count: Value; scores: Value } {
  const boxes = n.req(0, 'boxes');
  const scores = n.req(1, 'scores');
  const b3 = n.helper('Unsqueeze', [boxes, n.int64Constant('batch_axis', [0])], 'boxes3d');
  const s3 = n.helper('Unsqueeze', [scores, n.int64Constant('batch_class_axes', [0, 1])], 'scores3d');
  const sel = n.helper('NonMaxSuppression', [b3, s3, n.int64Constant('max_output', [maxOut]), n.req(3, 'iou_threshold'), n.req(4, 'score_threshold')],
    'selected', {}, 'int64');
  const idx = n.helper('Gather', [sel, n.addConstant('box_column', new Tensor('int64', [2n], []))], 'box_index', { axis: 1 });
  const count = n.helper('Shape', [sel], 'count', { start: 0, end: 1 }, 'int64');
  return { idx, count, scores };
}

/** x [K] padded with zeros to [maxOut], cast to the output's dtype, written to `out`. */
function padTo(n: TfNode, x: Value, count: Value, maxOut: number, out: Value, suffix: string): void {
  const pad = n.helper('Sub', [n.int64Constant(`${suffix}_max`, [maxOut]), count], `${suffix}_pad_end`);
  const pads = n.helper('Concat', [n.int64Constant(`${suffix}_pad_begin`, [0]), pad], `${suffix}_pads`, { axis: 0 });
  const typed = x.dtype === out.dtype ? x : n.helper('Cast', [x], `${suffix}_cast`, { to: out.dtype }, out.dtype);
  n.emit('Pad', [typed, pads], [out], { mode: 'constant' }, suffix);
}

function lowerNms(n: TfNode, v5: boolean): void {
  if (v5) {
    const sigma = n.constant(5);
    if (!sigma || sigma.toNumbers().some((s) => s !== 0)) throw n.fail('soft NMS (soft_nms_sigma != 0) is not supported; only a constant sigma of 0 (hard NMS)');
  }
  const [maxOut] = n.constNumbers(2, 'max_output_size');
  const { idx, count, scores } = selectBoxes(n, maxOut);
  padTo(n, idx, count, maxOut, n.output(0), 'indices');
  if (v5) padTo(n, n.helper('Gather', [scores, idx], 'kept_scores', { axis: 0 }), count, maxOut, n.output(1), 'scores');
  const valid = n.output(v5 ? 2 : 1);
  const scalar = n.helper('Reshape', [count, n.int64Constant('scalar', [])], 'count_scalar');
  n.emit('Cast', [scalar], [valid], { to: valid.dtype }, 'valid');
}

export const DETECTION_OPS: TfOpTable = {
  NON_MAX_SUPPRESSION_V4: {
    to: ['NonMaxSuppression', 'Gather', 'Pad', 'Cast'],
    limits: 'constant max_output_size; outputs padded with 0 as TFLite does; the selection runs on the host (data-dependent length)',
    lower: (n) => lowerNms(n, false),
  },
  NON_MAX_SUPPRESSION_V5: {
    to: ['NonMaxSuppression', 'Gather', 'Pad', 'Cast'],
    limits: 'as V4, plus selected_scores; soft_nms_sigma must be a constant 0 (hard NMS)',
    lower: (n) => lowerNms(n, true),
  },
};
