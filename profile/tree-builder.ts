/**
 * Growing a CallTree-shaped tree one path at a time, for the projections that
 * are not call-tree.ts's top-down tree: the bottom-up tree, the sandwich's
 * callers and callees, and the flame chart's stack → node map.
 *
 * Node identity is the call tree's: (parent node, function), a function
 * being a frame's (name, context). The result is a `CallTree` (node 0 is the
 * synthetic root, a parent precedes its children, children runs sorted by
 * name then context), so every view that shows a call tree shows these too.
 */
import { ExecContext, type Profile } from './model';
import { ROOT_NODE, type CallTree } from './call-tree';

/** Frames grouped into functions: `func = funcOfFrame[frame]`, `frame = funcFrame[func]` (a representative). */
export interface Functions {
  funcOfFrame: Int32Array;
  funcFrame: Int32Array;
}

/** The profile's functions, keyed as call-tree.ts keys them (name * 8 + context). */
export function functionsOf(profile: Profile): Functions {
  const { frames } = profile;
  const funcOfFrame = new Int32Array(frames.length);
  const funcFrame: number[] = [];
  const index = new Map<number, number>();
  for (let f = 0; f < frames.length; f++) {
    const key = frames.name[f] * 8 + frames.context[f];
    let fn = index.get(key);
    if (fn === undefined) {
      fn = funcFrame.length;
      funcFrame.push(f);
      index.set(key, fn);
    }
    funcOfFrame[f] = fn;
  }
  return { funcOfFrame, funcFrame: Int32Array.from(funcFrame) };
}

/** The function named `name` in `context`, or -1 when the profile has none. */
export function findFunction(profile: Profile, fns: Functions, name: string, context: number): number {
  const { frames, strings } = profile;
  for (let fn = 0; fn < fns.funcFrame.length; fn++) {
    const f = fns.funcFrame[fn];
    if (frames.context[f] === context && strings[frames.name[f]] === name) return fn;
  }
  return -1;
}

/** Per-stack weight and sample count of one event (-1: all), and the weight of samples without a stack. */
export interface StackWeights {
  weight: Float64Array;
  count: Float64Array;
  noStackWeight: number;
  noStackCount: number;
}

/** The only per-sample loop the tree projections need. */
export function stackWeights(profile: Profile, event: number): StackWeights {
  const { stack, weight: w, event: ev, length } = profile.samples;
  const weight = new Float64Array(profile.stacks.length);
  const count = new Float64Array(profile.stacks.length);
  let noStackWeight = 0;
  let noStackCount = 0;
  for (let i = 0; i < length; i++) {
    if (event >= 0 && ev[i] !== event) continue;
    const s = stack[i];
    if (s < 0) {
      noStackWeight += w[i];
      noStackCount++;
    } else {
      weight[s] += w[i];
      count[s]++;
    }
  }
  return { weight, count, noStackWeight, noStackCount };
}

/** The call trees' default event: the first, since weights of different events do not add. */
export function defaultEvent(profile: Profile, event?: number): number {
  return event ?? (profile.events.length > 0 ? 0 : -1);
}

export class TreeBuilder {
  length = 1;
  private parent: Int32Array;
  private func: Int32Array;
  /** Weight and count of the paths that end at the node; totals are their subtree sums. */
  private end: Float64Array;
  private endCount: Float64Array;
  private self: Float64Array;
  private readonly children: ChildTable;

  constructor(
    private readonly profile: Profile,
    private readonly fns: Functions,
    capacity = 1024,
  ) {
    const cap = Math.max(16, capacity);
    this.parent = new Int32Array(cap);
    this.func = new Int32Array(cap);
    this.end = new Float64Array(cap);
    this.endCount = new Float64Array(cap);
    this.self = new Float64Array(cap);
    this.parent[ROOT_NODE] = -1;
    this.func[ROOT_NODE] = -1;
    this.children = new ChildTable(cap);
  }

  /** The node for `func` called from `parent`, created on first use. */
  child(parent: number, func: number): number {
    let node = this.children.get(parent, func);
    if (node >= 0) return node;
    if (this.length === this.parent.length) this.grow();
    node = this.length++;
    this.parent[node] = parent;
    this.func[node] = func;
    this.children.set(parent, func, node);
    return node;
  }

