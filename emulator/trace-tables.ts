/**
 * The tables an emulator recording carries beside its samples: what perf
 * stat would have printed for the recorded events at the end (read from the
 * same fds), and the VMs' exits. A real perf.data has neither; the window's
 * stat table derives one from the counter tracks then (profile/stat-table.ts).
 */
import type { Profile, StatResult } from '../profile/model';
import type { ExitTimeline } from './kvm/exit-table';
import type { Vm } from './kvm/vm';
import { PERF_TYPE_SOFTWARE } from './perf/attr';
import type { PerfCore } from './perf/core';
import type { OpenedEvlist } from './perf-tool/evlist-open';

/** perf stat's reading of an opened evlist: each CPU scaled by its own enabled/running, then summed (AGGR_GLOBAL). */
export function statResults(perf: PerfCore, opened: OpenedEvlist, machine: number): StatResult[] {
  return opened.evsels.map((o, event) => {
    let count = 0;
    let enabled = 0;
    let running = 0;
    for (const fd of o.fds) {
      if (fd < 0) continue;
      const r = perf.read(fd, 4096);
      if (typeof r === 'number' || r.bytes === 0) continue;
      const e = r.time_enabled ?? 0;
      const run = r.time_running ?? 0;
      enabled += e;
      running += run;
      if (run > 0) count += run < e ? Math.trunc((r.values[0].value * e) / run) : r.values[0].value;
    }
    const attr = o.evsel.attr;
    const clock = attr.type === PERF_TYPE_SOFTWARE && attr.config <= 1n;
    const state = !o.supported ? 'not-supported' : running === 0 ? 'not-counted' : 'counted';
    return { name: o.evsel.name, event, machine, count, enabled, running, state, unit: clock ? 'msec' : '' };
  });
}

/**
 * Sets `profile.vmExits` from the exits `exits` took; a VM the recording has
 * no machine for yet (no guest sample) is added as one.
 */
export function addVmExits(profile: Profile, exits: ExitTimeline): void {
  const machineOf = (vm: Vm) => {
    const found = profile.machines.findIndex((m) => m.kind === 'guest' && m.name === vm.name);
    if (found >= 0) return found;
    profile.machines.push({ name: vm.name, kind: 'guest', pid: vm.pid });
    return profile.machines.length - 1;
  };
  const table = exits.table(machineOf);
  if (table) profile.vmExits = table;
}
