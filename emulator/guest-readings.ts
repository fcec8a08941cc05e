/**
 * A guest's own perf readings in the host's trace: the counter tracks of the
 * scenario's `perf: on: <vm>` record sessions become guest-only series of
 * that VM, beside the host's own. Under the mediated vPMU this is the only
 * guest-side count a trace can have: while a mediated VM exists the host
 * refuses events that count in guests (EOPNOTSUPP, so no `cycles:G`), and the
 * guest's perf counts on the counters it was handed.
 */
import type { Profile } from '../profile/model';
import type { BackgroundResult } from './session';

export function addGuestReadings(profile: Profile, background: readonly BackgroundResult[]): void {
  for (const b of background) {
    if (b.on === 'host' || !b.profile) continue;
    const machine = profile.machines.findIndex((m) => m.kind === 'guest' && m.name === b.on);
    if (machine < 0) continue;
    for (const t of b.profile.counters) {
      // System-wide tracks only: a guest's per-CPU tracks are per vCPU, not per host CPU.
      if (t.scope === 'truth' || t.cpu !== -1) continue;
      profile.counters.push({ ...t, name: `${t.name} (${b.on} perf)`, event: -1, scope: 'guest', machine });
    }
  }
}