  /** A path of `weight` (`count` samples) ends at `node`: it counts in the totals of the node and its ancestors. */
  addEnd(node: number, weight: number, count: number): void {
    this.end[node] += weight;
    this.endCount[node] += count;
  }

  addSelf(node: number, weight: number): void {
    this.self[node] += weight;
  }

  /** The tree, with totals summed up the parents and children sorted as call-tree.ts sorts them. */
  finish(event: number): CallTree {
    const { frames, strings } = this.profile;
    const n = this.length;
    const tree: CallTree = {
      length: n,
      parent: this.parent.slice(0, n),
      frame: new Int32Array(n),
      name: new Int32Array(n),
      context: new Uint8Array(n),
      depth: new Int32Array(n),
      self: this.self.slice(0, n),
      total: this.end.slice(0, n),
      sampleCount: this.endCount.slice(0, n),
      childStart: new Int32Array(n + 1),
      children: new Int32Array(n - 1),
      maxDepth: 0,
      event,
      strings,
    };
    tree.frame[ROOT_NODE] = -1;
    tree.name[ROOT_NODE] = -1;
    tree.context[ROOT_NODE] = ExecContext.Unknown;
    for (let v = 1; v < n; v++) {
      const f = this.fns.funcFrame[this.func[v]];
      tree.frame[v] = f;
      tree.name[v] = frames.name[f];
      tree.context[v] = frames.context[f];
      const d = tree.depth[tree.parent[v]] + 1;
      tree.depth[v] = d;
      if (d > tree.maxDepth) tree.maxDepth = d;
    }
    // Parents precede children, so one reverse pass sums every subtree.
    for (let v = n - 1; v > 0; v--) {
      const p = tree.parent[v];
      tree.total[p] += tree.total[v];
      tree.sampleCount[p] += tree.sampleCount[v];
    }
    const rank = funcRanks(this.profile, this.fns);
    for (let v = 1; v < n; v++) tree.childStart[tree.parent[v] + 1]++;
    for (let v = 0; v < n; v++) tree.childStart[v + 1] += tree.childStart[v];
    const fill = tree.childStart.slice(0, n);
    for (let v = 1; v < n; v++) tree.children[fill[tree.parent[v]]++] = v;
    for (let v = 0; v < n; v++) {
      const from = tree.childStart[v];
      const to = tree.childStart[v + 1];
      if (to - from > 1) sortRun(tree.children, from, to, rank, this.func);
    }
    return tree;
  }

  private grow(): void {
    const double = <T extends Int32Array | Float64Array>(a: T): T => {
      const next = new (a.constructor as new (n: number) => T)(a.length * 2);
      next.set(a);
      return next;
    };
    this.parent = double(this.parent);
    this.func = double(this.func);
    this.end = double(this.end);
    this.endCount = double(this.endCount);
    this.self = double(this.self);
  }
}

/**
 * Sorts children[from, to) by rank[func[child]]: insertion sort for the short
 * runs most nodes have, a keyed copy through Array#sort for wide ones.
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

/** Position of each function when sorted by (name, context). */
function funcRanks(profile: Profile, fns: Functions): Int32Array {
  const { strings, frames } = profile;
  const { funcFrame } = fns;
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

/** (parent node, function) → node: open addressing over typed arrays that doubles when half full. */
class ChildTable {
  private mask = 0;
  private used = 0;
  private keyParent = new Int32Array(0);
  private keyFunc = new Int32Array(0);
  private value = new Int32Array(0);

  constructor(entries: number) {
    let size = 16;
    while (size < entries * 2) size *= 2;
    this.alloc(size);
  }

  private alloc(size: number): void {
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
    if ((this.used + 1) * 2 > this.mask + 1) this.rehash();
    const h = this.slot(parent, func);
    if (this.value[h] < 0) this.used++;
    this.keyParent[h] = parent;
    this.keyFunc[h] = func;
    this.value[h] = node;
  }

  private rehash(): void {
    const { keyParent, keyFunc, value } = this;
    this.alloc((this.mask + 1) * 2);
    for (let i = 0; i < value.length; i++) {
      if (value[i] < 0) continue;
      const h = this.slot(keyParent[i], keyFunc[i]);
      this.keyParent[h] = keyParent[i];
      this.keyFunc[h] = keyFunc[i];
      this.value[h] = value[i];
    }
  }
}
