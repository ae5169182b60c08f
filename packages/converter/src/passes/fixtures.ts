/**
 * Test helpers: a tiny builder for hand-made graphs and a before/after numeric check. Used by the
 * passes' tests only (not exported from the package).
 */
import { type Attrs, Graph, type Shape, Tensor, type Value, inferNode, validateGraph } from '@goldcrest/core-ir';
import { expect } from 'vitest';
import { maxRelDiff, randomFeeds, randomTensor, rng, runReference } from './testing.js';

export class Builder {
  readonly g = new Graph();
  private readonly rand: () => number;
  constructor(seed = 7) {
    this.rand = rng(seed);
  }
  input(name: string, shape: Shape): Value {
    return this.g.addInput(name, 'float32', shape);
  }
  /** A random float32 initializer in [lo, hi). */
  weight(name: string, dims: number[], lo = -1, hi = 1): Value {
    return this.g.addConstant(name, randomTensor(dims, this.rand, lo, hi));
  }
  f32(name: string, data: number[], dims: number[] = [data.length]): Value {
    return this.g.addConstant(name, new Tensor('float32', Float32Array.from(data), dims));
  }
  i64(name: string, data: number[]): Value {
    return this.g.addConstant(name, new Tensor('int64', data, [data.length]));
  }
  /** Adds a node with one output and infers its shape. */
  node(op: string, inputs: (Value | null)[], attrs: Attrs = {}, name?: string): Value {
    const n = this.g.addNode(op, inputs, [{ name: name ?? `${op.toLowerCase()}_${this.g.nodes.length}`, dtype: 'float32' }], attrs);
    inferNode(n);
    return n.outputs[0];
  }
  output(...vs: Value[]): Graph {
    this.g.outputs.push(...vs);
    validateGraph(this.g);
    return this.g;
  }
}

/** Runs `pass` on `g` and checks outputs before vs after on random inputs (relative error). */
export function expectSameNumerics(g: Graph, pass: (g: Graph) => unknown, tol = 1e-5, seed = 3): void {
  const feeds = randomFeeds(g, seed);
  const before = runReference(g, feeds);
  pass(g);
  validateGraph(g);
  const after = runReference(g, feeds);
  expect(Object.keys(after)).toEqual(Object.keys(before));
  for (const k of Object.keys(before)) {
    expect(after[k].dims).toEqual(before[k].dims);
    expect(maxRelDiff(after[k], before[k])).toBeLessThan(tol);
  }
}

/** The op of every node in order, for structure assertions. */
export const ops = (g: Graph) => g.nodes.map((n) => n.op);
