/**
 * The `perf stat` table of a profile: per event its scaled count (or
 * `<not counted>` / `<not supported>`), the share of time it ran when
 * multiplexed, the ground truth when known, and perf's derived metrics
 * (IPC beside instructions, the miss ratio beside branch-misses).
 *
 * Two sources, in this order:
 * - `profile.stat`, the results perf stat read at the end of the trace
 *   (emulator recordings carry them): exact time_enabled / time_running.
 * - otherwise, or for a time range, the counter tracks: each non-truth
 *   track summed over its intervals (already scaled), its running share
 *   the interval-weighted mean of time_running / time_enabled. An event
 *   whose track never ran is `<not counted>`; an event without a track is
 *   not in the table (the trace cannot tell whether it was supported).
 */
import type { CounterTrack, Profile, StatState } from './model';

export interface StatRow {
  name: string;
  /** Whose perf counted it (a machine index; -1 for every guest). */
  machine: number;
  state: StatState;
  /** Scaled count, 0 unless counted; nanoseconds when unit is 'msec' (shown as msec, as perf does). */
  count: number;
  /** time_running / time_enabled, 0..1. */
  running: number;
  unit: string;
  truth: number | null;
  /** perf's comment column: "1.23  insn per cycle", "2.50% of all branches". */
  metric: string;
}

export interface StatTable {
  rows: StatRow[];
  /** Where the numbers come from: the trace's own perf stat, or its counter tracks. */
  source: 'stat' | 'counters';
}

/** A time range in the profile's nanoseconds, [start, end). */
export interface StatRange {
  start: number;
  end: number;
}

/** The table, or null when the trace has neither stat results nor counter tracks. */
export function statTable(profile: Profile, range: StatRange | null = null): StatTable | null {
  if (profile.stat?.length && !range) {
    const rows = profile.stat.map((s) => ({
      name: s.name,
      machine: s.machine,
      state: s.state,
      count: s.state === 'counted' ? s.count : 0,
      running: s.enabled > 0 ? s.running / s.enabled : 0,
      unit: s.unit,
      truth: s.truth ?? truthOf(profile, s.event, s.machine, null),
      metric: '',
    }));
    return { rows: withMetrics(rows), source: 'stat' };
  }
  const tracks = wholeTracks(profile).filter((t) => t.scope !== 'truth');
  if (tracks.length === 0) return null;
  const rows = tracks.map((t): StatRow => {
    const { sum, running } = sumTrack(t, range);
    return {
      name: tracks.filter((o) => o.name === t.name).length > 1 ? `${t.name} (${t.scope})` : t.name,
      machine: t.machine,
      state: running > 0 ? 'counted' : 'not-counted',
      count: running > 0 ? sum : 0,
      running,
      unit: t.unit,
      truth: truthOf(profile, t.event, t.machine, range),
      metric: '',
    };
  });
  return { rows: withMetrics(rows), source: 'counters' };
}

/** The system-wide tracks (cpu -1); per-CPU tracks only when a trace has no others. */
function wholeTracks(profile: Profile): CounterTrack[] {
  const whole = profile.counters.filter((t) => t.cpu === -1);
  return whole.length ? whole : profile.counters;
}

/** Sum of a track's interval values inside the range, and the time-weighted running share. */
function sumTrack(t: CounterTrack, range: StatRange | null): { sum: number; running: number } {
  let sum = 0;
  let ran = 0;
  let span = 0;
  for (let i = 0; i < t.time.length; i++) {
    if (range && (t.time[i] < range.start || t.time[i] >= range.end)) continue;
    // value[i] covers the interval ending at time[i]; the first one is as long as the next.
    const dt = i > 0 ? t.time[i] - t.time[i - 1] : t.time.length > 1 ? t.time[1] - t.time[0] : 1;
    sum += t.value[i];
    ran += t.running[i] * dt;
    span += dt;
  }
  return { sum, running: span > 0 ? ran / span : 0 };
}

/**
 * The ground truth for an event, when the trace has truth tracks: a guest's
 * own trace keeps `<event> (truth)`; a host trace keeps the host's and the
 * guests' apart, so an event counting both sides is compared with their sum.
 */
function truthOf(profile: Profile, event: number, machine: number, range: StatRange | null): number | null {
  const info = profile.events[event];
  // Truth counts every privilege level: only events that count user and kernel alike compare.
  if (!info || info.exclude_user || info.exclude_kernel) return null;
  const base = info.name.replace(/:.*$/, '');
  const sum = (name: string) => {
    const track = wholeTracks(profile).find((t) => t.scope === 'truth' && t.name === name);
    return track ? sumTrack(track, range).sum : null;
  };
  const host = sum(`${base} (truth)`);
  if (profile.machines[machine]?.kind === 'guest') return host;
  const guests = sum(`${base} (truth, guests)`);
  if (info.exclude_guest && !info.exclude_host) return host;
  if (info.exclude_host && !info.exclude_guest) return guests;
  return host === null && guests === null ? null : (host ?? 0) + (guests ?? 0);
}

/** perf stat's shadow metrics, where both events are in the table for the same machine. */
function withMetrics(rows: StatRow[]): StatRow[] {
  const find = (name: string, like: StatRow) =>
    rows.find((r) => r.state === 'counted' && r.machine === like.machine && r.name === name + modifiers(like.name));
  for (const r of rows) {
    if (r.state !== 'counted') continue;
    const base = r.name.replace(/[:\s].*$/, '');
    if (base === 'instructions') {
      const cycles = find('cycles', r);
      if (cycles && cycles.count > 0) r.metric = `${(r.count / cycles.count).toFixed(2)}  insn per cycle`;
    } else if (base === 'branch-misses') {
      const branches = find('branches', r);
      if (branches && branches.count > 0) r.metric = `${((100 * r.count) / branches.count).toFixed(2)}% of all branches`;
    }
  }
  return rows;
}

/** The part of an event name after its base name (":u", ":H", " (guest)"). */
function modifiers(name: string): string {
  const at = name.search(/[:\s]/);
  return at < 0 ? '' : name.slice(at);
}
