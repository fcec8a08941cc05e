/**
 * Counter tracks as the timeline shows them: grouped per event, each track a
 * series of one kind (host-only, guest-only, both, truth), decimated to at
 * most two points per pixel column over the visible window.
 *
 * Decimation keeps the column's minimum and maximum, so a dip to zero (a
 * host-only counter stopped while a guest holds the CPU) survives at any
 * zoom. A redraw must not walk every point of a million-point track: each
 * series keeps a min/max sparse table over blocks of BLOCK points, built
 * once, and a column costs two binary searches on time, at most 2·BLOCK raw
 * points at its edges and one table lookup. The hover tooltip reads the one
 * column under the pointer the same way (`readColumn`) and finds the markers
 * there through `MarkerIndex`, so a pointer move costs no scan either.
 */
import type { CounterScope, CounterTrack, MarkerKind, MarkerTable, Profile } from './model';

/** How a series is drawn: the perf event's side of the host/guest split, or the ground truth. */
export type SeriesKind = 'host' | 'guest' | 'both' | 'truth';

export interface CounterSeries {
  /** Index into profile.counters. */
  track: number;
  kind: SeriesKind;
  /** What the legend says: the event and its side ("cycles:G guest-only (all guests)"). */
  label: string;
  cpu: number;
}

export interface EventGroup {
  /** The event the series count ("cycles"): the track name up to its modifiers. */
  event: string;
  series: CounterSeries[];
  /** Events of this group the trace declares but holds no counts for (not supported, not counted). */
  missing: string[];
}

/** "cycles:G" → "cycles", "cycles (truth, guests)" → "cycles", "mem cats" → "mem cats". */
export function baseEventName(name: string): string {
  const paren = name.indexOf(' (');
  const head = paren >= 0 ? name.slice(0, paren) : name;
  const colon = head.lastIndexOf(':');
  return colon > 0 && /^[a-zA-Z]+$/.test(head.slice(colon + 1)) ? head.slice(0, colon) : head;
}

function seriesLabel(profile: Profile, t: CounterTrack): string {
  const machine = (m: number) => (m >= 0 && profile.machines[m]?.kind === 'guest' ? profile.machines[m].name : 'all guests');
  const scope: Record<CounterScope, string> = {
    host: `${t.name} host-only`,
    guest: `${t.name} guest-only (${machine(t.machine)})`,
    both: `${t.name} host+guest`,
    truth: t.name,
  };
  return scope[t.scope];
}

/**
 * The tracks of one CPU (-1: the system-wide ones), one group per event in
 * the order the events first appear; truth series come after the perf ones.
 */
export function groupCounters(profile: Profile, cpu = -1): EventGroup[] {
  const groups = new Map<string, EventGroup>();
  const group = (event: string) => {
    let g = groups.get(event);
    if (!g) groups.set(event, (g = { event, series: [], missing: [] }));
    return g;
  };
  const counted = new Set<string>();
  profile.counters.forEach((t, i) => {
    if (t.cpu !== cpu) return;
    counted.add(t.name);
    group(baseEventName(t.name)).series.push({ track: i, kind: t.scope, label: seriesLabel(profile, t), cpu: t.cpu });
  });
  for (const e of profile.events) {
    const g = groups.get(baseEventName(e.name));
    if (g && !counted.has(e.name)) g.missing.push(e.name);
  }
  const out = [...groups.values()];
  for (const g of out) g.series.sort((a, b) => Number(a.kind === 'truth') - Number(b.kind === 'truth'));
  return out;
}

/** The CPUs that have their own tracks, ascending. */
export function countedCpus(profile: Profile): number[] {
  return [...new Set(profile.counters.map((t) => t.cpu).filter((c) => c >= 0))].sort((a, b) => a - b);
}

/** Time span of every track and marker, [start, end] in ns; null when there is none. */
export function timelineExtent(profile: Profile): { start: number; end: number } | null {
  let start = Infinity;
  let end = -Infinity;
  for (const t of profile.counters) {
    if (t.time.length === 0) continue;
    start = Math.min(start, t.time[0]);
    end = Math.max(end, t.time[t.time.length - 1]);
  }
  const m = profile.markers;
  for (let i = 0; i < m.length; i++) {
    start = Math.min(start, m.start[i]);
    end = Math.max(end, m.end[i]);
  }
  return end > start ? { start, end } : null;
}

