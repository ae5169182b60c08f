// Host ops: a node whose output shape depends on data computed in the same run (NonMaxSuppression
// on a detector head's scores, NonZero of a computed mask) cuts the plan in two; the node runs on
// the host in between. Compared with onnxruntime-node on the same ONNX models, over inputs that
// select different numbers of boxes (so the part after the cut is planned for several dims).
import { describe, expect, it } from 'vitest';
import { convert } from '@goldcrest/converter';
import { GoldcrestError, Tensor, maxRelDiff, rng } from '@goldcrest/core-ir';
import { type TinyModel, buildModel, runOrt } from '../../converter/src/onnx/testing.js';
import { InferenceSession } from './session.js';
import { randomTensor } from './test-utils.js';

const f32 = (v: number[], dims: number[]) => new Tensor('float32', Float32Array.from(v), dims);
const i64 = (v: number[], dims: number[]) => new Tensor('int64', v.map(BigInt), dims);

/** A detector head: boxes and per-class scores computed from features, NMS, the kept boxes gathered. */
function detectorHead(anchors: number, feat: number, classes: number): TinyModel {
  const r = rng(11);
  const rand = (n: number, s: number) => Array.from({ length: n }, () => (2 * r() - 1) * s);
  const grid = Array.from({ length: anchors }, (_, a) => [a % 8, Math.floor(a / 8), a % 8 + 2, Math.floor(a / 8) + 2]).flat();
  return {
    opset: 13,
    inputs: [{ name: 'feat', dims: [1, anchors, feat] }],
    outputs: [{ name: 'selected', dtype: 'int64' }, { name: 'kept_boxes' }, { name: 'count', dtype: 'int64' }],
    initializers: {
      wb: f32(rand(feat * 4, 0.3), [feat, 4]), anchors: f32(grid, [1, anchors, 4]), ws: f32(rand(feat * classes, 1), [feat, classes]),
      max_out: i64([6], [1]), iou: f32([0.3], [1]), score: f32([0.85], [1]), box_col: i64([2], []), zero: i64([0], [1]),
    },
    nodes: [
      { op: 'MatMul', inputs: ['feat', 'wb'], outputs: ['delta'] },
      { op: 'Add', inputs: ['delta', 'anchors'], outputs: ['boxes'] },
      { op: 'MatMul', inputs: ['feat', 'ws'], outputs: ['logits'] },
      { op: 'Sigmoid', inputs: ['logits'], outputs: ['prob'] },
      { op: 'Transpose', inputs: ['prob'], outputs: ['scores'], attrs: { perm: { ints: [0, 2, 1] } } },
      { op: 'NonMaxSuppression', inputs: ['boxes', 'scores', 'max_out', 'iou', 'score'], outputs: ['selected'] },
      // After the cut: the kept boxes (Gather by the selected box index) and their count.
      { op: 'Gather', inputs: ['selected', 'box_col'], outputs: ['box_idx'], attrs: { axis: { i: 1 } } },
      { op: 'Squeeze', inputs: ['boxes', 'zero'], outputs: ['boxes2d'] },
      { op: 'Gather', inputs: ['boxes2d', 'box_idx'], outputs: ['gathered'], attrs: { axis: { i: 0 } } },
      { op: 'Relu', inputs: ['gathered'], outputs: ['kept_boxes'] },
      { op: 'Shape', inputs: ['selected'], outputs: ['count'] },
    ],
  };
}

async function expectLikeOrt(m: TinyModel, feeds: Record<string, Tensor>[], threads: number): Promise<number[]> {
  const bytes = buildModel(m);
  const session = await InferenceSession.create(await convert(bytes), { threads });
  const counts: number[] = [];
  try {
    for (const f of feeds) {
      const ref = await runOrt(bytes, f);
      const out = await session.run(f);
      expect(Object.keys(out)).toEqual(m.outputs.map((o) => o.name));
      for (const o of m.outputs) {
        expect(out[o.name].dims, o.name).toEqual(ref[o.name].dims);
        expect(out[o.name].type, o.name).toBe(ref[o.name].type);
        if (out[o.name].type === 'int64') expect(Array.from(out[o.name].data as BigInt64Array), o.name).toEqual(Array.from(ref[o.name].data as BigInt64Array));
        else expect(maxRelDiff(out[o.name], ref[o.name]), o.name).toBeLessThan(1e-5);
      }
      counts.push(out[m.outputs[0].name].dims[0]);
    }
  } finally {
    await session.release();
  }
  return counts;
}

