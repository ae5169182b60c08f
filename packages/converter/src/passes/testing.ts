/**
 * Test helpers for passes and frontends. The reference interpreter, PRNG and error measure live in
 * core-ir (shared with the runtime's tests) and are re-exported here for the converter's tests.
 */
import type { Graph } from '@goldcrest/core-ir';

export { maxRelDiff, randomFeeds, randomTensor, rng, runReference } from '@goldcrest/core-ir';


/** Histogram of node ops (for reports and structure assertions). */
export function opHistogram(graph: Graph): Record<string, number> {
  const h: Record<string, number> = {};
  for (const n of graph.nodes) h[n.op] = (h[n.op] ?? 0) + 1;
  return h;
}
