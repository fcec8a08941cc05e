/**
 * Turns a trace's per-thread timeline events into samples: duration events
 * (B/E pairs and X, below) and sampled stacks (`stackFrames`, at the end).
 *
 * For duration events the thread's timeline is cut at every event boundary,
 * and each piece during which something is open becomes a sample of the open
 * stack, weighted by the piece's length in ns. This is how speedscope and
 * Firefox show traced code as a flame graph, and it keeps total time per
 * stack path exact.
 *
 * Real traces do not always nest. The rules, pinned by speedscope's
 * trace-event corpus (sample/profiles/trace-event):
 * - events are taken in time order (files are not always sorted);
 * - at one timestamp, ends go before begins, so a slice that ends where its
 *   sibling starts does not become its parent; an end that finds nothing open
 *   is retried after the begins (zero-length B/E pairs);
 * - begins at one timestamp nest by end time, longest outermost, then by file
 *   order (an open-ended B counts as longest);
 * - an E closes the innermost open B of its name (any, if it has no name); an
 *   X closes exactly itself; an E never closes an X;
 * - closing a slice that is not innermost defers its removal until the slices
 *   above it close, so the open stack stays a real call path;
 * - E events that match nothing are dropped, slices never closed end at the
 *   thread's last timestamp; both are counted for one warning each.
 */
import type { ProfileBuilder } from '../builder';
import { ExecContext } from '../model';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/** guestperf's own export writes these; foreign traces never have them. */
export const SELF_WEIGHT_ARG = 'guestperf.self';
export const MARKER_CAT_PREFIX = 'marker:';
export const HINT_ARG = 'guestperf';

/** What an importer knows of a B or X event. */
export interface SliceInput {
  start: number;
  /** NaN for a B, whose end comes from a later E. */
  end: number;
  name: string;
  dso: string | null;
  context: ExecContext;
  /**
   * The weight of the samples this slice was innermost for, when it differs
   * from the time it was innermost (guestperf exports of sample counts); NaN
   * in foreign traces, where weight is time.
   */
  self: number;
}

/** A slice plus its conversion state, kept on one object: traces have millions. */
interface SliceRecord extends SliceInput {
  order: number;
  /** Model stack once opened; -2 before. */
  stack: number;
  claimed: boolean;
  /** Claimed while slices above it stayed open (counted once). */
  deferred: boolean;
  /** Time during which it was the innermost open slice. */
  topTime: number;
}

export interface SliceStats {
  unmatchedEnds: number;
  nonNested: number;
  unclosed: number;
}

/** Duration events of one thread, in file order. */
export class SliceTrack {
  readonly slices: SliceRecord[] = [];
  /** E events: time and name ('' when the E has none). */
  readonly endTimes: number[] = [];
  readonly endNames: string[] = [];
  private order = 0;

  begin(s: SliceInput): void {
    const { start, end, name, dso, context, self } = s;
    this.slices.push({ start, end, name, dso, context, self, order: this.order++, stack: -2, claimed: false, deferred: false, topTime: 0 });
  }

  end(time: number, name: string): void {
    this.endTimes.push(time);
    this.endNames.push(name);
    this.order++;
  }
}

// Boundary kinds, in the low 2 bits of a boundary's code (code = ref * 4 + kind).
const END = 0;
const X_END = 1;
const BEGIN = 2;

const endOf = (s: SliceRecord) => (Number.isNaN(s.end) ? Infinity : s.end);
const byNesting = (x: SliceRecord, y: SliceRecord) => endOf(y) - endOf(x) || x.order - y.order;

