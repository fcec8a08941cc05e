/**
 * Flame-graph layout: a call tree as rows of rectangles in (weight, depth)
 * space, with no pixels, canvas or DOM (speedscope's flamechart.ts split).
 *
 * Row d holds the nodes at depth d (row 0 is the root "all"), left to right.
 * A node starts where its parent starts plus the widths of its earlier
 * siblings, so children are left-aligned under their parent and the parent's
 * self weight is the gap on the right, as flamegraph.pl draws it. Rectangles
 * in a row never overlap and are sorted by start, which is what lets hit
 * testing and culling binary-search a row.
 *
 * The layout does not depend on zoom: zooming picks a weight range (a
 * `FlameView`) and the drawing code maps that range to the canvas width, so
 * one layout per (profile, event) serves every zoom level. Weights are
 * assumed non-negative; zero-weight subtrees are left out.
 */
import { ROOT_NODE, type CallTree } from './call-tree';

export { ancestors } from './call-tree';

export interface FlameRow {
  length: number;
  start: Float64Array;
  width: Float64Array;
  node: Int32Array;
}

export interface FlameLayout {
  tree: CallTree;
  /** rows[d] = rectangles at depth d. */
  rows: FlameRow[];
  /** Start of each node's rectangle in weight space; NaN for nodes left out. */
  nodeStart: Float64Array;
  /** The root's total weight: the layout spans [0, total). */
  total: number;
}

/** The weight range [start, end) that fills the width; `depth` is the zoomed node's row. */
export interface FlameView {
  node: number;
  depth: number;
  start: number;
  end: number;
}

export function buildFlameLayout(tree: CallTree): FlameLayout {
  const nodeStart = new Float64Array(tree.length).fill(NaN);
  if (tree.length === 0 || !(tree.total[ROOT_NODE] > 0)) {
    return { tree, rows: [], nodeStart, total: 0 };
  }
  // Row sizes first, so every row is one typed allocation. A node with
  // weight has a parent with weight (weights are non-negative), so counting
  // nodes with total > 0 counts exactly the nodes the walk below places.
  const rowLength = new Int32Array(tree.maxDepth + 1);
  for (let n = 0; n < tree.length; n++) if (tree.total[n] > 0) rowLength[tree.depth[n]]++;
  const rows: FlameRow[] = [];
  for (let d = 0; d <= tree.maxDepth && rowLength[d] > 0; d++) {
    const len = rowLength[d];
    rows.push({ length: len, start: new Float64Array(len), width: new Float64Array(len), node: new Int32Array(len) });
  }
  const cursor = new Int32Array(rows.length);

  // Pre-order walk with an explicit stack (recursion depth can exceed the JS
  // stack on deep recursive profiles); children are pushed right to left so
  // they are visited, and so appended to their row, left to right.
  nodeStart[ROOT_NODE] = 0;
  const pending = new Int32Array(tree.length);
  let top = 0;
  pending[top++] = ROOT_NODE;
  while (top > 0) {
    const n = pending[--top];
    const d = tree.depth[n];
    const row = rows[d];
    const i = cursor[d]++;
    row.start[i] = nodeStart[n];
    row.width[i] = tree.total[n];
    row.node[i] = n;
    let x = nodeStart[n];
    const from = tree.childStart[n];
    const to = tree.childStart[n + 1];
    for (let k = from; k < to; k++) {
      const c = tree.children[k];
      if (tree.total[c] > 0) nodeStart[c] = x;
      x += tree.total[c];
    }
    for (let k = to - 1; k >= from; k--) {
      const c = tree.children[k];
      if (tree.total[c] > 0) pending[top++] = c;
    }
  }
  return { tree, rows, nodeStart, total: tree.total[ROOT_NODE] };
}

/** The view in which `node` fills the width (the root: everything). */
export function zoom(layout: FlameLayout, node: number): FlameView {
  const start = layout.nodeStart[node];
  if (node < 0 || node >= layout.tree.length || Number.isNaN(start)) {
    return { node: ROOT_NODE, depth: 0, start: 0, end: layout.total };
  }
  return { node, depth: layout.tree.depth[node], start, end: start + layout.tree.total[node] };
}

/** The node whose rectangle on row `depth` contains weight-space `x`, or -1. */
export function nodeAt(layout: FlameLayout, depth: number, x: number): number {
  const row = layout.rows[depth];
  if (!row || row.length === 0) return -1;
  // Last rectangle with start <= x.
  let lo = 0;
  let hi = row.length - 1;
  if (x < row.start[0]) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (row.start[mid] <= x) lo = mid;
    else hi = mid - 1;
  }
  return x < row.start[lo] + row.width[lo] ? row.node[lo] : -1;
}

/**
 * Index of the first rectangle of `row` that ends after `start`: drawing a
 * view walks the row from there while rectangles start before the view's end.
 */
export function firstVisible(row: FlameRow, start: number): number {
  let lo = 0;
  let hi = row.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (row.start[mid] + row.width[mid] <= start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
