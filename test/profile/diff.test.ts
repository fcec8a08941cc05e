import { describe, expect, it } from 'vitest';
import { ProfileBuilder } from '../../profile/builder';
import { ROOT_NODE, nodeName } from '../../profile/call-tree';
import { buildDiffTree, diffOfProfiles, hostGuestDiff, nodeChange, onlyEvent } from '../../profile/diff';
import { ExecContext, totalWeight, type Profile } from '../../profile/model';

/** Rows of [path, weight, context, event]. */
function profileOf(rows: Array<[string, number, ExecContext, string?]>): Profile {
  const b = new ProfileBuilder();
  const t = b.thread('t', 1, 1);
  for (const [path, weight, ctx, event = 'cycles'] of rows) {
    let stack = -1;
    for (const f of path.split(';')) stack = b.stack(stack, b.frame(f, null, ctx));
    b.sample({ stack, time: 0, weight, event: b.event(event), cpu: 0, thread: t, vcpu: -1, context: ctx });
  }
  return b.build({ name: 'p', source: 'test', weightUnit: 'samples' });
}

const { HostUser: hu, HostKernel: hk, GuestUser: gu } = ExecContext;

function byName(d: ReturnType<typeof buildDiffTree>): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (let n = 0; n < d.tree.length; n++) out[nodeName(d.tree, n)] = [d.before[n], d.after[n]];
  return out;
}

describe('differential tree', () => {
  it('carries before and after per node; widths are their sum', () => {
    const before = profileOf([['main;a', 3, hu], ['main;gone', 1, hu]]);
    const after = profileOf([['main;a', 5, hu], ['main;new', 2, hu]]);
    const d = buildDiffTree(diffOfProfiles(before, 0, after, 0, false));
    expect(byName(d)).toEqual({ all: [4, 7], main: [4, 7], a: [3, 5], gone: [1, 0], new: [0, 2] });
    expect(d.layout.total).toBe(11);
    const node = (name: string) => Array.from({ length: d.tree.length }, (_, n) => n).find((n) => nodeName(d.tree, n) === name)!;
    expect(nodeChange(d, node('new'))).toBe(1);
    expect(nodeChange(d, node('gone'))).toBe(-1);
    expect(nodeChange(d, node('a'))).toBeCloseTo(0.4);
  });

  it('normalises before to after’s total when asked', () => {
    const before = profileOf([['main;a', 1, hu], ['main;b', 1, hu]]);
    const after = profileOf([['main;a', 30, hu], ['main;b', 10, hu]]);
    const d = buildDiffTree(diffOfProfiles(before, 0, after, 0, true));
    expect(byName(d).a).toEqual([20, 30]);
    expect(d.beforeTotal).toBe(d.afterTotal);
  });

  it('compares one event of each side', () => {
    const p = profileOf([['main;a', 3, hu, 'cycles'], ['main;z', 9, hu, 'instructions']]);
    expect(totalWeight(onlyEvent(p, 1))).toBe(9);
    expect(() => onlyEvent(p, 2)).toThrow('no event 2: the profile has 2');
  });

  it('puts the host against the guests of one trace, merging functions by name across contexts', () => {
    const p = profileOf([
      ['main;work', 6, hu],
      ['main;work;syscall', 2, hk],
      ['main;work', 4, gu],
      ['main;serve', 4, gu],
    ]);
    const d = buildDiffTree(hostGuestDiff(p, 0, false), { mergeContexts: true });
    expect(d.beforeTotal).toBe(8);
    expect(d.afterTotal).toBe(8);
    const names = byName(d);
    expect(names.work).toEqual([8, 4]);
    expect(names.serve).toEqual([0, 4]);
    expect(d.tree.total[ROOT_NODE]).toBe(16);
  });

  it('refuses a profile that is not a differential', () => {
    expect(() => buildDiffTree(profileOf([['a', 1, hu]]))).toThrow('not a differential profile');
  });
});
