// Liveness-based arena planning: every non-constant tensor storage gets an offset in one arena;
// storages whose lifetimes overlap never overlap in memory.

export interface StorageLifetime {
  bytes: number;
  /** Index of the node that writes it first (-1: a graph input, written before the run). */
  first: number;
  /** Index of the last node reading it (Infinity: a graph output, read after the run). */
  last: number;
}

export const ARENA_ALIGNMENT = 64;

const align = (n: number) => Math.ceil(n / ARENA_ALIGNMENT) * ARENA_ALIGNMENT;

/**
 * Greedy best-fit by decreasing size (the usual heuristic of TFLite's and ORT's planners): each
 * storage goes to the lowest offset that does not collide with an already placed storage whose
 * lifetime overlaps its own.
 */
export function planArena(storages: readonly StorageLifetime[]): { offsets: number[]; total: number } {
  const order = storages.map((_, i) => i).sort((a, b) => storages[b].bytes - storages[a].bytes || storages[a].first - storages[b].first);
  const offsets = new Array<number>(storages.length).fill(0);
  const placed: number[] = [];
  let total = 0;
  for (const i of order) {
    const s = storages[i];
    const size = align(Math.max(1, s.bytes));
    const conflicts = placed
      .filter((j) => storages[j].first <= s.last && s.first <= storages[j].last)
      .sort((a, b) => offsets[a] - offsets[b]);
    let at = 0;
    for (const j of conflicts) {
      if (at + size <= offsets[j]) break;
      at = Math.max(at, offsets[j] + align(Math.max(1, storages[j].bytes)));
    }
    offsets[i] = at;
    placed.push(i);
    total = Math.max(total, at + size);
  }
  return { offsets, total };
}