export function slicesToSamples(
  b: ProfileBuilder,
  track: SliceTrack,
  thread: number,
  event: number,
  stats: SliceStats,
): void {
  const { slices, endTimes, endNames } = track;
  const times: number[] = [];
  const codes: number[] = [];
  slices.forEach((s, i) => {
    times.push(s.start);
    codes.push(i * 4 + BEGIN);
    if (!Number.isNaN(s.end)) {
      times.push(s.end);
      codes.push(i * 4 + X_END);
    }
  });
  endTimes.forEach((t, i) => {
    times.push(t);
    codes.push(i * 4 + END);
  });
  // A plain array: V8's TimSort exploits the long sorted runs traces have; typed-array sort with a comparator does not.
  const order = Array.from({ length: times.length }, (_, i) => i);
  order.sort((x, y) => times[x] - times[y] || x - y);

  const open: SliceRecord[] = [];
  const pieceStart: number[] = [];
  const pieceLength: number[] = [];
  const pieceTop: SliceRecord[] = [];
  const deferred: number[] = [];
  const begins: SliceRecord[] = [];
  let last = NaN;

  const resolve = (code: number): boolean => {
    const ref = code >>> 2;
    if ((code & 3) === X_END) {
      const s = slices[ref];
      if (s.stack === -2) return false; // it begins at this same timestamp
      s.claimed = true;
      return true;
    }
    const name = endNames[ref];
    for (let k = open.length - 1; k >= 0; k--) {
      const o = open[k];
      if (o.claimed || !Number.isNaN(o.end)) continue;
      if (name === '' || o.name === name) return (o.claimed = true);
    }
    return false;
  };
  const popClaimed = () => {
    while (open.length > 0 && open[open.length - 1].claimed) open.pop();
  };

  for (let g = 0; g < order.length; ) {
    const time = times[order[g]];
    let h = g;
    while (h < order.length && times[order[h]] === time) h++;
    const top = open[open.length - 1];
    if (top && time > last) {
      const n = pieceTop.length - 1;
      if (n >= 0 && pieceTop[n] === top && pieceStart[n] + pieceLength[n] === last) pieceLength[n] += time - last;
      else {
        pieceStart.push(last);
        pieceLength.push(time - last);
        pieceTop.push(top);
      }
      top.topTime += time - last;
    }
    last = time;

    deferred.length = 0;
    begins.length = 0;
    for (let k = g; k < h; k++) {
      const code = codes[order[k]];
      if ((code & 3) === BEGIN) begins.push(slices[code >>> 2]);
      else if (!resolve(code)) deferred.push(code);
    }
    popClaimed();
    if (begins.length > 1) begins.sort(byNesting);
    for (const s of begins) {
      const parent = open[open.length - 1];
      s.stack = b.stack(parent ? parent.stack : -1, b.frame(s.name, s.dso, s.context));
      open.push(s);
    }
    for (const code of deferred) if (!resolve(code)) stats.unmatchedEnds++;
    popClaimed();
    for (const o of open) {
      if (o.claimed && !o.deferred) {
        o.deferred = true;
        stats.nonNested++;
      }
    }
    g = h;
  }
  for (const o of open) if (!o.claimed) stats.unclosed++;

  const sample = (stack: number, time: number, weight: number, context: ExecContext) =>
    b.sample({ stack, time, weight, event, cpu: -1, thread, vcpu: -1, context });
  for (let k = 0; k < pieceTop.length; k++) {
    const top = pieceTop[k];
    const weight = Number.isNaN(top.self) ? pieceLength[k] : (top.self * pieceLength[k]) / top.topTime;
    sample(top.stack, pieceStart[k], weight, top.context);
  }
  // A slice whose self weight had no time of its own (guestperf exports never write these, other tools might).
  for (const s of slices) {
    if (s.stack >= -1 && s.topTime === 0 && s.self !== 0 && !Number.isNaN(s.self)) sample(s.stack, s.start, s.self, s.context);
  }
}

/**
 * Sampled stacks: the trace's `stackFrames` map (id → {name, parent}),
 * resolved to model stacks on demand. Each sample weighs the time to its
 * thread's next sample; the last weighs 0, as speedscope counts them.
 */
export class StackFrames {
  private readonly stacks = new Map<string, number>();
  unknown = 0;
  constructor(private readonly table: Json) {}

  private stackOf(b: ProfileBuilder, id: string): number | undefined {
    const chain: Json[] = [];
    const ids: string[] = [];
    const seen = new Set<string>();
    let base = -1;
    for (let at: string | undefined = id; at !== undefined; ) {
      const known = this.stacks.get(at);
      if (known !== undefined) {
        base = known;
        break;
      }
      const f: unknown = Object.hasOwn(this.table, at) ? this.table[at] : undefined;
      if (!isObject(f) || seen.has(at)) break; // unknown parent or a cycle: root the chain here
      chain.push(f);
      ids.push(at);
      seen.add(at);
      at = f.parent === undefined ? undefined : str(f.parent);
    }
    if (chain.length === 0 && base === -1) return undefined;
    let stack = base;
    for (let k = chain.length - 1; k >= 0; k--) {
      stack = b.stack(stack, b.frame(str(chain[k].name) || '(unnamed)', null, ExecContext.HostUser));
      this.stacks.set(ids[k], stack);
    }
    return stack;
  }

  emit(b: ProfileBuilder, times: number[], sf: string[], thread: number, event: number): void {
    const order = times.map((_, i) => i).sort((x, y) => times[x] - times[y] || x - y);
    order.forEach((i, k) => {
      const stack = this.stackOf(b, sf[i]);
      if (stack === undefined) return void this.unknown++;
      const weight = k + 1 < order.length ? times[order[k + 1]] - times[i] : 0;
      b.sample({ stack, time: times[i], weight, event, cpu: -1, thread, vcpu: -1, context: ExecContext.HostUser });
    });
  }
}

