/**
 * What each timeline chart shows for a window: the series of one event,
 * decimated to the chart's pixel columns, with their styles, and the
 * intervals and markers drawn behind and over them. Decimation indexes are
 * built once per track and kept beside the (immutable) profile.
 */
import {
  decimate,
  decimationSource,
  groupCounters,
  markersIn,
  runningShareColumns,
  type CounterSeries,
  type DecimationSource,
  type EventGroup,
} from '../../profile/counter-series';
import { MarkerKind, type CounterTrack, type Profile } from '../../profile/model';

export interface SeriesStyle {
  color: string;
  dash: number[];
}

const HOST = '#2f6fe4';
const GUEST = '#e8710a';
const BOTH = '#8e44ad';

/** Host blue, guest orange, both purple; the truth dashed in the colour of the side it is the truth of. */
export function seriesStyle(profile: Profile, s: CounterSeries): SeriesStyle {
  const t = profile.counters[s.track];
  if (s.kind === 'host') return { color: HOST, dash: [] };
  if (s.kind === 'guest') return { color: GUEST, dash: [] };
  if (s.kind === 'both') return { color: BOTH, dash: [] };
  const guestSide = t.machine === -1 || profile.machines[t.machine]?.kind === 'guest';
  return { color: guestSide ? GUEST : HOST, dash: [6, 4] };
}

/** Per track, built once: a redraw must not walk a million points. */
const sources = new WeakMap<CounterTrack, { values: DecimationSource; running: DecimationSource; multiplexed: boolean }>();

function sourcesOf(track: CounterTrack) {
  let s = sources.get(track);
  if (!s) {
    s = {
      values: decimationSource(track.time, track.value),
      running: decimationSource(track.time, track.running),
      multiplexed: track.running.some((r) => r < 1),
    };
    sources.set(track, s);
  }
  return s;
}

export interface DrawnSeries {
  series: CounterSeries;
  style: SeriesStyle;
  x: Float64Array;
  y: Float64Array;
}

/** The groups a CPU shows: events with a perf series (truth-only groups only when nothing else is there). */
export function visibleGroups(profile: Profile, cpu: number): EventGroup[] {
  const groups = groupCounters(profile, cpu);
  const counted = groups.filter((g) => g.series.some((s) => s.kind !== 'truth'));
  return counted.length ? counted : groups;
}

export function drawSeries(profile: Profile, group: EventGroup, hidden: readonly string[], t0: number, t1: number, columns: number): DrawnSeries[] {
  return group.series
    .filter((s) => !hidden.includes(s.label))
    .map((s) => {
      const pts = decimate(sourcesOf(profile.counters[s.track]).values, t0, t1, columns);
      return { series: s, style: seriesStyle(profile, s), x: pts.x, y: pts.y };
    });
}

/** Lowest running share per column of the group's first multiplexed perf series, or null when none was. */
export function runningBand(profile: Profile, group: EventGroup, t0: number, t1: number, columns: number): Float64Array | null {
  for (const s of group.series) {
    if (s.kind === 'truth') continue;
    const src = sourcesOf(profile.counters[s.track]);
    if (!src.multiplexed) continue;
    return runningShareColumns(src.running, t0, t1, columns);
  }
  return null;
}

export interface Interval {
  start: number;
  end: number;
  kind: MarkerKind;
  name: string;
}

const SHADED = [MarkerKind.GuestRun, MarkerKind.Migration];
const FLAGGED = [MarkerKind.EventError, MarkerKind.Throttle, MarkerKind.Lost];

/** Guest runs and migrations (shaded) and ERROR, throttle and lost markers in the window, of one CPU or all. */
export function intervalsIn(profile: Profile, t0: number, t1: number, cpu: number): { shaded: Interval[]; flagged: Interval[] } {
  const m = profile.markers;
  const row = (i: number): Interval => ({ start: m.start[i], end: m.end[i], kind: m.kind[i] as MarkerKind, name: profile.strings[m.name[i]] });
  return {
    shaded: markersIn(m, SHADED, t0, t1, cpu).map(row),
    flagged: markersIn(m, FLAGGED, t0, t1, cpu).map(row),
  };
}
