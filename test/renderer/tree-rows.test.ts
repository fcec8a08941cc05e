import { describe, expect, it } from 'vitest';
import { buildCallTree, nodeName } from '../../profile/call-tree';
import { buildBottomUpTree } from '../../profile/bottom-up';
import { childrenByTotal, expandAll, findPath, heaviestPath, nodePath, visibleRows } from '../../renderer/components/calltree/tree-rows';
import { recordDefaultScenario, textProfile } from '../helpers/stack-profiles';

const p = textProfile(`
  cycles: main;a;b 3
  cycles: main;c 5
  cycles: main;a 1
  cycles: main;c/gk 2
  cycles: idle 1
`);
const tree = buildCallTree(p);
const names = (rows: Int32Array) => Array.from(rows, (n) => `${'  '.repeat(tree.depth[n])}${nodeName(tree, n)}`);

describe('call tree table rows', () => {
  it('lists expanded nodes in tree order, children heaviest first', () => {
    const main = findPath(tree, ['0:main']);
    expect(names(visibleRows(tree, new Set([0, main]), true))).toEqual(['all', '  main', '    c', '    a', '    c', '  idle']);
    expect(names(visibleRows(tree, new Set(), false))).toEqual(['  main', '  idle']);
    const all = new Set<number>();
    expandAll(tree, 0, all);
    expect(visibleRows(tree, all, true).length).toBe(tree.length);
    expect(names(visibleRows(tree, all, true))).toContain('      b');
  });

  it('opens on the heaviest path and finds nodes again by function path', () => {
    expect(heaviestPath(tree).map((n) => nodeName(tree, n))).toEqual(['all', 'main']);
    const gk = findPath(tree, ['0:main', '3:c']);
    expect(nodeName(tree, gk)).toBe('c');
    expect(tree.total[gk]).toBe(2);
    expect(nodePath(tree, gk)).toEqual(['0:main', '3:c']);
    expect(findPath(tree, ['0:main', '4:c'])).toBe(-1);
  });

  it('on an emulator recording, paths round-trip and each sibling run is sorted by total', () => {
    for (const t of [buildCallTree(recordDefaultScenario()), buildBottomUpTree(recordDefaultScenario())]) {
      const order = childrenByTotal(t);
      let unsorted = 0;
      let lost = 0;
      for (let n = 0; n < t.length; n++) {
        for (let k = t.childStart[n] + 1; k < t.childStart[n + 1]; k++) if (t.total[order[k]] > t.total[order[k - 1]]) unsorted++;
        if (findPath(t, nodePath(t, n)) !== n) lost++;
      }
      expect([unsorted, lost]).toEqual([0, 0]);
      expect(t.length).toBeGreaterThan(100);
    }
  });
});
