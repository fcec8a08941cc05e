/**
 * Writes a Profile as Chrome Trace Event JSON that Perfetto and
 * chrome://tracing open as a flame chart: per thread and event, the samples
 * laid on the timeline and merged into nested `X` slices (a run of samples
 * sharing a stack prefix becomes one slice, as speedscope draws it); counter
 * tracks as `C` events; markers as `X` or `i` on a track per CPU/vCPU; `M`
 * names. Each machine (host, each guest) is one trace process (pid = machine
 * index + 1), so Perfetto groups a guest's threads together.
 *
 * Sample geometry, per track in time order: a sample starts at its time, or
 * where the previous one ended if that is later, and lasts its weight (ns
 * profiles) or the gap to the next sample, capped at the track's median gap
 * (other units); at least 1 ns. When a slice's innermost time differs from
 * the weight of its samples, args["guestperf.self"] carries the weight.
 *
 * Round-trip guarantee (export, then import with chromeTraceFormat): for every
 * event, thread and stack path, the total weight of the exported samples is
 * the same, exactly for integer weights in an 'ns' profile and up to float
 * rounding otherwise; events, machines, thread comm/pid/tid, frame dso and
 * context, counter tracks (name, scope, machine, cpu, unit, time, value,
 * running) and markers come back too. Individual samples do not: they come
 * back as the pieces between slice boundaries. Not exported: samples without a time,
 * without a stack or with weight 0 (a timeline has no place for them), the
 * per-sample cpu/vCPU, event attrs, and counter tracks' event link.
 */
import { EXEC_CONTEXT_NAMES, MarkerKind, type Profile } from '../model';
import { HINT_ARG, MARKER_CAT_PREFIX, SELF_WEIGHT_ARG } from './chrome-trace-slices';
import type { ExportOptions } from './format';

const KIND_NAMES = Object.keys(MarkerKind) as Array<keyof typeof MarkerKind>;
const CHUNK = 1 << 16;
/** Synthetic tids (second event of a thread, marker tracks) start here, above real Linux tids. */
const SYNTHETIC_TID = 1 << 22;

interface Slice {
  stack: number;
  start: number;
  end: number;
  self: number;
  top: number;
}

export function* exportChromeTrace(profile: Profile, options?: ExportOptions): Iterable<string> {
  const { samples, stacks, frames, threads, strings } = profile;
  let buffer = '{"traceEvents":[\n';
  let first = true;
  const events: string[] = [];
  const emit = (e: Record<string, unknown>) => {
    events.push((first ? '' : ',\n') + JSON.stringify(e));
    first = false;
  };
  const flush = function* () {
    for (const e of events) {
      buffer += e;
      if (buffer.length >= CHUNK) {
        yield buffer;
        buffer = '';
      }
    }
    events.length = 0;
  };

  const pidOf = (machine: number) => Math.max(0, machine) + 1;
  profile.machines.forEach((m, i) =>
    emit({ ph: 'M', name: 'process_name', pid: pidOf(i), tid: 0, args: { name: m.name, [HINT_ARG]: { kind: m.kind, pid: m.pid } } }),
  );
  const usedTids = new Map<number, Set<number>>();
  const tidFor = (pid: number, wanted: number) => {
    const used = usedTids.get(pid) ?? usedTids.set(pid, new Set()).get(pid)!;
    let tid = wanted >= 0 && !used.has(wanted) ? wanted : SYNTHETIC_TID + used.size;
    while (used.has(tid)) tid++;
    used.add(tid);
    return tid;
  };

  // Tracks: (thread, event) -> sample indices.
  const tracks = new Map<string, { thread: number; event: number; list: number[] }>();
  for (let i = 0; i < samples.length; i++) {
    const w = samples.weight[i];
    if (!Number.isFinite(samples.time[i]) || samples.stack[i] < 0 || w === 0 || !Number.isFinite(w)) continue;
    if (options?.event !== undefined && samples.event[i] !== options.event) continue;
    const key = `${samples.thread[i]},${samples.event[i]}`;
    let t = tracks.get(key);
    if (!t) tracks.set(key, (t = { thread: samples.thread[i], event: samples.event[i], list: [] }));
    t.list.push(i);
  }
  const ns = profile.meta.weightUnit === 'ns';
  for (const { thread, event, list } of tracks.values()) {
    const known = thread >= 0 && thread < threads.length;
    const comm = known ? strings[threads.comm[thread]] : 'unknown';
    const pid = pidOf(known ? threads.machine[thread] : 0);
    const tid = tidFor(pid, known ? threads.tid[thread] : -1);
    const eventName = profile.events[event]?.name ?? 'samples';
    const hint = { comm, pid: known ? threads.pid[thread] : -1, tid: known ? threads.tid[thread] : -1, event: eventName };
    emit({ ph: 'M', name: 'thread_name', pid, tid, args: { name: `${comm} (${eventName})`, [HINT_ARG]: hint } });
    yield* flush();
    yield* trackSlices(profile, list, ns, (s) => {
      const f = stacks.frame[s.stack];
      const args: Record<string, unknown> = {};
      if (frames.dso[f] >= 0) args.dso = strings[frames.dso[f]];
      if (s.self !== s.top) args[SELF_WEIGHT_ARG] = s.self;
      const cat = EXEC_CONTEXT_NAMES[frames.context[f]] ?? 'unknown';
      const slice = { ph: 'X', name: strings[frames.name[f]], cat, pid, tid, ts: s.start / 1000, dur: (s.end - s.start) / 1000 };
      emit(Object.keys(args).length > 0 ? { ...slice, args } : slice);
    }, flush);
  }

  for (const c of profile.counters) {
    const machine = c.machine >= 0 ? ` @${profile.machines[c.machine]?.name ?? c.machine}` : '';
    const name = `${c.name} [${c.scope}${machine}${c.cpu >= 0 ? ` cpu${c.cpu}` : ''}]`;
    const withRunning = c.running.some((r) => r !== 1);
    for (let i = 0; i < c.time.length; i++) {
      if (!Number.isFinite(c.time[i])) continue;
      const args = withRunning ? { value: c.value[i], running: c.running[i] } : { value: c.value[i] };
      emit({ ph: 'C', name, cat: c.unit, pid: pidOf(c.machine), tid: 0, ts: c.time[i] / 1000, args });
    }
    yield* flush();
  }

  const markerTids = new Map<string, number>();
  const m = profile.markers;
  for (let i = 0; i < m.length; i++) {
    const pid = pidOf(m.machine[i]);
    const lane = `${pid},${m.cpu[i]},${m.vcpu[i]}`;
    let tid = markerTids.get(lane);
    if (tid === undefined) {
      markerTids.set(lane, (tid = tidFor(pid, -1)));
      const where = m.vcpu[i] >= 0 ? ` vCPU ${m.vcpu[i]}` : m.cpu[i] >= 0 ? ` cpu ${m.cpu[i]}` : '';
      emit({ ph: 'M', name: 'thread_name', pid, tid, args: { name: `markers${where}` } });
    }
    const args: Record<string, unknown> = {};
    if (m.data[i] >= 0) args.data = strings[m.data[i]];
    if (m.cpu[i] >= 0) args.cpu = m.cpu[i];
    if (m.vcpu[i] >= 0) args.vcpu = m.vcpu[i];
    const base = { name: strings[m.name[i]], cat: MARKER_CAT_PREFIX + KIND_NAMES[m.kind[i]], pid, tid, ts: m.start[i] / 1000, args };
    if (m.end[i] > m.start[i]) emit({ ...base, ph: 'X', dur: (m.end[i] - m.start[i]) / 1000 });
    else emit({ ...base, ph: 'i', s: 't' });
    if (events.length >= 1024) yield* flush();
  }
  yield* flush();
  const otherData = { 'guestperf.weightUnit': profile.meta.weightUnit, 'guestperf.events': profile.events.map((e) => e.name) };
  yield `${buffer}\n],"displayTimeUnit":"ns","otherData":${JSON.stringify(otherData)}}\n`;
}

