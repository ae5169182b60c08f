import { Graph, GoldcrestError } from '@goldcrest/core-ir';
import { describe, expect, it } from 'vitest';
import { inlineFeed } from './commands/run.js';

const g = new Graph();
const sr = g.addInput('sr', 'int64', []);
const pair = g.addInput('pair', 'float32', [2]);
const free = g.addInput('ks', 'int32', ['n']);
const mat = g.addInput('m', 'float32', [2, 'n']);
const half = g.addInput('h', 'float16', [1]);
const flag = g.addInput('b', 'bool', []);
const spec = (name: string, ...values: number[]) => ({ name, path: values.join(','), values });

describe('inlineFeed: numbers from the command line as a tensor of the input it names', () => {
  it('takes the input dtype and its declared shape', () => {
    const t = inlineFeed(spec('sr', 16000), sr);
    expect(t.type).toBe('int64');
    expect(t.dims).toEqual([]);
    expect(Array.from(t.data as BigInt64Array)).toEqual([16000n]);
    expect(Array.from(inlineFeed(spec('pair', 1.5, -2), pair).data as Float32Array)).toEqual([1.5, -2]);
    const k = inlineFeed(spec('ks', 3, 4, 5), free);
    expect([k.type, k.dims]).toEqual(['int32', [3]]);
    expect(Array.from(inlineFeed(spec('h', 1), half).data as Uint16Array)).toEqual([0x3c00]);
    expect(Array.from(inlineFeed(spec('b', 1), flag).data as Uint8Array)).toEqual([1]);
  });

  it('refuses what the numbers cannot say, naming the input', () => {
    const fails = (f: () => unknown, re: RegExp) => {
      let err: unknown;
      try { f(); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(GoldcrestError);
      expect((err as GoldcrestError).code).toBe('E_FEED');
      expect((err as Error).message).toMatch(re);
    };
    fails(() => inlineFeed(spec('pair', 1, 2, 3), pair), /input 'pair' has shape \[2\].*3 inline numbers.*\.npy/);
    fails(() => inlineFeed(spec('m', 1, 2, 3, 4), mat), /input 'm'.*\.npy/);
    fails(() => inlineFeed(spec('sr', 1.5), sr), /1\.5 is not a valid int64 value for input 'sr'/);
    fails(() => inlineFeed(spec('b', 2), flag), /2 is not a valid bool value/);
  });
});
