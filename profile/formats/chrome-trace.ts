/**
 * Chrome Trace Event JSON (the catapult format Chrome, Perfetto's traceconv
 * and countless libraries write): a bare array of events, or an object with
 * `traceEvents` (plus optional `samples`/`stackFrames`). Timestamps are µs,
 * possibly fractional or strings; the model keeps integer ns.
 *
 * What becomes what:
 * - B/E and X per (pid, tid): samples of event "slices" (chrome-trace-slices.ts);
 * - P samples (`sf` into `stackFrames`, or the top-level `samples` array) and
 *   V8's Profile/ProfileChunk cpu profiles: samples of event "samples", each
 *   weighted by the time to the thread's next sample (the last weighs 0);
 * - C: one CounterTrack per (pid, name, id, arg key);
 * - M thread_name / process_name: thread comm;
 * - i/I/R/n instants and b/e async pairs: markers.
 * Other phases (flows, objects, memory dumps) are counted in one warning.
 * guestperf's own exports add hints (args.guestperf, "marker:" categories,
 * args["guestperf.self"]) that bring machines, events and weights back.
 */
import { ProfileBuilder } from '../builder';
import { EXEC_CONTEXT_NAMES, ExecContext, MarkerKind, type CounterScope, type Profile, type ProfileMeta } from '../model';
import { exportChromeTrace } from './chrome-trace-export';
import {
  HINT_ARG,
  MARKER_CAT_PREFIX,
  SELF_WEIGHT_ARG,
  SliceTrack,
  StackFrames,
  slicesToSamples,
  type SliceStats,
} from './chrome-trace-slices';
import { CpuProfileTree, emitCpuSamples } from './cpuprofile';
import { ParseError, type ImportOptions, type StreamingImporter, type TraceFormat } from './format';
import { JsonStreamScanner } from './json-stream';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
/** A number, or a numeric string (Chrome writes some ids and times as strings). */
const num = (v: unknown): number =>
  typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
const toNs = (us: unknown): number => Math.round(num(us) * 1000);
const int = (v: unknown): number => (Number.isSafeInteger(num(v)) ? num(v) : -1);

const MARKER_KINDS = Object.keys(MarkerKind) as Array<keyof typeof MarkerKind>;
const SCOPED_NAME = /^(.*) \[(host|guest|both|truth)(?: @(.+?))?(?: cpu(\d+))?\]$/;

interface ThreadData {
  pid: unknown;
  tid: unknown;
  name?: string;
  hint?: Json;
  slices?: SliceTrack;
  sampleTimes?: number[];
  sampleFrames?: string[];
}

interface CounterData {
  pid: string;
  name: string;
  unit: string;
  time: number[];
  value: number[];
  running: number[] | null;
}

interface MarkerData {
  pid: string;
  name: string;
  cat: string;
  start: number;
  end: number;
  args: unknown;
}

interface CpuProfileData {
  thread: string;
  endNs: number;
  tree: CpuProfileTree;
  ids: unknown[];
  times: number[];
  clock: number;
}

class TraceCollector {
  readonly threads = new Map<string, ThreadData>();
  readonly processes = new Map<string, { name: string; hint?: Json }>();
  readonly counters = new Map<string, CounterData>();
  readonly markers: MarkerData[] = [];
  readonly asyncOpen = new Map<string, MarkerData[]>();
  readonly cpuProfiles = new Map<string, CpuProfileData>();
  stackFrames: Json = {};
  otherData: Json = {};
  readonly ignored = new Map<string, number>();
  badEvents = 0;
  badTimes = 0;
  unmatchedAsync = 0;

  private thread(e: Json): ThreadData {
    const key = `${str(e.pid)}\u0000${str(e.tid)}`;
    let t = this.threads.get(key);
    if (!t) this.threads.set(key, (t = { pid: e.pid, tid: e.tid }));
    return t;
  }

