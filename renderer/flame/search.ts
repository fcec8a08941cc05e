/**
 * Regex search over a call tree: which nodes match, and what share of the
 * weight passes through a match. A sample counts once however many matching
 * frames its stack holds, so the share is the sum of the totals of the
 * matches that have no matching ancestor.
 */
import { ROOT_NODE, nodeName, type CallTree } from '../../profile/call-tree';

export interface SearchResult {
  /** Per node 1 for a match; null when the pattern is empty or invalid. */
  match: Uint8Array | null;
  /** Weight of the samples whose stack holds a match. */
  matchedWeight: number;
  /** matchedWeight over the root's total (0..1). */
  share: number;
  /** The RegExp constructor's own message for an invalid pattern. */
  error: string | null;
}

const NONE: SearchResult = { match: null, matchedWeight: 0, share: 0, error: null };

/** Case-insensitive, like speedscope's and the Firefox Profiler's search. */
export function compilePattern(pattern: string): RegExp | string {
  try {
    return new RegExp(pattern, 'i');
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

export function searchTree(tree: CallTree | null, pattern: string): SearchResult {
  if (!tree || pattern === '') return NONE;
  const re = compilePattern(pattern);
  if (typeof re === 'string') return { ...NONE, error: re };
  // Names repeat across nodes: test each distinct name once.
  const byName = new Map<number, boolean>();
  const match = new Uint8Array(tree.length);
  const covered = new Uint8Array(tree.length);
  let matchedWeight = 0;
  for (let n = 0; n < tree.length; n++) {
    let hit = byName.get(tree.name[n]);
    if (hit === undefined) {
      hit = n !== ROOT_NODE && re.test(nodeName(tree, n));
      byName.set(tree.name[n], hit);
    }
    const parentCovered = n === ROOT_NODE ? 0 : covered[tree.parent[n]];
    if (hit) {
      match[n] = 1;
      if (!parentCovered) matchedWeight += tree.total[n];
    }
    covered[n] = parentCovered | match[n];
  }
  const total = tree.total[ROOT_NODE];
  return { match, matchedWeight, share: total > 0 ? matchedWeight / total : 0, error: null };
}
