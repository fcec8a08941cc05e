/**
 * The call tree: stacks merged by function, with self and total weight.
 *
 * Node identity is (parent node, function), where a function is a frame's
 * (name, context): two frames that differ only by dso become one node, the
 * way flamegraph.pl merges by symbol, but a guest-kernel `memcpy` never merges
 * with a host-kernel `memcpy`: keeping contexts apart is the point of the tool.
 *
 * The tree is columnar like the model. Node 0 is the synthetic root "all";
 * nodes are numbered so that a parent precedes its children (they are created
 * in stack-table order, which is topological), and each node's children sit
 * in one contiguous run of `children`, sorted by name as flamegraph.pl sorts
 * them (then by context, so the order is total and stable).
 *
 * Cost: O(frames log frames + stacks + samples). Samples are folded into a
 * per-stack weight first, so the per-sample loop is two array reads and an
 * add; nodes are found through a numeric hash table, once per stack, never
 * per sample.
 */
import { ExecContext, type Profile } from './model';

export const ROOT_NODE = 0;

export interface CallTree {
  /** Number of nodes, including the root. */
  length: number;
  /** -1 for the root. */
  parent: Int32Array;
  /** A representative FrameIndex of the node's function; -1 for the root. */
  frame: Int32Array;
  /** StringIndex of the function name; -1 for the root ("all"). */
  name: Int32Array;
  context: Uint8Array; // ExecContext; Unknown for the root
  /** 0 for the root. */
  depth: Int32Array;
  /** Weight of the samples whose leaf is this node. */
  self: Float64Array;
  /** Weight of the samples that pass through this node (self + children). */
  total: Float64Array;
  /** Number of samples that pass through this node. */
  sampleCount: Float64Array;
  /** Children of node n are children[childStart[n] .. childStart[n + 1]), sorted by name. */
  childStart: Int32Array;
  children: Int32Array;
  maxDepth: number;
  /** The event the tree was built for, -1 for all events. */
  event: number;
  /** Names, shared with the profile (not copied). */
  strings: readonly string[];
}

export interface CallTreeOptions {
  /**
   * Only samples of this event; -1 for every event. Defaults to the first
   * event (0): weights of different events (cycles vs instructions) do not add.
   */
  event?: number;
}

/**
 * Builds the call tree of `profile`. Samples without a callchain (stack -1)
 * count as self weight of the root, so the root's total is always the
 * event's total weight (`totalWeight(profile, event)`). Stacks that carry no
 * sample of the event make no node.
 */
export function buildCallTree(profile: Profile, options: CallTreeOptions = {}): CallTree {
  const event = options.event ?? (profile.events.length > 0 ? 0 : -1);
  const { frames, stacks, samples } = profile;

  // 1. Frame -> function, keyed numerically by name * 8 + context.
  const funcOfFrame = new Int32Array(frames.length);
  const funcFrame: number[] = [];
  const funcIndex = new Map<number, number>();
  for (let f = 0; f < frames.length; f++) {
    const key = frames.name[f] * 8 + frames.context[f];
    let fn = funcIndex.get(key);
    if (fn === undefined) {
      fn = funcFrame.length;
      funcFrame.push(f);
      funcIndex.set(key, fn);
    }
    funcOfFrame[f] = fn;
  }

  // 2. Samples -> per-stack self weight and count (the only per-sample loop).
  const stackSelf = new Float64Array(stacks.length);
  const stackCount = new Float64Array(stacks.length);
  let rootSelf = 0;
  let rootCount = 0;
  {
    const { stack, weight, event: ev, length } = samples;
    for (let i = 0; i < length; i++) {
      if (event >= 0 && ev[i] !== event) continue;
      const s = stack[i];
      if (s < 0) {
        rootSelf += weight[i];
        rootCount++;
      } else {
        stackSelf[s] += weight[i];
        stackCount[s]++;
      }
    }
  }
  // Subtree sample counts, children before parents (reverse topological order),
  // so that stacks no sample passes through are skipped below.
  const stackReach = stackCount.slice();
  for (let s = stacks.length - 1; s >= 0; s--) {
    const p = stacks.prefix[s];
    if (p >= 0) stackReach[p] += stackReach[s];
  }

  // 3. Stack -> node. Nodes are created in stack order, so at most one per
  //    stack (plus the root), and a parent always precedes its children.
  const cap = stacks.length + 1;
  const parent = new Int32Array(cap);
  const func = new Int32Array(cap);
  const depth = new Int32Array(cap);
  const self = new Float64Array(cap);
  const count = new Float64Array(cap);
  parent[ROOT_NODE] = -1;
  func[ROOT_NODE] = -1;
  self[ROOT_NODE] = rootSelf;
  count[ROOT_NODE] = rootCount;
  let length = 1;
  const nodeOfStack = new Int32Array(stacks.length).fill(-1);
  const table = new NodeTable(cap);
  for (let s = 0; s < stacks.length; s++) {
    if (stackReach[s] === 0) continue;
    const p = stacks.prefix[s];
    const parentNode = p < 0 ? ROOT_NODE : nodeOfStack[p];
    const fn = funcOfFrame[stacks.frame[s]];
    let node = table.get(parentNode, fn);
    if (node < 0) {
      node = length++;
      parent[node] = parentNode;
      func[node] = fn;
      depth[node] = depth[parentNode] + 1;
      table.set(parentNode, fn, node);
    }
    nodeOfStack[s] = node;
    self[node] += stackSelf[s];
    count[node] += stackCount[s];
  }

  const tree: CallTree = {
    length,
    parent: parent.slice(0, length),
    frame: new Int32Array(length),
    name: new Int32Array(length),
    context: new Uint8Array(length),
    depth: depth.slice(0, length),
    self: self.slice(0, length),
    total: self.slice(0, length),
    sampleCount: count.slice(0, length),
    childStart: new Int32Array(length + 1),
    children: new Int32Array(length - 1),
    maxDepth: 0,
    event,
    strings: profile.strings,
  };
  tree.frame[0] = -1;
  tree.name[0] = -1;
  tree.context[0] = ExecContext.Unknown;
  for (let n = 1; n < length; n++) {
    const f = funcFrame[func[n]];
    tree.frame[n] = f;
    tree.name[n] = frames.name[f];
    tree.context[n] = frames.context[f];
    if (depth[n] > tree.maxDepth) tree.maxDepth = depth[n];
  }

  // 4. Totals: parents precede children, so one reverse pass suffices.
  for (let n = length - 1; n > 0; n--) {
    const p = tree.parent[n];
    tree.total[p] += tree.total[n];
    tree.sampleCount[p] += tree.sampleCount[n];
  }

  // 5. Children runs (CSR), then sort each run by function rank.
  const rank = funcRanks(profile, funcFrame);
  for (let n = 1; n < length; n++) tree.childStart[tree.parent[n] + 1]++;
  for (let n = 0; n < length; n++) tree.childStart[n + 1] += tree.childStart[n];
  const fill = tree.childStart.slice(0, length);
  for (let n = 1; n < length; n++) tree.children[fill[tree.parent[n]]++] = n;
  for (let n = 0; n < length; n++) {
    const from = tree.childStart[n];
    const to = tree.childStart[n + 1];
    if (to - from > 1) sortRun(tree.children, from, to, rank, func);
  }
  return tree;
}