describe('host ops: the plan is cut at a node whose output shape depends on computed data', () => {
  it('NonMaxSuppression on a detector head: kept boxes gathered after the cut, like onnxruntime-node', async () => {
    const m = detectorHead(48, 8, 3);
    const feeds = [1, 2, 3, 4, 5, 6].map((s) => ({ feat: randomTensor([1, 48, 8], s, -1.5, 1.5) }));
    for (const threads of [1, 2]) {
      const counts = await expectLikeOrt(m, feeds, threads);
      // Different inputs keep different numbers of boxes: the segment after the cut runs at several dims.
      expect(new Set(counts).size, `counts ${counts}`).toBeGreaterThan(1);
    }
    // Profiling covers both native segments and the host node.
    const s = await InferenceSession.create(await convert(buildModel(m)), { threads: 1, profile: true });
    await s.run(feeds[0]);
    const ops = s.lastProfile().map((p) => p.op);
    expect(ops).toContain('NonMaxSuppression');
    expect(ops.indexOf('MatMul')).toBeLessThan(ops.indexOf('NonMaxSuppression'));
    expect(ops.indexOf('Gather')).toBeGreaterThan(ops.indexOf('NonMaxSuppression'));
    expect(s.isa).toBeDefined();
    await s.release();
  });

  it('NonZero of a computed mask feeding more nodes', async () => {
    const m: TinyModel = {
      opset: 13,
      inputs: [{ name: 'x', dims: [3, 5] }],
      outputs: [{ name: 'coords', dtype: 'int64' }, { name: 'picked' }],
      initializers: { t: f32([0.25], []), one: i64([1], []) },
      nodes: [
        { op: 'Sigmoid', inputs: ['x'], outputs: ['s'] },
        { op: 'Greater', inputs: ['s', 't'], outputs: ['mask'] },
        { op: 'NonZero', inputs: ['mask'], outputs: ['nz'] },
        { op: 'Transpose', inputs: ['nz'], outputs: ['coords'], attrs: { perm: { ints: [1, 0] } } },
        { op: 'Gather', inputs: ['nz', 'one'], outputs: ['cols'], attrs: { axis: { i: 0 } } },
        { op: 'Gather', inputs: ['x', 'cols'], outputs: ['picked'], attrs: { axis: { i: 1 } } },
      ],
    };
    const feeds = [7, 8, 9].map((s) => ({ x: randomTensor([3, 5], s, -3, 1) }));
    const counts = await expectLikeOrt(m, feeds, 1);
    expect(new Set(counts).size).toBeGreaterThan(1);
  });

  it('a host op that fails names its node; the session survives and runs the next feed', async () => {
    // Compress with a condition longer than the axis is fine; boxes with 3 coordinates are not.
    const m: TinyModel = {
      opset: 11,
      inputs: [{ name: 'b', dims: [1, 4, 'k'] }, { name: 's', dims: [1, 1, 4] }],
      outputs: [{ name: 'sel', dtype: 'int64' }],
      initializers: { max_out: i64([2], [1]) },
      nodes: [
        { op: 'Relu', inputs: ['b'], outputs: ['b2'] },
        { op: 'Relu', inputs: ['s'], outputs: ['s2'] },
        { op: 'NonMaxSuppression', inputs: ['b2', 's2', 'max_out'], outputs: ['sel'], name: 'the_nms' },
      ],
    };
    const session = await InferenceSession.create(await convert(buildModel(m)), { threads: 1 });
    try {
      const good = { b: randomTensor([1, 4, 4], 1, 0, 1), s: randomTensor([1, 1, 4], 2, 0, 1) };
      const bad = { b: randomTensor([1, 4, 3], 1, 0, 1), s: good.s };
      const err = await session.run(bad).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GoldcrestError);
      expect((err as Error).message).toMatch(/the_nms.*NonMaxSuppression/);
      expect((await session.run(good)).sel.dims).toEqual([2, 3]);
    } finally {
      await session.release();
    }
  });
});
