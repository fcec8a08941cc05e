/**
 * The VM-exit table of a profile, per exit reason as perf kvm stat shows it,
 * with what the window adds: the rate per second over the trace, and the
 * exits the vPMU caused on rows of their own (`MSR_WRITE` of the guest's
 * timer and `MSR_WRITE` of a PMU counter are different costs of different
 * designs). For one VM or all of them, over the whole trace or, where the
 * trace says when the exits happened, a time range of it.
 */
import type { Profile, VmExitRow, VmExitTable, VmExitTimeline } from './model';

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

type TimelineColumn = 'count' | 'totalNs' | 'pmuCount' | 'pmuNs';
const COLUMNS: TimelineColumn[] = ['count', 'totalNs', 'pmuCount', 'pmuNs'];

/**
 * The exits of [start, end) from the table's timeline (null when it has none:
 * a trace from before it). Between two points exits are taken as evenly
 * spread, so a range cut inside a step (10 ms in emulator recordings) gets
 * its share; counts are rounded to whole exits. The result has a timeline
 * of its own, from the range's start, so it can be cut again.
 */
export function exitsInRange(table: VmExitTable, start: number, end: number): VmExitTable | null {
  const line = table.timeline;
  if (!line || line.time.length === 0) return null;
  const { time } = line;
  const from = Math.max(start, time[0]);
  const to = Math.max(from, Math.min(end, time[time.length - 1]));
  const points = [from, ...time.filter((t) => t > from && t < to), to];
  const column = (f: TimelineColumn) =>
    line[f].map((totals) => {
      const base = totalAt(time, totals, from);
      return points.map((t) => {
        const v = totalAt(time, totals, t) - base;
        return f === 'count' || f === 'pmuCount' ? Math.round(v) : v;
      });
    });
  const cut = Object.fromEntries(COLUMNS.map((f) => [f, column(f)])) as Record<TimelineColumn, number[][]>;
  const last = points.length - 1;
  const rows = table.rows.map((r, i) => ({ ...r, count: cut.count[i][last], totalNs: cut.totalNs[i][last], pmuCount: cut.pmuCount[i][last], pmuNs: cut.pmuNs[i][last] }));
  const timeline: VmExitTimeline = { time: points, ...cut };
  return { durationNs: to - from, rows, timeline };
}

/** A running total at `t`, linear between the points around it. */
function totalAt(time: readonly number[], totals: readonly number[], t: number): number {
  let lo = 0;
  let hi = time.length - 1;
  if (t <= time[lo]) return totals[lo] ?? 0;
  if (t >= time[hi]) return totals[hi] ?? 0;
  // time[lo] < t < time[hi]
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (time[mid] <= t) lo = mid;
    else hi = mid;
  }
  const a = totals[lo] ?? 0;
  const b = totals[hi] ?? 0;
  return a + ((b - a) * (t - time[lo])) / (time[hi] - time[lo]);
}
