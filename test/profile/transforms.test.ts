import { describe, expect, it } from 'vitest';
import { ProfileBuilder } from '../../profile/builder';
import { ExecContext, MarkerKind, totalWeight, type Profile } from '../../profile/model';
import { diffProfiles, filterContexts, filterTimeRange, mergeProfiles, splitByMachine } from '../../profile/transforms';

/** Folded-style stacks ("a;b;c") with a weight, context by name prefix (g_ = guest kernel). */
function profileOf(name: string, rows: Array<[string, number, number?]>, machine = 'host'): Profile {
  const b = new ProfileBuilder();
  const ev = b.event('cycles');
  const m = machine === 'host' ? 0 : b.machine(machine, 'guest', 1);
  const t = b.thread('app', 1, 1, m);
  rows.forEach(([path, weight, time], i) => {
    let stack = -1;
    let ctx: ExecContext = ExecContext.HostUser;
    for (const f of path.split(';')) {
      ctx = f.startsWith('g_') ? ExecContext.GuestKernel : ExecContext.HostUser;
      stack = b.stack(stack, b.frame(f, null, ctx));
    }
    b.sample({ stack, time: time ?? i * 10, weight, event: ev, cpu: 0, thread: t, vcpu: -1, context: ctx });
  });
  b.marker({ name: 'exit', kind: MarkerKind.VmExit, start: 15, end: 16 });
  return b.build({ name, source: 'test', weightUnit: 'samples' });
}

/** "path weight" lines per event, sorted: a readable dump of a profile. */
function dump(p: Profile): string[] {
  const out = new Map<string, number>();
  const { stack, weight, event, length } = p.samples;
  for (let i = 0; i < length; i++) {
    const names: string[] = [];
    for (let s = stack[i]; s >= 0; s = p.stacks.prefix[s]) names.unshift(p.strings[p.frames.name[p.stacks.frame[s]]]);
    const key = `${p.events[event[i]].name}: ${names.join(';')}`;
    out.set(key, (out.get(key) ?? 0) + weight[i]);
  }
  return [...out].map(([k, v]) => `${k} ${v}`).sort();
}

describe('profile transforms', () => {
  const p = profileOf('p', [['main;a', 1], ['main;b', 2], ['main;a', 3], ['main;g_x', 4]]);

  it('keeps the samples and markers of a time range, half-open', () => {
    const r = filterTimeRange(p, 10, 30);
    expect(dump(r)).toEqual(['cycles: main;a 3', 'cycles: main;b 2']);
    expect(r.markers.length).toBe(1);
    expect(filterTimeRange(p, 100, 200).samples.length).toBe(0);
    expect(p.samples.length).toBe(4); // the input is untouched
  });

  it('keeps only samples of the chosen execution contexts', () => {
    expect(dump(filterContexts(p, [ExecContext.GuestKernel]))).toEqual(['cycles: main;g_x 4']);
    expect(totalWeight(filterContexts(p, [ExecContext.HostUser]))).toBe(6);
  });

  it('merges a host and a guest profile and splits them back by machine', () => {
    const guest = profileOf('g', [['g_idle', 5]], 'vm0');
    const merged = mergeProfiles([p, guest], 'both');
    expect(merged.machines.map((m) => m.name)).toEqual(['host', 'vm0']);
    expect(totalWeight(merged)).toBe(15);
    const [h, g] = splitByMachine(merged);
    expect(dump(h)).toEqual(dump(p));
    expect(dump(g)).toEqual(['cycles: g_idle 5']);
  });

  it('makes a differential with before and after weights on shared stacks', () => {
    const after = profileOf('q', [['main;a', 10], ['main;c', 2]]);
    expect(dump(diffProfiles(p, after))).toEqual([
      'after: main;a 10',
      'after: main;c 2',
      'before: main;a 4',
      'before: main;b 2',
      'before: main;g_x 4',
    ]);
    const n = diffProfiles(p, after, { normalize: true });
    expect(dump(n)).toContain('before: main;a 4.8'); // 4 × 12/10
  });
});
