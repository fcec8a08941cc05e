/**
 * What each timeline chart shows for a window: the series of one event,
 * decimated to the chart's pixel columns, with their styles, and the
 * intervals and markers drawn behind and over them. Decimation indexes are
 * built once per track and kept beside the (immutable) profile.
 */
import {
  columnAt,
  decimate,
  decimationSource,
  groupCounters,
  MarkerIndex,
  markersIn,
  readColumn,
  runningShareColumns,
  type CounterSeries,
  type DecimationSource,
  type EventGroup,
} from '../../profile/counter-series';
import { MarkerKind, type CounterTrack, type MarkerTable, type Profile } from '../../profile/model';
import { formatAxisTime } from './axis-format';

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

const SHADED: readonly MarkerKind[] = [MarkerKind.GuestRun, MarkerKind.Migration];
const FLAGGED: readonly MarkerKind[] = [MarkerKind.EventError, MarkerKind.Throttle, MarkerKind.Lost];

/** SPE blackouts are importer-neutral `Other` markers; record-writer.ts names them "SPE <why>: ...". */
const isSpeBlackout = (kind: number, name: string) => kind === MarkerKind.Other && name.startsWith('SPE ');

/**
 * Guest runs and migrations (shaded), ERROR, throttle and lost markers
 * (flagged) and SPE blackouts in the window, of one CPU or all.
 */
export function intervalsIn(profile: Profile, t0: number, t1: number, cpu: number): { shaded: Interval[]; flagged: Interval[]; spe: Interval[] } {
  const m = profile.markers;
  const row = (i: number): Interval => ({ start: m.start[i], end: m.end[i], kind: m.kind[i] as MarkerKind, name: profile.strings[m.name[i]] });
  return {
    shaded: markersIn(m, SHADED, t0, t1, cpu).map(row),
    flagged: markersIn(m, FLAGGED, t0, t1, cpu).map(row),
    spe: markersIn(m, [MarkerKind.Other], t0, t1, cpu)
      .map(row)
      .filter((r) => isSpeBlackout(r.kind, r.name)),
  };
}

/** One visible series in the tooltip: the column's min–max (or one value) and, when multiplexed, its running share. */
export interface HoverRow {
  label: string;
  style: SeriesStyle;
  min: number;
  max: number;
  points: number;
  /** Lowest time_running / time_enabled over the column; null when it ran all the time there. */
  running: number | null;
}

export interface HoverMarker {
  kind: MarkerKind;
  text: string;
}

export interface Hover {
  time: number;
  /** The pixel column under the pointer, ns. */
  from: number;
  to: number;
  rows: HoverRow[];
  markers: HoverMarker[];
  /** More markers are under the pointer than the tooltip lists. */
  moreMarkers: boolean;
}

/** Markers listed at most; a pointer over a busy stretch says "more" instead. */
const MAX_HOVER_MARKERS = 6;
/** An instant marker counts as under the pointer this many pixels either side. */
const HOVER_SLOP_PX = 3;

const markerIndexes = new WeakMap<MarkerTable, MarkerIndex>();

function markerIndexOf(markers: MarkerTable): MarkerIndex {
  let idx = markerIndexes.get(markers);
  if (!idx) markerIndexes.set(markers, (idx = new MarkerIndex(markers)));
  return idx;
}

/**
 * What the tooltip says at time t over a window drawn in `columns` pixel
 * columns: each visible series' reading in the column under t, and the drawn
 * markers within a few pixels of t. Binary searches and table lookups only.
 */
export function hoverAt(profile: Profile, group: EventGroup, hidden: readonly string[], t0: number, t1: number, columns: number, t: number, cpu: number): Hover {
  const col = columnAt(t0, t1, columns, t);
  const rows: HoverRow[] = [];
  for (const s of group.series) {
    if (hidden.includes(s.label)) continue;
    const src = sourcesOf(profile.counters[s.track]);
    const r = readColumn(src.values, src.running, t0, t1, col, t);
    if (!r) continue;
    // Only where it was multiplexed out: a share of 1 everywhere else would be noise.
    const running = src.multiplexed && r.running < 1 ? r.running : null;
    rows.push({ label: s.label, style: seriesStyle(profile, s), min: r.min, max: r.max, points: r.points, running });
  }
  const m = profile.markers;
  const slop = (HOVER_SLOP_PX * (t1 - t0)) / columns;
  const shown = (i: number) => {
    if (cpu >= 0 && m.cpu[i] >= 0 && m.cpu[i] !== cpu) return false;
    const kind = m.kind[i];
    return SHADED.includes(kind as MarkerKind) || FLAGGED.includes(kind as MarkerKind) || isSpeBlackout(kind, profile.strings[m.name[i]]);
  };
  const found = markerIndexOf(m).overlapping(t - slop, t + slop, shown, MAX_HOVER_MARKERS + 1);
  return {
    time: t,
    from: col.from,
    to: col.to,
    rows,
    markers: found.slice(0, MAX_HOVER_MARKERS).map((i) => ({ kind: m.kind[i] as MarkerKind, text: markerText(profile, i) })),
    moreMarkers: found.length > MAX_HOVER_MARKERS,
  };
}

/** A marker as the tooltip says it: what it is, where, how long, and its detail. */
export function markerText(profile: Profile, i: number): string {
  const m = profile.markers;
  const name = profile.strings[m.name[i]];
  const span = m.end[i] > m.start[i] ? `, ${formatAxisTime(m.end[i] - m.start[i])}` : '';
  const onCpu = m.cpu[i] >= 0 ? ` on CPU ${m.cpu[i]}` : '';
  const vm = profile.machines[m.machine[i]]?.kind === 'guest' ? profile.machines[m.machine[i]].name : '';
  const vcpu = vm && m.vcpu[i] >= 0 ? `${vm} vCPU ${m.vcpu[i]}` : vm;
  switch (m.kind[i]) {
    case MarkerKind.GuestRun: {
      const exits = (detail(profile, i) as { exits?: unknown }).exits;
      const ended = name === 'none' ? 'stopped with no exit (preempted or paused)' : `ended by ${name}`;
      return `guest run: ${vcpu}${onCpu}${span}, ${ended}${typeof exits === 'number' ? `, ${exits} exits inside` : ''}`;
    }
    case MarkerKind.Migration:
      return `${name}${span}`;
    case MarkerKind.EventError:
    case MarkerKind.Throttle:
    case MarkerKind.Lost:
      return `${name}${onCpu}${span}`;
    default:
      return `${name} (${vcpu || 'host'}${span})`;
  }
}

function detail(profile: Profile, i: number): Record<string, unknown> {
  const d = profile.markers.data[i];
  if (d < 0) return {};
  try {
    const v: unknown = JSON.parse(profile.strings[d]);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