  event(e: unknown): void {
    if (!isObject(e)) {
      this.badEvents++;
      return;
    }
    const ph = str(e.ph);
    const args = isObject(e.args) ? e.args : {};
    if (ph === 'M') return this.metadata(e, args);
    const ts = toNs(e.ts);
    if (!Number.isFinite(ts)) {
      this.badTimes++;
      return;
    }
    const name = str(e.name);
    const cat = str(e.cat);
    const pid = str(e.pid);
    switch (ph) {
      case 'B':
      case 'X': {
        const dur = toNs(e.dur ?? e.tdur);
        const end = ph === 'B' ? NaN : Number.isFinite(dur) && dur > 0 ? ts + dur : ts;
        if (cat.startsWith(MARKER_CAT_PREFIX)) {
          this.markers.push({ pid, name, cat, start: ts, end: Number.isNaN(end) ? ts : end, args });
          return;
        }
        const context = EXEC_CONTEXT_NAMES.indexOf(cat as (typeof EXEC_CONTEXT_NAMES)[number]);
        const ours = context >= 0;
        const self = ours ? num(args[SELF_WEIGHT_ARG]) : NaN;
        const t = this.thread(e);
        (t.slices ??= new SliceTrack()).begin({
          start: ts,
          end,
          name: name || '(unnamed)',
          dso: ours && typeof args.dso === 'string' ? args.dso : null,
          context: ours ? (context as ExecContext) : ExecContext.HostUser,
          self: Number.isFinite(self) ? self : NaN,
        });
        return;
      }
      case 'E':
        (this.thread(e).slices ??= new SliceTrack()).end(ts, name);
        return;
      case 'C':
        return this.counter(e, args, ts, name, cat, pid);
      case 'i':
      case 'I':
      case 'R':
      case 'n':
        // Chrome before ~2018 wrote the whole cpu profile as one instant event.
        if (name === 'CpuProfile') return this.cpuProfile(e, args, ts, name);
        this.markers.push({ pid, name, cat, start: ts, end: ts, args });
        return;
      case 'b':
      case 'e': {
        const id = str(e.id ?? (isObject(e.id2) ? (e.id2.local ?? e.id2.global) : ''));
        const key = `${pid}\u0000${cat}\u0000${id}\u0000${name}`;
        let stack = this.asyncOpen.get(key);
        if (ph === 'b') {
          if (!stack) this.asyncOpen.set(key, (stack = []));
          stack.push({ pid, name, cat, start: ts, end: ts, args });
        } else {
          const begin = stack?.pop();
          if (begin) this.markers.push({ ...begin, end: Math.max(ts, begin.start) });
          else this.unmatchedAsync++;
        }
        return;
      }
      case 'P':
        if (name === 'Profile' || name === 'ProfileChunk') return this.cpuProfile(e, args, ts, name);
        return this.sample(e, ts);
      default:
        this.ignored.set(ph, (this.ignored.get(ph) ?? 0) + 1);
    }
  }

  /** An entry of `samples` or a P event: a leaf `sf` at a time. */
  sample(e: unknown, ts = isObject(e) ? toNs(e.ts) : NaN): void {
    if (!isObject(e) || e.sf === undefined || !Number.isFinite(ts)) {
      this.badEvents++;
      return;
    }
    const t = this.thread(e);
    (t.sampleTimes ??= []).push(ts);
    (t.sampleFrames ??= []).push(str(e.sf));
  }

  private metadata(e: Json, args: Json): void {
    const name = str(args.name);
    const hint = isObject(args[HINT_ARG]) ? (args[HINT_ARG] as Json) : undefined;
    if (e.name === 'thread_name') Object.assign(this.thread(e), { name, hint });
    else if (e.name === 'process_name') this.processes.set(str(e.pid), { name, hint });
  }

  private counter(e: Json, args: Json, ts: number, name: string, cat: string, pid: string): void {
    const series = Object.entries(args).filter(([, v]) => Number.isFinite(num(v)));
    const keys = series.map(([k]) => k);
    // {value, running} is one guestperf track with its multiplexing ratio.
    const paired = keys.length === 2 && keys.includes('value') && keys.includes('running');
    const id = e.id === undefined ? '' : ` ${str(e.id)}`;
    for (const [key, v] of series) {
      if (paired && key === 'running') continue;
      const trackName = key === 'value' ? `${name}${id}` : `${name}${id} ${key}`;
      const mapKey = `${pid}\u0000${trackName}`;
      let c = this.counters.get(mapKey);
      if (!c) this.counters.set(mapKey, (c = { pid, name: trackName, unit: cat, time: [], value: [], running: null }));
      c.time.push(ts);
      c.value.push(num(v));
      if (paired) (c.running ??= []).push(num(args.running));
    }
  }