/**
 * Sorts children[from, to) by rank[func[child]]. Insertion sort for the
 * short runs most nodes have; a keyed copy through Array#sort for wide ones.
 */
function sortRun(children: Int32Array, from: number, to: number, rank: Int32Array, func: Int32Array): void {
  if (to - from <= 16) {
    for (let i = from + 1; i < to; i++) {
      const c = children[i];
      const r = rank[func[c]];
      let j = i - 1;
      while (j >= from && rank[func[children[j]]] > r) {
        children[j + 1] = children[j];
        j--;
      }
      children[j + 1] = c;
    }
    return;
  }
  const run = Array.from(children.subarray(from, to));
  run.sort((a, b) => rank[func[a]] - rank[func[b]]);
  children.set(run, from);
}

/**
 * (parent node, function) -> node: open addressing over typed arrays, a few
 * times faster than a Map at 100k+ entries and free of per-entry garbage.
 * Capacity is fixed: a tree has at most one node per stack plus the root.
 */
class NodeTable {
  private readonly mask: number;
  private readonly keyParent: Int32Array;
  private readonly keyFunc: Int32Array;
  private readonly value: Int32Array;
  constructor(maxEntries: number) {
    let size = 16;
    while (size < maxEntries * 2) size *= 2;
    this.mask = size - 1;
    this.keyParent = new Int32Array(size);
    this.keyFunc = new Int32Array(size);
    this.value = new Int32Array(size).fill(-1);
  }
  private slot(parent: number, func: number): number {
    let h = Math.imul(parent, 0x9e3779b1) ^ func;
    h = Math.imul(h ^ (h >>> 15), 0x85ebca77);
    h = (h ^ (h >>> 13)) & this.mask;
    while (this.value[h] >= 0 && (this.keyParent[h] !== parent || this.keyFunc[h] !== func)) h = (h + 1) & this.mask;
    return h;
  }
  get(parent: number, func: number): number {
    return this.value[this.slot(parent, func)];
  }
  set(parent: number, func: number, node: number): void {
    const h = this.slot(parent, func);
    this.keyParent[h] = parent;
    this.keyFunc[h] = func;
    this.value[h] = node;
  }
}

/** Position of each function when sorted by (name, context): one sort instead of one per sibling run. */
function funcRanks(profile: Profile, funcFrame: number[]): Int32Array {
  const { strings, frames } = profile;
  const order = funcFrame.map((_, i) => i);
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

/** The node's function name; "all" for the root. */
export function nodeName(tree: CallTree, node: number): string {
  return node === ROOT_NODE ? 'all' : tree.strings[tree.name[node]];
}

/** The path from the root to `node`, both included (root first): breadcrumbs. */
export function ancestors(tree: CallTree, node: number): number[] {
  const path: number[] = [];
  for (let n = node; n >= 0; n = tree.parent[n]) path.push(n);
  return path.reverse();
}

/**
 * The tree as indented text, one node per line: "name [context] total/self".
 * For tests and debugging (children in tree order).
 */
export function formatCallTree(tree: CallTree, contextNames?: readonly string[]): string {
  const lines: string[] = [];
  const visit = (n: number) => {
    const ctx = n === ROOT_NODE || !contextNames ? '' : ` [${contextNames[tree.context[n]]}]`;
    lines.push(`${'  '.repeat(tree.depth[n])}${nodeName(tree, n)}${ctx} ${tree.total[n]}/${tree.self[n]}`);
    for (let i = tree.childStart[n]; i < tree.childStart[n + 1]; i++) visit(tree.children[i]);
  };
  if (tree.length > 0) visit(ROOT_NODE);
  return lines.join('\n');
}
