import { describe, expect, it } from 'vitest';
import { buildCallTree, formatCallTree, ROOT_NODE } from '../../profile/call-tree';
import { EXEC_CONTEXT_NAMES, ExecContext } from '../../profile/model';
import { buildSandwich } from '../../profile/sandwich';
import { addTo, nodeKey, pathWeights, recordDefaultScenario, sampleStack, textProfile } from '../helpers/stack-profiles';

const fixture = textProfile(`
  cycles: main;a;b 3
  cycles: main;c;b;d 2
  cycles: main;b;a;b;e 4
  cycles: main;b/hk 10
  cycles: main;a 1
  instructions: x;b 7
`);

describe('sandwich of a function', () => {
  it('merges every place the function appears, cutting each sample at its outermost call', () => {
    const s = buildSandwich(fixture, 'b', ExecContext.HostUser)!;
    expect(s.total).toBe(9);
    expect(s.self).toBe(3);
    expect(s.sampleCount).toBe(3);
    expect(formatCallTree(s.callers)).toBe(
      ['all 9/0', '  b 9/3', '    a 3/0', '      main 3/0', '    c 2/0', '      main 2/0', '    main 4/0'].join('\n'),
    );
    expect(formatCallTree(s.callees)).toBe(
      ['all 9/0', '  b 9/3', '    a 4/0', '      b 4/0', '        e 4/4', '    d 2/2'].join('\n'),
    );
  });

  it('keeps contexts apart, follows the event, and is null for a function the profile lacks', () => {
    const hk = buildSandwich(fixture, 'b', ExecContext.HostKernel)!;
    expect(formatCallTree(hk.callers, EXEC_CONTEXT_NAMES)).toBe(['all 10/0', '  b [host-kernel] 10/10', '    main [host-user] 10/0'].join('\n'));
    expect(buildSandwich(fixture, 'b', ExecContext.HostUser, { event: 1 })!.total).toBe(7);
    expect(buildSandwich(fixture, 'b', ExecContext.GuestKernel)).toBeNull();
    expect(buildSandwich(fixture, 'nope', ExecContext.HostUser)).toBeNull();
  });

  it('on an emulator recording, matches the samples’ stacks for the heaviest functions', () => {
    const p = recordDefaultScenario();
    const tree = buildCallTree(p);
    // The heaviest functions by total, each counted once per sample.
    const totals = new Map<string, number>();
    for (let i = 0; i < p.samples.length; i++) for (const f of new Set(sampleStack(p, i))) addTo(totals, f, p.samples.weight[i]);
    const heaviest = [...totals].sort((a, b) => b[1] - a[1]).slice(0, 6);
    // Pick recursive and guest functions too, when the recording has them.
    const guest = [...totals].find(([f]) => f.endsWith('/guest-kernel'));
    expect(guest).toBeDefined();
    for (const [key, total] of [...heaviest, guest!]) {
      const slash = key.lastIndexOf('/');
      const name = key.slice(0, slash);
      const context = EXEC_CONTEXT_NAMES.indexOf(key.slice(slash + 1) as (typeof EXEC_CONTEXT_NAMES)[number]);
      const s = buildSandwich(p, name, context)!;
      expect(s.total).toBe(total);
      expect(s.callers.total[ROOT_NODE]).toBe(total);
      expect(s.callees.total[ROOT_NODE]).toBe(total);

      const callers = new Map<string, number>();
      const callees = new Map<string, number>();
      let self = 0;
      for (let i = 0; i < p.samples.length; i++) {
        const stack = sampleStack(p, i);
        const at = stack.indexOf(key);
        if (at < 0) continue;
        const w = p.samples.weight[i];
        addTo(callers, stack.slice(0, at + 1).reverse().join(';'), w);
        addTo(callees, stack.slice(at).join(';'), w);
        if (stack[stack.length - 1] === key) self += w;
      }
      expect(pathWeights(s.callers)).toEqual(callers);
      expect(pathWeights(s.callees)).toEqual(callees);
      expect(s.self).toBe(self);
      // The function's self weight is the same as the top-down tree's, summed over its nodes.
      let treeSelf = 0;
      for (let n = 1; n < tree.length; n++) if (nodeKey(tree, n) === key) treeSelf += tree.self[n];
      expect(s.self).toBe(treeSelf);
    }
  });
});