  /** Profile + ProfileChunks (matched by pid and id), or one CpuProfile event holding it all. */
  private cpuProfile(e: Json, args: Json, ts: number, name: string): void {
    const data = isObject(args.data) ? args.data : {};
    const cpu = isObject(data.cpuProfile) ? data.cpuProfile : {};
    const threadKey = `${str(e.pid)}\u0000${str(e.tid)}`;
    const key = name === 'CpuProfile' ? `${threadKey}\u0000${ts}` : `${str(e.pid)}\u0000${str(e.id)}`;
    let p = this.cpuProfiles.get(key);
    if (!p) {
      this.thread(e);
      const startNs = toNs(data.startTime ?? cpu.startTime);
      const clock = Number.isFinite(startNs) ? startNs : ts;
      p = { thread: threadKey, endNs: toNs(cpu.endTime), tree: new CpuProfileTree(), ids: [], times: [], clock };
      this.cpuProfiles.set(key, p);
    }
    if (name === 'Profile') {
      // The Profile event names the profiled thread; chunks may come from the sampler thread.
      p.thread = threadKey;
      return;
    }
    if (Array.isArray(cpu.nodes)) for (const node of cpu.nodes) p.tree.addNode(node);
    const ids = Array.isArray(cpu.samples) ? cpu.samples : [];
    const deltas = Array.isArray(data.timeDeltas) ? data.timeDeltas : Array.isArray(cpu.timeDeltas) ? cpu.timeDeltas : [];
    const n = Math.min(ids.length, deltas.length);
    for (let i = 0; i < n; i++) {
      p.clock += toNs(deltas[i]) || 0;
      p.ids.push(ids[i]);
      p.times.push(p.clock);
    }
  }

  build(b: ProfileBuilder, stats: SliceStats): void {
    const machineOf = (pid: string): number => {
      const hint = this.processes.get(pid)?.hint;
      if (!hint) return 0;
      return b.machine(this.processes.get(pid)!.name, hint.kind === 'host' ? 'host' : 'guest', int(hint.pid));
    };
    if (Array.isArray(this.otherData['guestperf.events'])) for (const name of this.otherData['guestperf.events']) b.event(str(name));
    const modelThread = (t: ThreadData): number => {
      const h = t.hint;
      const comm = (h && str(h.comm)) || t.name || this.processes.get(str(t.pid))?.name || `tid ${str(t.tid)}`;
      return b.thread(comm, h ? int(h.pid) : int(t.pid), h ? int(h.tid) : int(t.tid), machineOf(str(t.pid)));
    };
    const eventOf = (t: ThreadData, fallback: string) => b.event((t.hint && str(t.hint.event)) || fallback);
    const frames = new StackFrames(this.stackFrames);
    for (const t of this.threads.values()) {
      if (t.slices) slicesToSamples(b, t.slices, modelThread(t), eventOf(t, 'slices'), stats);
      if (t.sampleTimes) frames.emit(b, t.sampleTimes, t.sampleFrames!, modelThread(t), eventOf(t, 'samples'));
    }
    let unknownNodes = 0;
    for (const p of this.cpuProfiles.values()) {
      const t = this.threads.get(p.thread)!;
      unknownNodes += emitCpuSamples(b, p.tree, p.ids, p.times, p.endNs, modelThread(t), eventOf(t, 'samples'));
    }
    const unknown = unknownNodes + frames.unknown;
    if (unknown > 0) b.warn(-1, `${unknown} samples name an unknown stack frame and were skipped`);
    for (const c of this.counters.values()) {
      // Bounded: the pattern backtracks on long names built to defeat it.
      const m = c.name.length < 1000 ? SCOPED_NAME.exec(c.name) : null;
      const order = c.time.map((_, i) => i).sort((x, y) => c.time[x] - c.time[y] || x - y);
      b.counter({
        name: m ? m[1] : c.name,
        event: -1,
        scope: m ? (m[2] as CounterScope) : 'both',
        machine: m?.[3] ? b.machine(m[3], 'guest') : m ? -1 : machineOf(c.pid),
        cpu: m?.[4] ? Number(m[4]) : -1,
        unit: m ? c.unit : '',
        time: Float64Array.from(order, (i) => c.time[i]),
        value: Float64Array.from(order, (i) => c.value[i]),
        running: Float64Array.from(order, (i) => (c.running ? c.running[i] : 1)),
      });
    }
    for (const m of this.markers) {
      const ours = m.cat.startsWith(MARKER_CAT_PREFIX);
      const args = isObject(m.args) ? m.args : {};
      const kind = MARKER_KINDS.indexOf(m.cat.slice(MARKER_CAT_PREFIX.length) as keyof typeof MarkerKind);
      const data = ours ? (typeof args.data === 'string' ? args.data : undefined) : describeArgs(args);
      b.marker({
        name: m.name,
        kind: ours && kind >= 0 ? (MarkerKind[MARKER_KINDS[kind]] as MarkerKind) : MarkerKind.Other,
        start: m.start,
        end: m.end,
        machine: machineOf(m.pid),
        cpu: ours ? int(args.cpu) : -1,
        vcpu: ours ? int(args.vcpu) : -1,
        ...(data !== undefined && { data }),
      });
    }
  }
}

