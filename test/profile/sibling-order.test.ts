import { describe, expect, it } from 'vitest';
import { buildBottomUpTree } from '../../profile/bottom-up';
import { ROOT_NODE, buildCallTree, nodeName } from '../../profile/call-tree';
import { TreeBuilder, functionsOf } from '../../profile/tree-builder';
import { textProfile } from '../helpers/stack-profiles';

/** 40 leaf functions under main, listed in an order that is not theirs by name. */
const WIDE = Array.from({ length: 40 }, (_, i) => `f${String((i * 17) % 40).padStart(2, '0')}`);

function childNames(tree: ReturnType<typeof buildCallTree>, node: number): string[] {
  return Array.from(tree.children.subarray(tree.childStart[node], tree.childStart[node + 1]), (c) => nodeName(tree, c));
}

describe('sibling order shared by the call tree projections', () => {
  it('a run wider than the insertion-sort cut-off comes out sorted by name, top-down and bottom-up alike', () => {
    const p = textProfile(WIDE.map((f) => `cycles: main;${f} 1`).join('\n'));
    const sorted = [...WIDE].sort();
    const top = buildCallTree(p);
    const main = top.children[top.childStart[ROOT_NODE]];
    expect(childNames(top, main)).toEqual(sorted);
    expect(childNames(buildBottomUpTree(p), ROOT_NODE)).toEqual(sorted);
  });

  it('a tree builder still finds every node after growing far past its first capacity', () => {
    const p = textProfile(WIDE.map((f) => `cycles: main;${f} 1`).join('\n'));
    const fns = functionsOf(p);
    const builder = new TreeBuilder(p, fns, 16);
    const nodes: number[] = [];
    for (let n = 0; n < 5000; n++) nodes.push(builder.child(n >> 3, n % fns.funcFrame.length));
    expect(new Set(nodes).size).toBe(5000);
    for (let n = 0; n < 5000; n++) expect(builder.child(n >> 3, n % fns.funcFrame.length)).toBe(nodes[n]);
    expect(builder.length).toBe(5001);
  });
});
