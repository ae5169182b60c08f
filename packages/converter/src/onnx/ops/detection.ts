// Detection post-processing ops (ONNX default domain) -> core-ir ops/detection.ts.
import type { OnnxOpTable } from '../registry.js';

export const DETECTION_OPS: OnnxOpTable = {
  NonMaxSuppression: {
    versions: [10, 11],
    to: ['NonMaxSuppression'],
    limits: 'output length depends on the data: planned from constant inputs, else run on the host between native segments',
    lower: (n) => {
      n.emitSimple('NonMaxSuppression', [n.req(0, 'boxes'), n.req(1, 'scores'), n.input(2), n.input(3), n.input(4)],
        { center_point_box: n.int('center_point_box', 0) });
    },
  },
};
