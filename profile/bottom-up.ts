/**
 * The bottom-up (inverted) call tree: its roots are the functions samples
 * were taken in, their children the callers, and so on out to the threads'
 * entry points, as in the Firefox Profiler's "Invert call stack" and perf
 * report's --no-children caller graphs.
 *
 * Each sample's stack is read leaf first, so a root's total is the weight of
 * the samples whose leaf is that function: the sum of the function's self
 * weight over the top-down tree. Self weight sits on the roots only (the
 * weight spent in the function itself); deeper nodes are callers, which by
 * definition were not running. Samples without a callchain are the
 * synthetic root's self, as in the top-down tree, so both trees have the
 * same root total.
 *
 * Cost: one pass over the samples, then one walk per distinct stack with
 * samples, as long as that stack is deep.
 */
import type { CallTree, CallTreeOptions } from './call-tree';
import { ROOT_NODE } from './call-tree';
import type { Profile } from './model';
import { TreeBuilder, defaultEvent, functionsOf, stackWeights } from './tree-builder';

export function buildBottomUpTree(profile: Profile, options: CallTreeOptions = {}): CallTree {
  const event = defaultEvent(profile, options.event);
  const { stacks } = profile;
  const fns = functionsOf(profile);
  const weights = stackWeights(profile, event);
  const b = new TreeBuilder(profile, fns, stacks.length * 2);
  b.addEnd(ROOT_NODE, weights.noStackWeight, weights.noStackCount);
  b.addSelf(ROOT_NODE, weights.noStackWeight);
  for (let s = 0; s < stacks.length; s++) {
    const count = weights.count[s];
    if (count === 0) continue;
    const w = weights.weight[s];
    let node = b.child(ROOT_NODE, fns.funcOfFrame[stacks.frame[s]]);
    b.addSelf(node, w);
    for (let t = stacks.prefix[s]; t >= 0; t = stacks.prefix[t]) node = b.child(node, fns.funcOfFrame[stacks.frame[t]]);
    b.addEnd(node, w, count);
  }
  return b.finish(event);
}
