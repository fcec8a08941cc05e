/**
 * The order of a call tree's children, shared by every tree projection
 * (call-tree.ts's top-down tree and tree-builder.ts's others): each node's
 * children in one contiguous run, sorted by function name as flamegraph.pl
 * sorts them, then by context, so the order is total and stable.
 */
import type { Profile } from './model';

/** The node arrays `linkChildren` fills; the rest of the tree is ready (parents precede children). */
interface TreeLinks {
  length: number;
  parent: Int32Array;
  childStart: Int32Array;
  children: Int32Array;
}

/**
 * Each function's position when functions are sorted by (name, context),
 * `funcFrame[func]` being a representative frame: one sort of the functions
 * instead of one per run of siblings.
 */
export function functionRanks(profile: Profile, funcFrame: ArrayLike<number>): Int32Array {
  const { strings, frames } = profile;
  const order = Array.from(funcFrame, (_, i) => i);
  order.sort((a, b) => {
    const na = strings[frames.name[funcFrame[a]]];
    const nb = strings[frames.name[funcFrame[b]]];
    if (na !== nb) return na < nb ? -1 : 1;
    return frames.context[funcFrame[a]] - frames.context[funcFrame[b]];
  });
  const rank = new Int32Array(funcFrame.length);
  for (let i = 0; i < order.length; i++) rank[order[i]] = i;
  return rank;
}

/** Fills childStart and children (CSR), each run sorted by key[node]; siblings' keys differ. */
export function linkChildren(tree: TreeLinks, key: Int32Array): void {
  const { length, parent, childStart, children } = tree;
  for (let n = 1; n < length; n++) childStart[parent[n] + 1]++;
  for (let n = 0; n < length; n++) childStart[n + 1] += childStart[n];
  const fill = childStart.slice(0, length);
  for (let n = 1; n < length; n++) children[fill[parent[n]]++] = n;
  for (let n = 0; n < length; n++) {
    const from = childStart[n];
    const to = childStart[n + 1];
    if (to - from > 1) sortRun(children, from, to, key);
  }
}

/**
 * Sorts children[from, to) by key[child]. Insertion sort for the short runs
 * most nodes have; for wide ones, (key, child) packed into one number and
 * sorted by the typed array's native numeric sort, with no comparator calls.
 * (key + KEY_OFFSET) · nodes + child is an exact integer while it stays
 * under 2^53: 10^7 functions and 10^8 nodes still fit.
 */
function sortRun(children: Int32Array, from: number, to: number, key: Int32Array): void {
  if (to - from <= 16) {
    for (let i = from + 1; i < to; i++) {
      const c = children[i];
      const r = key[c];
      let j = i - 1;
      while (j >= from && key[children[j]] > r) {
        children[j + 1] = children[j];
        j--;
      }
      children[j + 1] = c;
    }
    return;
  }
  const span = key.length;
  const packed = new Float64Array(to - from);
  for (let i = from; i < to; i++) packed[i - from] = (key[children[i]] + KEY_OFFSET) * span + children[i];
  packed.sort();
  for (let i = from; i < to; i++) children[i] = packed[i - from] % span;
}

/** Makes every sort key non-negative (call-tree.ts's group nodes' keys start at -1,000,000). */
const KEY_OFFSET = 1_048_576;
