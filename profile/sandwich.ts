/**
 * The sandwich of one function F: who calls it (callers, above) and what it
 * calls (callees, below), merged over every place F appears in the tree, as
 * speedscope's sandwich view and the Firefox Profiler's "merge call node"
 * transforms show it.
 *
 * Recursion counts once: each sample is cut at the *outermost* F on its
 * stack. The callers tree is the path from that F out to the stack's root
 * (read inwards-out, like the bottom-up tree); the callees tree is the path
 * from that F in to the leaf (a top-down tree, where deeper recursive calls
 * of F show as nested F nodes). So both trees have the same F total, the
 * weight of the samples whose stack holds F at least once, and joining a
 * sample's callers path and callees path gives back its whole stack.
 *
 * Both trees are `CallTree`s whose synthetic root has one child, F.
 */
import { ROOT_NODE, type CallTree, type CallTreeOptions } from './call-tree';
import type { Profile } from './model';
import { TreeBuilder, defaultEvent, findFunction, functionsOf, stackWeights, type Functions } from './tree-builder';

export interface Sandwich {
  /** Weight of the samples whose stack holds the function (each sample once). */
  total: number;
  /** Weight of the samples taken in the function itself (their leaf is it). */
  self: number;
  sampleCount: number;
  /** root → F → F's callers → their callers … (the outermost F of each sample). */
  callers: CallTree;
  /** root → F → F's callees → … down to the leaves. */
  callees: CallTree;
}

/**
 * The sandwich of the function called `name` in execution context `context`,
 * or null when the profile has no such function (say, outside a time range).
 */
export function buildSandwich(profile: Profile, name: string, context: number, options: CallTreeOptions = {}): Sandwich | null {
  const fns = functionsOf(profile);
  const func = findFunction(profile, fns, name, context);
  return func < 0 ? null : sandwichOf(profile, fns, func, defaultEvent(profile, options.event));
}

export function sandwichOf(profile: Profile, fns: Functions, func: number, event: number): Sandwich {
  const { stacks } = profile;
  const funcOf = (s: number) => fns.funcOfFrame[stacks.frame[s]];
  const weights = stackWeights(profile, event);

  // outer[s]: the outermost stack row of F on the path to s, -1 if none.
  // Prefixes precede their stacks, so one forward pass settles every row.
  const outer = new Int32Array(stacks.length);
  // reach[s]: samples at or below s, so stacks without any make no node.
  const reach = weights.count.slice();
  for (let s = 0; s < stacks.length; s++) {
    const p = stacks.prefix[s];
    outer[s] = p >= 0 && outer[p] >= 0 ? outer[p] : funcOf(s) === func ? s : -1;
  }
  for (let s = stacks.length - 1; s >= 0; s--) if (stacks.prefix[s] >= 0) reach[stacks.prefix[s]] += reach[s];

  const callees = new TreeBuilder(profile, fns);
  const callers = new TreeBuilder(profile, fns);
  const calleeRoot = callees.child(ROOT_NODE, func);
  const callerRoot = callers.child(ROOT_NODE, func);
  const calleeNode = new Int32Array(stacks.length).fill(-1);
  let total = 0;
  let self = 0;
  let sampleCount = 0;
  for (let s = 0; s < stacks.length; s++) {
    if (outer[s] < 0 || reach[s] === 0) continue;
    const node = s === outer[s] ? calleeRoot : callees.child(calleeNode[stacks.prefix[s]], funcOf(s));
    calleeNode[s] = node;
    const count = weights.count[s];
    if (count === 0) continue;
    const w = weights.weight[s];
    callees.addEnd(node, w, count);
    callees.addSelf(node, w);
    total += w;
    sampleCount += count;

    let up = callerRoot;
    if (funcOf(s) === func) {
      self += w;
      callers.addSelf(callerRoot, w);
    }
    for (let t = stacks.prefix[outer[s]]; t >= 0; t = stacks.prefix[t]) up = callers.child(up, funcOf(t));
    callers.addEnd(up, w, count);
  }
  return { total, self, sampleCount, callers: callers.finish(event), callees: callees.finish(event) };
}
