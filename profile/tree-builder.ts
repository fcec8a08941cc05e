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
import { NodeTable } from './node-table';
import { functionRanks, linkChildren } from './sibling-order';

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
  private children: NodeTable;

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
    this.children = new NodeTable(cap);
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
    const rank = functionRanks(this.profile, this.fns.funcFrame);
    const key = new Int32Array(n);
    for (let v = 1; v < n; v++) key[v] = rank[this.func[v]];
    linkChildren(tree, key);
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
    // The table holds at most its capacity: refill a larger one from the nodes' own columns.
    this.children = new NodeTable(this.parent.length);
    for (let v = 1; v < this.length; v++) this.children.set(this.parent[v], this.func[v], v);
  }
}
