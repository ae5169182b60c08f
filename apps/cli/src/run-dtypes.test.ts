// `goldcrest run` with non-float32 .npy feeds and outputs: int64/int32/bool/float64/float16
// inputs, outputs of each dtype written back as .npy, and a stateful real model (silero VAD, int64
// scalar `sr`) converted on the fly, checked against onnxruntime-node.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Graph, Tensor, decodeNpy, encodeNpy, maxRelDiff, saveGcm } from '@goldcrest/core-ir';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetPath } from '../../../tools/assets.mjs';
import { captureIo } from './io.js';
import { main } from './program.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'gc-run-dtypes-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]) {
  const io = captureIo();
  const code = await main(argv, io);
  return { code, stdout: io.stdout.join('\n'), stderr: io.stderr.join('\n') };
}

const npy = (name: string, t: Tensor) => {
  const p = join(dir, `${name}.npy`);
  writeFileSync(p, encodeNpy(t));
  return p;
};
const read = (outDir: string, name: string) => decodeNpy(readFileSync(join(outDir, `${name}.npy`)));

describe('goldcrest run: every feed dtype from .npy, every output dtype to .npy', () => {
  it('int64 (a Reshape target fed at run time), int32, bool, float64, float16', async () => {
    const g = new Graph('dtypes');
    const x = g.addInput('x', 'int64', [2, 3]);
    const shape = g.addInput('shape', 'int64', [2]);
    const i = g.addInput('i', 'int32', [4]);
    const b = g.addInput('b', 'bool', [2, 2]);
    const d = g.addInput('d', 'float64', [3]);
    const h = g.addInput('h', 'float16', [2]);
    g.outputs.push(
      g.addNode('Reshape', [x, shape], [{ name: 'x_reshaped', dtype: 'int64' }]).outputs[0],
      g.addNode('Identity', [i], [{ name: 'i_out', dtype: 'int32' }]).outputs[0],
      g.addNode('Flatten', [b], [{ name: 'b_flat', dtype: 'bool' }], { axis: 0 }).outputs[0],
      g.addNode('Identity', [d], [{ name: 'd_out', dtype: 'float64' }]).outputs[0],
      g.addNode('Unsqueeze', [h], [{ name: 'h_out', dtype: 'float16' }], { axes: [0] }).outputs[0],
    );
    const model = join(dir, 'dtypes.gcm');
    await saveGcm(model, g);
    const feeds = {
      x: new Tensor('int64', [1n, -2n, 3n, 2n ** 40n, 5n, -6n], [2, 3]),
      shape: new Tensor('int64', [3n, 2n], [2]),
      i: new Tensor('int32', new Int32Array([7, -8, 9, 2 ** 30]), [4]),
      b: new Tensor('bool', new Uint8Array([1, 0, 0, 1]), [2, 2]),
      d: new Tensor('float64', new Float64Array([Math.PI, -1e300, 5e-324]), [3]),
      h: new Tensor('float16', new Uint16Array([0x3c00, 0xc000]), [2]),
    };
    const out = join(dir, 'out-dtypes');
    const r = await cli('run', model, ...Object.entries(feeds).flatMap(([k, t]) => ['--input', `${k}=${npy(k, t)}`]), '--output-dir', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const check = (name: string, type: string, dims: number[], data: ArrayLike<unknown>) => {
      const t = read(out, name);
      expect([t.type, [...t.dims]]).toEqual([type, dims]);
      expect(Array.from(t.data as ArrayLike<unknown>)).toEqual(Array.from(data));
    };
    check('x_reshaped', 'int64', [3, 2], feeds.x.data as BigInt64Array);
    check('i_out', 'int32', [4], feeds.i.data as Int32Array);
    check('b_flat', 'bool', [1, 4], [1, 0, 0, 1]);
    check('d_out', 'float64', [3], feeds.d.data as Float64Array);
    check('h_out', 'float16', [1, 2], [0x3c00, 0xc000]);
    expect(r.stdout).toMatch(/x_reshaped int64 \[3,\s?2\]/);
    // A bool feed given as int8 is a typed feed error naming the input and the fix.
    const wrong = await cli('run', model, '--input', `x=${npy('x', feeds.x)}`, '--input', `shape=${npy('shape', feeds.shape)}`, '--input', `i=${npy('i', feeds.i)}`,
      '--input', `b=${npy('b8', new Tensor('int8', new Int8Array(4), [2, 2]))}`, '--input', `d=${npy('d', feeds.d)}`, '--input', `h=${npy('h', feeds.h)}`, '--output-dir', out);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/E_FEED.*b=.*expects bool but the file holds int8/);
  });

  it('silero VAD (.onnx converted on the fly): int64 scalar sr, float32 input/state, vs onnxruntime-node', async () => {
    const model = assetPath('silero-vad');
    const input = Float32Array.from({ length: 512 }, (_, k) => 0.3 * Math.sin(k / 5) + 0.1 * Math.sin(k / 1.7));
    const state = Float32Array.from({ length: 256 }, (_, k) => 0.05 * Math.cos(k));
    const out = join(dir, 'out-vad');
    const r = await cli('run', model,
      '--input', `input=${npy('input', new Tensor('float32', input, [1, 512]))}`,
      '--input', `state=${npy('state', new Tensor('float32', state, [2, 1, 128]))}`,
      '--input', `sr=${npy('sr', new Tensor('int64', [16000n], []))}`,
      '--output-dir', out, '--threads', '1');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const oracle = await ort.InferenceSession.create(model);
    const ref = await oracle.run({
      input: new ort.Tensor('float32', input, [1, 512]), state: new ort.Tensor('float32', state, [2, 1, 128]),
      sr: new ort.Tensor('int64', BigInt64Array.from([16000n]), []),
    });
    for (const name of ['output', 'stateN']) {
      const ours = read(out, name);
      expect([...ours.dims]).toEqual(ref[name].dims);
      expect(maxRelDiff(ours, new Tensor('float32', ref[name].data as Float32Array, ref[name].dims as number[]))).toBeLessThanOrEqual(1e-4);
    }

    // The scalar sr written inline gives the same outputs; bench takes it too (random data would
    // pick an sr the model has no branch for).
    const outInline = join(dir, 'out-vad-inline');
    const r2 = await cli('run', model,
      '--input', `input=${join(dir, 'input.npy')}`, '--input', `state=${join(dir, 'state.npy')}`, '--input', 'sr=16000',
      '--output-dir', outInline, '--threads', '1');
    expect(r2.stderr).toBe('');
    for (const name of ['output', 'stateN']) expect(read(outInline, name).data).toEqual(read(out, name).data);
    const b = await cli('bench', model, '--input-shape', 'input=1,512', '--input-shape', 'state=2,1,128', '--input', 'sr=16000',
      '--loops', '3', '--warmup', '1', '--threads', '1', '--json');
    expect(b.stderr).toBe('');
    expect(JSON.parse(b.stdout).inputs.sr).toEqual({ dtype: 'int64', shape: [] });
  });
});
