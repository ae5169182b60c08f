import { readFileSync } from 'node:fs';
import { Graph, GoldcrestError, Tensor, serializeGraph } from '@goldcrest/core-ir';
import { describe, expect, it } from 'vitest';
import { assetPath } from '../../../tools/assets.mjs';
import { detectFormat } from './detect.js';

const bytesOf = (...parts: (number[] | string)[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...new TextEncoder().encode(p)] : p)));

function code(f: () => unknown): string {
  try { f(); } catch (e) { return e instanceof GoldcrestError ? e.code : `not a GoldcrestError: ${String(e)}`; }
  return 'no error';
}

describe('detectFormat', () => {
  const onnxBytes = readFileSync(assetPath('ppocr-cls'));

  it('recognises ONNX by content, whatever the extension says', () => {
    expect(detectFormat(onnxBytes)).toBe('onnx');
    expect(detectFormat(onnxBytes, 'model.tflite')).toBe('onnx');
    expect(detectFormat(onnxBytes.subarray(0, 100))).toBe('onnx'); // truncated: still ONNX-shaped
  });

  it('recognises TFLite by its "TFL3" identifier and .gcm by core-ir', () => {
    expect(detectFormat(bytesOf([0x1c, 0, 0, 0], 'TFL3', [0, 0, 0, 0]), 'x.onnx')).toBe('tflite');
    const g = new Graph();
    const x = g.addInput('x', 'float32', [2]);
    g.addNode('Relu', [x], [{ name: 'y', dtype: 'float32' }]);
    g.outputs.push(g.value('y'));
    g.addConstant('c', new Tensor('float32', [1], [1]));
    expect(detectFormat(serializeGraph(g))).toBe('gcm');
  });

  it('tells Caffe from TensorFlow, in text and in binary protobuf', () => {
    expect(detectFormat(bytesOf('name: "net"\ninput: "data"\nlayer {\n  name: "conv1"\n  type: "Convolution"\n}\n'))).toBe('caffe');
    expect(detectFormat(bytesOf('node {\n  name: "x"\n  op: "Placeholder"\n}\n'))).toBe('tf');
    // NetParameter { name: "net", layer (100) { name: "c" } }
    expect(detectFormat(bytesOf([0x0a, 3], 'net', [0xa2, 0x06, 3, 0x0a, 1], 'c'))).toBe('caffe');
    // GraphDef { node { name: "x", op: "Placeholder" }, versions { producer: 27 } }
    expect(detectFormat(bytesOf([0x0a, 16, 0x0a, 1], 'x', [0x12, 11], 'Placeholder', [0x22, 2, 0x08, 27]))).toBe('tf');
  });

  it('falls back to the extension when the content does not decide', () => {
    expect(detectFormat(bytesOf([0x08]), 'm.onnx')).toBe('onnx');
    expect(detectFormat(new Uint8Array(0), 'm.tflite')).toBe('tflite');
    expect(detectFormat(bytesOf('garbage'), 'deploy.prototxt')).toBe('caffe');
  });

  it('gives E_MODEL_FORMAT for content it cannot place', () => {
    expect(code(() => detectFormat(new Uint8Array(0)))).toBe('E_MODEL_FORMAT');
    expect(code(() => detectFormat(bytesOf([0xff, 0xff, 0xff, 0xff, 0x00]), 'weights.bin'))).toBe('E_MODEL_FORMAT');
    expect(code(() => detectFormat(bytesOf('just some text'), 'notes.txt'))).toBe('E_MODEL_FORMAT');
  });
});
