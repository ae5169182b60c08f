import { describe, expect, it } from 'vitest';
import { formatOfFmk, inlineNumbers, parseCount, parseInputFiles, parseInputShapes, sanitizeName } from './args.js';
import { UsageError, exitCodeOf, formatError } from './errors.js';
import { GoldcrestError } from '@goldcrest/core-ir';

describe('parseInputShapes', () => {
  it('reads our form and converter_lite form', () => {
    expect(parseInputShapes(['x=1,3,224,224', 'y=5'])).toEqual({ x: [1, 3, 224, 224], y: [5] });
    expect(parseInputShapes(['a:1,32,32,4;b:1, 64'])).toEqual({ a: [1, 32, 32, 4], b: [1, 64] });
    expect(parseInputShapes(['input:0=1,2'])).toEqual({ 'input:0': [1, 2] });
    expect(parseInputShapes(undefined)).toEqual({});
  });
  it('rejects malformed specs as usage errors', () => {
    for (const bad of ['x', 'x=', '=1,2', 'x=1,,2', 'x=1,-3', 'x=a,b']) {
      expect(() => parseInputShapes([bad]), bad).toThrow(UsageError);
    }
    expect(() => parseInputShapes(['x=1', 'x=2'])).toThrow(/given twice/);
  });
});

describe('parseInputFiles', () => {
  it('splits at the first = and allows a bare path', () => {
    expect(parseInputFiles(['x=a/b=c.npy', 'in.npy'])).toEqual([{ name: 'x', path: 'a/b=c.npy' }, { path: 'in.npy' }]);
    expect(() => parseInputFiles(['=a.npy'])).toThrow(UsageError);
    expect(() => parseInputFiles(['x='])).toThrow(UsageError);
  });

  it('reads numbers written inline (sr=16000), unless a file of that name exists', () => {
    const none = () => false;
    expect(parseInputFiles(['sr=16000', 'k=3, -2.5e1', 'x=in.npy'], none)).toEqual([
      { name: 'sr', path: '16000', values: [16000] },
      { name: 'k', path: '3, -2.5e1', values: [3, -25] },
      { name: 'x', path: 'in.npy' },
    ]);
    expect(parseInputFiles(['sr=16000'], (p) => p === '16000')).toEqual([{ name: 'sr', path: '16000' }]);
    // A bare spec is always a path (it has no input name to give the numbers to).
    expect(parseInputFiles(['16000'], none)).toEqual([{ path: '16000' }]);
  });
});

describe('inlineNumbers', () => {
  it('parses comma-separated numbers, inf and nan; anything else is not inline', () => {
    expect(inlineNumbers('1,2.5,-3e2,.5,+4')).toEqual([1, 2.5, -300, 0.5, 4]);
    expect(inlineNumbers('inf,-inf')).toEqual([Infinity, -Infinity]);
    expect(inlineNumbers('nan')!.every(Number.isNaN)).toBe(true);
    for (const t of ['a.npy', '1,,2', '1 2', '', '0x10', '1,']) expect(inlineNumbers(t), t).toBeUndefined();
  });
});

describe('sanitizeName', () => {
  it('replaces every character outside [A-Za-z0-9_.-]', () => {
    expect(sanitizeName('softmax_0.tmp_0')).toBe('softmax_0.tmp_0');
    expect(sanitizeName('a/b:c d\\e')).toBe('a_b_c_d_e');
    expect(sanitizeName('../x')).toBe('.._x');
    expect(sanitizeName('é€')).toBe('__');
  });
});

describe('option parsers', () => {
  it('parseCount', () => {
    expect(parseCount('--threads')('4')).toBe(4);
    expect(parseCount('--warmup', 0)('0')).toBe(0);
    for (const bad of ['0', '-1', '1.5', 'two', '']) expect(() => parseCount('--threads')(bad), bad).toThrow(/--threads expects an integer >= 1/);
  });
  it('formatOfFmk maps converter_lite frameworks', () => {
    expect(formatOfFmk('ONNX')).toBe('onnx');
    expect(formatOfFmk('tflite')).toBe('tflite');
    expect(() => formatOfFmk('MINDIR')).toThrow(/--fmk=MINDIR is not supported/);
  });
});

describe('formatError', () => {
  it('prints typed errors with their code and no stack unless verbose', () => {
    const e = new GoldcrestError('E_MODEL_FORMAT', 'not an ONNX model');
    expect(formatError(e, false)).toBe('error [E_MODEL_FORMAT]: not an ONNX model');
    expect(formatError(e, true)).toMatch(/^error \[E_MODEL_FORMAT\]: not an ONNX model\n.*GoldcrestError/s);
    expect(formatError(new TypeError('boom'), false)).toBe('error: boom');
    expect(formatError('weird', false)).toBe('error: weird');
    expect(exitCodeOf(new UsageError('x'))).toBe(2);
    expect(exitCodeOf(e)).toBe(1);
  });
});