/** Args as marker detail; JSON.parse accepts nesting that JSON.stringify overflows the stack on. */
function describeArgs(args: Json): string | undefined {
  if (Object.keys(args).length === 0) return undefined;
  try {
    return JSON.stringify(args);
  } catch {
    return '(args nested too deeply to show)';
  }
}

function parseEvent(fileName: string, text: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ParseError(fileName, line, `invalid JSON: ${(e as Error).message}`);
  }
}

function createImporter(options: ImportOptions): StreamingImporter {
  const { fileName } = options;
  const c = new TraceCollector();
  const scanner = new JsonStreamScanner(fileName, new Set(['traceEvents', 'samples']), {
    element(key, text, line) {
      const e = parseEvent(fileName, text, line);
      if (key === 'samples') c.sample(e);
      else c.event(e);
    },
    wants: (key) => key === 'stackFrames' || key === 'otherData' || key === 'traceEvents',
    value(key, text, line) {
      const v = parseEvent(fileName, text, line);
      if (key === 'traceEvents') throw new ParseError(fileName, line, '"traceEvents" is not an array');
      if (key === 'stackFrames' && isObject(v)) c.stackFrames = v;
      if (key === 'otherData' && isObject(v)) c.otherData = v;
    },
  });
  return {
    push: (chunk) => scanner.push(chunk),
    finish(): Profile {
      const end = scanner.finish();
      const b = new ProfileBuilder();
      if (end.truncatedElement) b.warn(-1, 'the trace is cut off inside its last event, which was dropped');
      const stats: SliceStats = { unmatchedEnds: 0, nonNested: 0, unclosed: 0 };
      c.build(b, stats);
      const warn = (n: number, message: string) => n > 0 && b.warn(-1, `${n} ${message}`);
      warn(stats.unmatchedEnds, 'E events match no open B event and were ignored');
      warn(stats.nonNested, 'slices ended while a slice inside them was still open; they were closed with it');
      warn(stats.unclosed, 'slices never ended; they were closed at their thread\'s last timestamp');
      warn(c.unmatchedAsync, 'async end (e) events match no begin');
      warn(c.badEvents, 'entries are not trace events (not an object, or a sample without sf) and were skipped');
      warn(c.badTimes, 'events have no valid ts and were skipped');
      const ignored = [...c.ignored].map(([ph, n]) => `${n} "${ph}"`).join(', ');
      if (ignored) b.warn(-1, `events of phases guestperf does not show were ignored: ${ignored}`);
      const unit = c.otherData['guestperf.weightUnit'];
      const weightUnit: ProfileMeta['weightUnit'] = unit === 'samples' || unit === 'events' ? unit : 'ns';
      return b.build({ name: fileName, source: 'chrome-trace', weightUnit });
    },
  };
}

/** `[` then an event object with a `"ph"` key, or an object with a `"traceEvents"` key. */
function detect(head: Uint8Array): boolean {
  const text = new TextDecoder().decode(head).replace(/^\uFEFF/, '');
  if (/^\s*\[\s*\{/.test(text)) return /"ph"\s*:/.test(text);
  return /^\s*\{/.test(text) && /"traceEvents"\s*:/.test(text);
}

export const chromeTraceFormat: TraceFormat = {
  id: 'chrome-trace',
  name: 'Chrome trace event JSON',
  extensions: ['json'],
  detect,
  createImporter,
  export: exportChromeTrace,
  exportExtension: 'trace.json',
};
