/**
 * What a call tree table shows: the rows of the expanded nodes in tree
 * order, children heaviest first. Pure functions over a CallTree and a set
 * of expanded nodes, so the table component only maps rows to pixels.
 *
 * A row list is rebuilt on each expand or collapse: O(visible rows), a few
 * milliseconds even with 100k rows shown, and nothing per scroll.
 */
import { ROOT_NODE, nodeName, type CallTree } from '../../../profile/call-tree';

const orderCache = new WeakMap<CallTree, Int32Array>();

/**
 * `tree.children` with each node's run sorted by total weight, heaviest
 * first (ties keep the tree's name order). Cached per tree.
 */
export function childrenByTotal(tree: CallTree): Int32Array {
  let order = orderCache.get(tree);
  if (order) return order;
  order = tree.children.slice();
  for (let n = 0; n < tree.length; n++) {
    const from = tree.childStart[n];
    const to = tree.childStart[n + 1];
    if (to - from < 2) continue;
    const run = Array.from(order.subarray(from, to));
    run.sort((a, b) => tree.total[b] - tree.total[a] || a - b);
    order.set(run, from);
  }
  orderCache.set(tree, order);
  return order;
}

export function hasChildren(tree: CallTree, node: number): boolean {
  return tree.childStart[node + 1] > tree.childStart[node];
}

/**
 * The nodes shown, in order. With `showRoot` false the root's children are
 * the top rows, whether or not the root is in `expanded`.
 */
export function visibleRows(tree: CallTree, expanded: ReadonlySet<number>, showRoot: boolean): Int32Array {
  if (tree.length === 0) return new Int32Array(0);
  const order = childrenByTotal(tree);
  const out: number[] = [];
  const stack: number[] = [];
  const pushChildren = (n: number) => {
    for (let k = tree.childStart[n + 1] - 1; k >= tree.childStart[n]; k--) stack.push(order[k]);
  };
  if (showRoot) stack.push(ROOT_NODE);
  else pushChildren(ROOT_NODE);
  while (stack.length > 0) {
    const n = stack.pop()!;
    out.push(n);
    if (expanded.has(n)) pushChildren(n);
  }
  return Int32Array.from(out);
}

/** Adds `node` and every node below it that has children. */
export function expandAll(tree: CallTree, node: number, expanded: Set<number>): void {
  const stack = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (!hasChildren(tree, n)) continue;
    expanded.add(n);
    for (let k = tree.childStart[n]; k < tree.childStart[n + 1]; k++) stack.push(tree.children[k]);
  }
}

/**
 * The root and the heaviest path below it while it holds at least `share`
 * of the root's total, up to `maxDepth`: what the table opens on.
 */
export function heaviestPath(tree: CallTree, share = 0.1, maxDepth = 12): number[] {
  const order = childrenByTotal(tree);
  const out: number[] = [];
  const floor = tree.total[ROOT_NODE] * share;
  for (let n = ROOT_NODE; out.length < maxDepth && hasChildren(tree, n) && tree.total[n] >= floor; n = order[tree.childStart[n]]) out.push(n);
  return out;
}

/** A node as a path of "context:name" keys from the root's children down: stable across trees. */
export function nodePath(tree: CallTree, node: number): string[] {
  const path: string[] = [];
  for (let n = node; n > ROOT_NODE; n = tree.parent[n]) path.push(`${tree.context[n]}:${nodeName(tree, n)}`);
  return path.reverse();
}

/** The node at `path` in `tree`, or -1 when the tree has no such path. */
export function findPath(tree: CallTree, path: readonly string[]): number {
  let node = ROOT_NODE;
  for (const key of path) {
    let next = -1;
    for (let k = tree.childStart[node]; k < tree.childStart[node + 1] && next < 0; k++) {
      const c = tree.children[k];
      if (`${tree.context[c]}:${nodeName(tree, c)}` === key) next = c;
    }
    if (next < 0) return -1;
    node = next;
  }
  return node;
}
