/**
 * The VM-exit table of a profile, per exit reason as perf kvm stat shows it,
 * with what the window adds: the rate per second over the trace, and the
 * exits the vPMU caused on rows of their own (`MSR_WRITE` of the guest's
 * timer and `MSR_WRITE` of a PMU counter are different costs of different
 * designs). For one VM or all of them.
 */
import type { Profile, VmExitRow } from './model';

export interface ExitReasonRow {
  reason: string;
  /** Caused by the vPMU (counter reads, PMU MSR accesses, PMI kicks, PV perf hypercalls). */
  pmu: boolean;
  count: number;
  /** Exits per second of the trace's duration. */
  rate: number;
  totalNs: number;
  meanNs: number;
  /** Share of all exits and of all handling time, 0..1. */
  share: number;
  timeShare: number;
}

export interface ExitTable {
  rows: ExitReasonRow[];
  total: { count: number; rate: number; totalNs: number; meanNs: number; pmuCount: number; pmuNs: number };
  durationNs: number;
}

/** The VMs a trace has exits for, as machine indexes in first-seen order. */
export function exitMachines(profile: Profile): number[] {
  return [...new Set(profile.vmExits?.rows.map((r) => r.machine) ?? [])];
}

/**
 * Exits of `machine` (-1: every VM) summed over its vCPUs, most frequent
 * first; null when the trace carries no exit table (no VM, or not an
 * emulator trace).
 */
export function exitTable(profile: Profile, machine = -1): ExitTable | null {
  const source = profile.vmExits;
  if (!source) return null;
  const byKey = new Map<string, { reason: string; pmu: boolean; count: number; totalNs: number }>();
  const add = (r: VmExitRow, pmu: boolean, count: number, ns: number) => {
    if (count <= 0) return;
    const key = `${r.reason}/${pmu}`;
    const row = byKey.get(key) ?? { reason: r.reason, pmu, count: 0, totalNs: 0 };
    row.count += count;
    row.totalNs += ns;
    byKey.set(key, row);
  };
  for (const r of source.rows) {
    if (machine >= 0 && r.machine !== machine) continue;
    add(r, true, r.pmuCount, r.pmuNs);
    add(r, false, r.count - r.pmuCount, r.totalNs - r.pmuNs);
  }
  const seconds = source.durationNs / 1e9;
  const all = [...byKey.values()];
  const count = all.reduce((a, r) => a + r.count, 0);
  const totalNs = all.reduce((a, r) => a + r.totalNs, 0);
  const rows = all
    .map((r) => ({
      ...r,
      rate: seconds > 0 ? r.count / seconds : 0,
      meanNs: r.totalNs / r.count,
      share: count > 0 ? r.count / count : 0,
      timeShare: totalNs > 0 ? r.totalNs / totalNs : 0,
    }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason) || Number(b.pmu) - Number(a.pmu));
  const pmu = rows.filter((r) => r.pmu);
  return {
    rows,
    total: {
      count,
      rate: seconds > 0 ? count / seconds : 0,
      totalNs,
      meanNs: count > 0 ? totalNs / count : 0,
      pmuCount: pmu.reduce((a, r) => a + r.count, 0),
      pmuNs: pmu.reduce((a, r) => a + r.totalNs, 0),
    },
    durationNs: source.durationNs,
  };
}
