import { describe, expect, it } from 'vitest';
import { buildBottomUpTree } from '../../profile/bottom-up';
import { ROOT_NODE, buildCallTree, formatCallTree } from '../../profile/call-tree';
import { EXEC_CONTEXT_NAMES, totalWeight } from '../../profile/model';
import { addTo, nodeKey, pathWeights, recordDefaultScenario, sampleStack, textProfile } from '../helpers/stack-profiles';

describe('bottom-up call tree', () => {
  it('roots are the sampled functions with their self weight, children their callers', () => {
    const p = textProfile(`
      cycles: main;a;b 3
      cycles: main;c;b 2
      cycles: main;a 1
      cycles: main;b/hk 4
      cycles: main;a;b;a;b 2
      cycles:  5
      instructions: main;z 7
    `);
    expect(formatCallTree(buildBottomUpTree(p), EXEC_CONTEXT_NAMES)).toBe(
      [
        'all 17/5',
        '  a [host-user] 1/1',
        '    main [host-user] 1/0',
        '  b [host-user] 7/7',
        '    a [host-user] 5/0',
        '      b [host-user] 2/0',
        '        a [host-user] 2/0',
        '          main [host-user] 2/0',
        '      main [host-user] 3/0',
        '    c [host-user] 2/0',
        '      main [host-user] 2/0',
        '  b [host-kernel] 4/4',
        '    main [host-user] 4/0',
      ].join('\n'),
    );
    expect(formatCallTree(buildBottomUpTree(p, { event: 1 }))).toBe(['all 7/0', '  z 7/7', '    main 7/0'].join('\n'));
  });

  it('on an emulator recording, each root totals its function’s self weight in the top-down tree', () => {
    const p = recordDefaultScenario();
    const up = buildBottomUpTree(p);
    const down = buildCallTree(p);
    expect(up.total[ROOT_NODE]).toBe(totalWeight(p, 0));
    expect(up.total[ROOT_NODE]).toBe(down.total[ROOT_NODE]);
    expect(up.self[ROOT_NODE]).toBe(down.self[ROOT_NODE]);

    const selfByFunction = new Map<string, number>();
    for (let n = 1; n < down.length; n++) if (down.self[n] > 0) addTo(selfByFunction, nodeKey(down, n), down.self[n]);
    const roots = new Map<string, number>();
    let rootSum = up.self[ROOT_NODE];
    for (let k = up.childStart[ROOT_NODE]; k < up.childStart[ROOT_NODE + 1]; k++) {
      const c = up.children[k];
      expect(up.self[c]).toBe(up.total[c]);
      roots.set(nodeKey(up, c), up.total[c]);
      rootSum += up.total[c];
    }
    expect(roots).toEqual(selfByFunction);
    expect(rootSum).toBe(up.total[ROOT_NODE]);
    // Host and guest functions stay apart, as in the top-down tree.
    const contexts = new Set([...roots.keys()].map((k) => k.slice(k.lastIndexOf('/') + 1)));
    expect(contexts).toContain('guest-kernel');
    expect(contexts).toContain('host-kernel');

    // Every sample's stack, read leaf first, is a path of the tree with its weight.
    const expected = new Map<string, number>();
    for (let i = 0; i < p.samples.length; i++) {
      const stack = sampleStack(p, i);
      if (stack.length > 0) addTo(expected, stack.reverse().join(';'), p.samples.weight[i]);
    }
    expect(pathWeights(up)).toEqual(expected);
  });
});