/** First index with time[i] >= t (time ascending). */
export function lowerBound(time: ArrayLike<number>, t: number, lo = 0, hi = time.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (time[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index with time[i] > t (time ascending). */
export function upperBound(time: ArrayLike<number>, t: number, lo = 0, hi = time.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (time[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const BLOCK = 32;

/**
 * Min and max over any index range of one series in O(BLOCK): a sparse table
 * over blocks (level k holds min/max of 2^k consecutive blocks).
 */
export class RangeMinMax {
  private readonly mins: Float64Array[] = [];
  private readonly maxs: Float64Array[] = [];

  constructor(private readonly values: Float64Array) {
    const blocks = Math.floor(values.length / BLOCK);
    const min0 = new Float64Array(blocks);
    const max0 = new Float64Array(blocks);
    for (let b = 0; b < blocks; b++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = b * BLOCK; i < (b + 1) * BLOCK; i++) {
        const v = values[i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      min0[b] = lo;
      max0[b] = hi;
    }
    this.mins.push(min0);
    this.maxs.push(max0);
    for (let k = 1; 1 << k <= blocks; k++) {
      const prevMin = this.mins[k - 1];
      const prevMax = this.maxs[k - 1];
      const half = 1 << (k - 1);
      const n = blocks - (1 << k) + 1;
      const mn = new Float64Array(n);
      const mx = new Float64Array(n);
      for (let b = 0; b < n; b++) {
        mn[b] = Math.min(prevMin[b], prevMin[b + half]);
        mx[b] = Math.max(prevMax[b], prevMax[b + half]);
      }
      this.mins.push(mn);
      this.maxs.push(mx);
    }
  }

  /** Min and max of values[a, b), written to out[0], out[1]; b > a. */
  query(a: number, b: number, out: Float64Array): void {
    const v = this.values;
    let lo = Infinity;
    let hi = -Infinity;
    const firstBlock = Math.ceil(a / BLOCK);
    const lastBlock = Math.floor(b / BLOCK);
    if (lastBlock - firstBlock < 1) {
      for (let i = a; i < b; i++) {
        if (v[i] < lo) lo = v[i];
        if (v[i] > hi) hi = v[i];
      }
    } else {
      for (let i = a; i < firstBlock * BLOCK; i++) {
        if (v[i] < lo) lo = v[i];
        if (v[i] > hi) hi = v[i];
      }
      for (let i = lastBlock * BLOCK; i < b; i++) {
        if (v[i] < lo) lo = v[i];
        if (v[i] > hi) hi = v[i];
      }
      const k = 31 - Math.clz32(lastBlock - firstBlock);
      const mn = this.mins[k];
      const mx = this.maxs[k];
      const second = lastBlock - (1 << k);
      lo = Math.min(lo, mn[firstBlock], mn[second]);
      hi = Math.max(hi, mx[firstBlock], mx[second]);
    }
    out[0] = lo;
    out[1] = hi;
  }
}

/** Points to draw: x (ns) and y, `length` of them. */
export interface Points {
  x: Float64Array;
  y: Float64Array;
  length: number;
}

/** One series' values with the index that decimates them. */
export interface DecimationSource {
  time: Float64Array;
  values: Float64Array;
  index: RangeMinMax;
}

export function decimationSource(time: Float64Array, values: Float64Array): DecimationSource {
  return { time, values, index: new RangeMinMax(values) };
}

/**
 * At most two points (min, max) per pixel column of [t0, t1], plus the points
 * just outside the window so lines reach its edges. Where a column holds one
 * or two points they are kept as they are, so a zoomed-in view is exact.
 */
export function decimate(src: DecimationSource, t0: number, t1: number, columns: number): Points {
  const { time, values } = src;
  const first = Math.max(0, lowerBound(time, t0) - 1);
  const last = Math.min(time.length, upperBound(time, t1, first) + 1);
  const n = last - first;
  if (n <= 2 * columns) return { x: time.slice(first, last), y: values.slice(first, last), length: n };
  const x = new Float64Array(2 * columns + 2);
  const y = new Float64Array(2 * columns + 2);
  const mm = new Float64Array(2);
  let k = 0;
  const push = (xv: number, yv: number) => {
    x[k] = xv;
    y[k++] = yv;
  };
  if (time[first] < t0) push(time[first], values[first]);
  const width = (t1 - t0) / columns;
  let a = lowerBound(time, t0, first, last);
  for (let c = 0; c < columns && a < last; c++) {
    const b = c === columns - 1 ? upperBound(time, t1, a, last) : lowerBound(time, t0 + (c + 1) * width, a, last);
    if (b - a <= 2) for (let i = a; i < b; i++) push(time[i], values[i]);
    else {
      src.index.query(a, b, mm);
      const mid = t0 + (c + 0.5) * width;
      push(mid, mm[0]);
      push(mid, mm[1]);
    }
    a = b;
  }
  if (a < last) push(time[a], values[a]);
  return { x: x.subarray(0, k), y: y.subarray(0, k), length: k };
}

/** The lowest running share (time_running / time_enabled) per column: where the event was multiplexed out. */
export function runningShareColumns(src: DecimationSource, t0: number, t1: number, columns: number): Float64Array {
  const out = new Float64Array(columns).fill(NaN);
  const mm = new Float64Array(2);
  const width = (t1 - t0) / columns;
  let a = upperBound(src.time, t0);
  for (let c = 0; c < columns && a < src.time.length; c++) {
    const end = t0 + (c + 1) * width;
    out[c] = lowestShare(src, a, end, mm);
    a = upperBound(src.time, end, a);
  }
  return out;
}

/**
 * The lowest share of the readings covering the column (s, end], where `a`
 * is the first reading after s. Reading i covers (time[i-1], time[i]]: the
 * column is covered by the readings inside it and by the first one after it,
 * unless one ends exactly at `end`.
 */
function lowestShare(src: DecimationSource, a: number, end: number, mm: Float64Array): number {
  const { time } = src;
  const b = upperBound(time, end, a);
  const hi = b < time.length && (b === a || time[b - 1] < end) ? b + 1 : b;
  if (hi <= a) return NaN;
  src.index.query(a, hi, mm);
  return mm[0];
}

/** The pixel column of [t0, t1] under time t, as `decimate` cuts the window. */
export interface Column {
  index: number;
  from: number;
  to: number;
  /** The last column also holds the points at exactly t1. */
  last: boolean;
}

export function columnAt(t0: number, t1: number, columns: number, t: number): Column {
  const width = (t1 - t0) / columns;
  const index = Math.min(columns - 1, Math.max(0, Math.floor((t - t0) / width)));
  // The same expressions decimate uses for the column's edges, so both agree to the last bit.
  return { index, from: t0 + index * width, to: t0 + (index + 1) * width, last: index === columns - 1 };
}

/** What one series shows in a column. */
export interface ColumnReading {
  /** Points the column holds; 0 when it falls between two readings. */
  points: number;
  /** Min and max of those points; with none, both are the value of the reading covering t. */
  min: number;
  max: number;
  /** Lowest running share of the readings covering the column (what the band draws); NaN: none. */
  running: number;
}

/**
 * The hover lookup: what the column under t holds of one series, in two
 * binary searches and one sparse-table query, so a pointer move never walks
 * the points. `running` is the series' running-share source. Null when t is
 * past the series' last reading.
 */
export function readColumn(src: DecimationSource, running: DecimationSource, t0: number, t1: number, col: Column, t: number): ColumnReading | null {
  const { time, values } = src;
  const a = lowerBound(time, col.from);
  const b = col.last ? upperBound(time, t1, a) : lowerBound(time, col.to, a);
  const mm = new Float64Array(2);
  const share = lowestShare(running, upperBound(running.time, col.from), col.to, mm);
  if (b > a) {
    src.index.query(a, b, mm);
    return { points: b - a, min: mm[0], max: mm[1], running: share };
  }
  const i = lowerBound(time, t);
  if (i >= time.length) return null;
  return { points: 0, min: values[i], max: values[i], running: share };
}

/** Marker rows of the given kinds that overlap [t0, t1], optionally of one CPU. */
export function markersIn(markers: MarkerTable, kinds: readonly MarkerKind[], t0: number, t1: number, cpu = -1): number[] {
  const out: number[] = [];
  for (let i = 0; i < markers.length; i++) {
    if (!kinds.includes(markers.kind[i] as MarkerKind)) continue;
    if (markers.end[i] < t0 || markers.start[i] > t1) continue;
    if (cpu >= 0 && markers.cpu[i] >= 0 && markers.cpu[i] !== cpu) continue;
    out.push(i);
  }
  return out;
}

/**
 * Markers by time for the hover: rows sorted by start, with a min/max table
 * over their ends, so the rows overlapping a short window are found by
 * descending only into ranges whose latest end reaches it: O(log n) ranges
 * per row found, however many markers the trace holds. Built once per
 * marker table.
 */
export class MarkerIndex {
  private readonly order: Int32Array;
  private readonly starts: Float64Array;
  private readonly ends: Float64Array;
  private readonly endIndex: RangeMinMax;
  private readonly mm = new Float64Array(2);

  constructor(markers: MarkerTable) {
    const order = Int32Array.from({ length: markers.length }, (_, i) => i).sort((a, b) => markers.start[a] - markers.start[b] || a - b);
    this.order = order;
    this.starts = Float64Array.from(order, (i) => markers.start[i]);
    this.ends = Float64Array.from(order, (i) => markers.end[i]);
    this.endIndex = new RangeMinMax(this.ends);
  }

  /**
   * Rows overlapping [t0, t1] that `accept` takes, in start order, at most
   * `limit` of them (the caller asks for one more than it shows to know
   * there are more).
   */
  overlapping(t0: number, t1: number, accept: (row: number) => boolean, limit: number): number[] {
    const out: number[] = [];
    const visit = (a: number, b: number): void => {
      if (out.length >= limit) return;
      this.endIndex.query(a, b, this.mm);
      if (this.mm[1] < t0) return;
      // Below two blocks a table query costs about what scanning the rows does.
      if (b - a > 2 * BLOCK) {
        const mid = (a + b) >>> 1;
        visit(a, mid);
        visit(mid, b);
        return;
      }
      for (let k = a; k < b && out.length < limit; k++) {
        const row = this.order[k];
        if (this.ends[k] >= t0 && accept(row)) out.push(row);
      }
    };
    const hi = upperBound(this.starts, t1);
    if (hi > 0) visit(0, hi);
    return out;
  }
}