/**
 * Lays one track's samples on the timeline and merges them into slices,
 * reported in opening order (parents before children: an importer breaks
 * ties between slices with equal bounds by file order).
 */
function* trackSlices(
  profile: Profile,
  list: number[],
  ns: boolean,
  out: (s: Slice) => void,
  flush: () => Iterable<string>,
): Iterable<string> {
  const { samples, stacks } = profile;
  const time = (i: number) => Math.round(samples.time[i]);
  list.sort((x, y) => samples.time[x] - samples.time[y] || x - y);
  const gaps = list.slice(1).map((i, k) => time(i) - time(list[k])).filter((g) => g > 0).sort((a, b) => a - b);
  const cap = gaps.length > 0 ? gaps[gaps.length >> 1] : 1e6;

  const open: Slice[] = [];
  const pending: Slice[] = []; // in opening order, written once the stack empties
  const path: number[] = [];
  let cursor = -Infinity;
  const closeTo = (depth: number, at: number) => {
    while (open.length > depth) open.pop()!.end = at;
  };
  for (let k = 0; k < list.length; k++) {
    const i = list[k];
    const start = Math.max(time(i), cursor);
    const next = k + 1 < list.length ? time(list[k + 1]) - time(i) : cap;
    const length = Math.max(1, Math.round(ns ? samples.weight[i] : Math.min(next, cap)));
    if (start > cursor) closeTo(0, cursor);
    path.length = 0;
    for (let s = samples.stack[i]; s >= 0; s = stacks.prefix[s]) path.push(s);
    path.reverse();
    let common = 0;
    while (common < open.length && common < path.length && open[common].stack === path[common]) common++;
    closeTo(common, start);
    if (open.length === 0 && pending.length > 0) {
      pending.forEach(out);
      pending.length = 0;
      yield* flush();
    }
    for (let d = common; d < path.length; d++) {
      const slice = { stack: path[d], start, end: NaN, self: 0, top: 0 };
      open.push(slice);
      pending.push(slice);
    }
    const leaf = open[open.length - 1];
    leaf.self += samples.weight[i];
    leaf.top += length;
    cursor = start + length;
  }
  closeTo(0, cursor);
  pending.forEach(out);
  yield* flush();
}
