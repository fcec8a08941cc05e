/**
 * The differential flame graph's model: two sides (two traces, the host
 * and the guest of one trace, or one scenario under two vPMU designs) as one
 * call tree whose nodes carry both weights.
 *
 * The sides become events "before" and "after" of one profile
 * (`diffProfiles`), and the tree is built over both events with "before"
 * summed apart (`CallTreeOptions.secondary`), so every node knows
 * before = secondary and after = total - secondary. Frame widths are
 * before + after: a function that exists on one side only still gets a
 * frame, coloured fully red (new) or fully blue (gone).
 */
import { buildCallTree, type CallTree } from './call-tree';
import { buildFlameLayout, type FlameLayout } from './flame-layout';
import { ExecContext, type Profile } from './model';
import { diffProfiles, filterContexts } from './transforms';

export interface DiffTree {
  tree: CallTree;
  layout: FlameLayout;
  before: Float64Array;
  after: Float64Array;
  beforeTotal: number;
  afterTotal: number;
}

export const HOST_CONTEXTS: readonly ExecContext[] = [ExecContext.HostUser, ExecContext.HostKernel, ExecContext.Hypervisor];
export const GUEST_CONTEXTS: readonly ExecContext[] = [ExecContext.GuestKernel, ExecContext.GuestUser];

/** Only the samples of `event`, which stays event 0 of an events table of one. */
export function onlyEvent(profile: Profile, event: number): Profile {
  if (event < 0 || event >= profile.events.length) throw new Error(`no event ${event}: the profile has ${profile.events.length}`);
  const s = profile.samples;
  const rows: number[] = [];
  for (let i = 0; i < s.length; i++) if (s.event[i] === event) rows.push(i);
  const pick = <T extends Int32Array | Float64Array | Uint8Array>(col: T): T => {
    const out = new (col.constructor as new (n: number) => T)(rows.length);
    for (let j = 0; j < rows.length; j++) out[j] = col[rows[j]];
    return out;
  };
  return {
    ...profile,
    events: [profile.events[event]],
    samples: {
      length: rows.length,
      stack: pick(s.stack),
      time: pick(s.time),
      weight: pick(s.weight),
      event: new Int32Array(rows.length),
      cpu: pick(s.cpu),
      thread: pick(s.thread),
      vcpu: pick(s.vcpu),
      context: pick(s.context),
    },
  };
}

/**
 * Two profiles' `event`s as one differential profile (before = `before`).
 * With `normalize`, before is scaled to after's total, so shares are
 * compared rather than counts (difffolded.pl -n).
 */
export function diffOfProfiles(before: Profile, beforeEvent: number, after: Profile, afterEvent: number, normalize: boolean): Profile {
  return diffProfiles(onlyEvent(before, beforeEvent), onlyEvent(after, afterEvent), { normalize });
}

/** The host's samples (host user, host kernel, hypervisor) against the guests' samples of one trace. */
export function hostGuestDiff(profile: Profile, event: number, normalize: boolean): Profile {
  const one = onlyEvent(profile, event);
  const host = filterContexts(one, HOST_CONTEXTS);
  const guest = filterContexts(one, GUEST_CONTEXTS);
  const named = (p: Profile, side: string): Profile => ({ ...p, meta: { ...p.meta, name: `${profile.meta.name} (${side})` } });
  return diffProfiles(named(host, 'host'), named(guest, 'guests'), { normalize });
}

/**
 * The tree and layout of a differential profile. `mergeContexts` compares
 * functions by name alone: the host/guest differential needs it, since the
 * same program's host `main` and guest `main` differ by context.
 */
export function buildDiffTree(diff: Profile, opts: { mergeContexts?: boolean } = {}): DiffTree {
  const beforeEvent = diff.events.findIndex((e) => e.name === 'before');
  if (beforeEvent < 0 || !diff.events.some((e) => e.name === 'after')) throw new Error('not a differential profile: it needs events "before" and "after"');
  const tree = buildCallTree(diff, { event: -1, secondary: beforeEvent, mergeContexts: opts.mergeContexts });
  const before = tree.secondary!;
  const after = new Float64Array(tree.length);
  for (let n = 0; n < tree.length; n++) after[n] = tree.total[n] - before[n];
  return { tree, layout: buildFlameLayout(tree), before, after, beforeTotal: before[0] ?? 0, afterTotal: after[0] ?? 0 };
}

/** (after - before) / max(before, after): +1 new, -1 gone, 0 unchanged. */
export function nodeChange(d: DiffTree, node: number): number {
  const b = d.before[node];
  const a = d.after[node];
  const m = Math.max(a, b);
  return m > 0 ? (a - b) / m : 0;
}
