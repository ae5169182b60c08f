// End to end on a real third-party model: PP-OCR direction classifier (ONNX) -> converter ->
// runtime-native, compared with onnxruntime-node on the same random input in [-1, 1].
import { beforeAll, describe, expect, it } from 'vitest';
import { convert } from '@goldcrest/converter';
import { type Graph, Tensor, maxRelDiff as relError, serializeGraph } from '@goldcrest/core-ir';
import * as ort from 'onnxruntime-node';
import { assetPath } from '../../../tools/assets.mjs';
import { InferenceSession } from './session.js';
import { isaMatrix, randomFloats } from './test-utils.js';

const OUT = 'softmax_0.tmp_0';
const DIMS = [1, 3, 48, 192];

describe('e2e: ppocr-cls vs onnxruntime-node', () => {
  let modelPath: string;
  let oracle: ort.InferenceSession;
  const input = randomFloats(DIMS.reduce((a, b) => a * b), 20261122);
  let reference: Tensor;

  beforeAll(async () => {
    modelPath = assetPath('ppocr-cls');
    oracle = await ort.InferenceSession.create(modelPath);
    const r = await oracle.run({ x: new ort.Tensor('float32', input, DIMS) });
    reference = new Tensor('float32', r[OUT].data as Float32Array, r[OUT].dims as number[]);
  });

  const check = async (graph: Graph | Uint8Array, opts: { threads?: number; isa?: 'scalar' | 'avx2' | 'avx512' }) => {
    const session = await InferenceSession.create(graph, opts);
    const out = await session.run({ x: new Tensor('float32', input, DIMS) });
    expect(out[OUT].dims).toEqual([1, 2]);
    const err = relError(out[OUT], reference);
    expect(err).toBeLessThanOrEqual(1e-4);
    await session.release();
    return err;
  };

  for (const { isa, available } of isaMatrix()) {
    it.skipIf(!available)(`static input shape, isa ${isa}, 2 threads`, async () => {
      const graph = await convert(modelPath, { inputShapes: { x: DIMS } });
      await check(graph, { isa, threads: 2 });
    });
  }

  it('dynamic input dims (no inputShapes): planned per concrete shape at run time', async () => {
    const graph = await convert(modelPath);
    expect(graph.inputs[0].shape!.some((d) => typeof d === 'string')).toBe(true);
    await check(graph, { threads: 2 });
    // A second shape on the same session gets its own plan, still matching onnxruntime.
    const session = await InferenceSession.create(graph, { threads: 2 });
    const dims2 = [2, 3, 48, 96];
    const x2 = randomFloats(dims2.reduce((a, b) => a * b), 5);
    const ours = await session.run({ x: new Tensor('float32', x2, dims2) });
    const theirs = await oracle.run({ x: new ort.Tensor('float32', x2, dims2) });
    expect(relError(ours[OUT], new Tensor('float32', theirs[OUT].data as Float32Array, theirs[OUT].dims as number[]))).toBeLessThanOrEqual(1e-4);
    await session.release();
  });

  it('runs from .gcm bytes of the converted model', async () => {
    const graph = await convert(modelPath, { inputShapes: { x: DIMS } });
    await check(serializeGraph(graph), { threads: 1 });
  });
});
