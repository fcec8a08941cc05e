/** Keyboard moves over a call tree: to the parent, into the widest child, to a neighbouring sibling. */
import { ROOT_NODE, type CallTree } from '../../profile/call-tree';

export type Move = 'parent' | 'child' | 'prev' | 'next';

/** The node a move leads to from `node`; `node` itself when there is nowhere to go. Zero-weight nodes are not drawn, so never chosen. */
export function moveSelection(tree: CallTree, node: number, move: Move): number {
  if (node < 0 || node >= tree.length) return ROOT_NODE;
  switch (move) {
    case 'parent':
      return node === ROOT_NODE ? node : tree.parent[node];
    case 'child': {
      let best = node;
      for (let i = tree.childStart[node]; i < tree.childStart[node + 1]; i++) {
        const c = tree.children[i];
        if (tree.total[c] > 0 && (best === node || tree.total[c] > tree.total[best])) best = c;
      }
      return best;
    }
    case 'prev':
    case 'next': {
      if (node === ROOT_NODE) return node;
      const p = tree.parent[node];
      const from = tree.childStart[p];
      const to = tree.childStart[p + 1];
      let i = from;
      while (i < to && tree.children[i] !== node) i++;
      const step = move === 'next' ? 1 : -1;
      for (let j = i + step; j >= from && j < to; j += step) if (tree.total[tree.children[j]] > 0) return tree.children[j];
      return node;
    }
  }
}
