/**
 * Writes a Profile as profile.proto: one sample_type per event (every event,
 * or only options.event), samples aggregated by (stack, thread, cpu, vCPU,
 * context) with one value per sample_type, one Location per model frame
 * (id = frame + 1, one Line, no address), one Function per frame name and one
 * Mapping per dso. pprof values are int64, so weights are rounded.
 *
 * What survives a round trip: per event, thread and stack path the total
 * weight (rounded); thread comm/pid/tid, machine, cpu, vCPU and the sample's
 * context as labels. What does not: sample times (pprof has none), event attrs
 * other than the unit, and a frame's context except for kernel dsos, which
 * pprof has no field for.
 */
import { EXEC_CONTEXT_NAMES, type Profile } from '../../model';
import type { ExportOptions } from '../format';
import { ProtoWriter } from './proto';

const UNIT_OF_WEIGHT: Record<Profile['meta']['weightUnit'], string> = {
  ns: 'nanoseconds',
  samples: 'count',
  events: 'count',
};

export function* exportPprof(profile: Profile, options?: ExportOptions): Iterable<Uint8Array> {
  const { samples, stacks, frames, threads, strings: names } = profile;
  const table: string[] = [''];
  const index = new Map<string, number>([['', 0]]);
  const str = (s: string): number => {
    let i = index.get(s);
    if (i === undefined) {
      i = table.length;
      table.push(s);
      index.set(s, i);
    }
    return i;
  };

  const events =
    options?.event !== undefined
      ? [options.event]
      : profile.events.length > 0
        ? profile.events.map((_, i) => i)
        : [0];
  const column = new Map(events.map((e, k) => [e, k]));
  const sampleTypes = events.map((e) => {
    const info = profile.events[e];
    return {
      type: str(info?.name ?? 'samples'),
      unit: str(info?.attr.unit || UNIT_OF_WEIGHT[profile.meta.weightUnit]),
    };
  });

  // Aggregate: a pprof sample is a stack plus labels, with a value per sample_type.
  const byKey = new Map<string, { stack: number; sample: number; values: number[] }>();
  for (let i = 0; i < samples.length; i++) {
    const k = column.get(samples.event[i]);
    if (k === undefined) continue;
    const key = `${samples.stack[i]},${samples.thread[i]},${samples.cpu[i]},${samples.vcpu[i]},${samples.context[i]}`;
    let agg = byKey.get(key);
    if (!agg) byKey.set(key, (agg = { stack: samples.stack[i], sample: i, values: new Array(events.length).fill(0) }));
    agg.values[k] += samples.weight[i];
  }

  const usedFrames = new Set<number>();
  const out = new ProtoWriter();
  for (const t of sampleTypes) out.message(1, (w) => (w.uint(1, t.type), w.uint(2, t.unit)));
  for (const { stack, sample, values } of byKey.values()) {
    const locationIds: number[] = [];
    for (let s = stack; s >= 0; s = stacks.prefix[s]) {
      usedFrames.add(stacks.frame[s]);
      locationIds.push(stacks.frame[s] + 1);
    }
    const labels: Array<[string, string | number]> = [];
    const thread = samples.thread[sample];
    if (thread >= 0 && thread < threads.length) {
      labels.push(['thread_comm', names[threads.comm[thread]]]);
      if (threads.pid[thread] >= 0) labels.push(['pid', threads.pid[thread]]);
      if (threads.tid[thread] >= 0) labels.push(['tid', threads.tid[thread]]);
      const machine = threads.machine[thread];
      if (machine > 0 && profile.machines[machine]) labels.push(['machine', profile.machines[machine].name]);
    }
    if (samples.cpu[sample] >= 0) labels.push(['cpu', samples.cpu[sample]]);
    if (samples.vcpu[sample] >= 0) labels.push(['vcpu', samples.vcpu[sample]]);
    labels.push(['exec_context', EXEC_CONTEXT_NAMES[samples.context[sample]] ?? 'unknown']);
    out.message(2, (w) => {
      w.packed(1, locationIds);
      w.packed(2, values.map((v) => (Number.isFinite(v) ? Math.round(v) : 0)));
      for (const [key, value] of labels) {
        w.message(3, (l) => {
          l.uint(1, str(key));
          if (typeof value === 'string') l.uint(2, str(value));
          else l.uint(3, value);
        });
      }
    });
  }

  const mappingOf = new Map<number, number>(); // dso string index -> mapping id
  const functionOf = new Map<number, number>(); // name string index -> function id
  const sorted = [...usedFrames].sort((a, b) => a - b);
  for (const f of sorted) {
    const dso = frames.dso[f];
    if (dso >= 0 && !mappingOf.has(dso)) mappingOf.set(dso, mappingOf.size + 1);
    if (!functionOf.has(frames.name[f])) functionOf.set(frames.name[f], functionOf.size + 1);
  }
  for (const [dso, id] of mappingOf) {
    out.message(3, (w) => {
      w.uint(1, id);
      w.uint(5, str(names[dso]));
      w.uint(7, 1); // has_functions: the names are already symbolized
    });
  }
  for (const f of sorted) {
    out.message(4, (w) => {
      w.uint(1, f + 1);
      if (frames.dso[f] >= 0) w.uint(2, mappingOf.get(frames.dso[f])!);
      w.message(4, (line) => line.uint(1, functionOf.get(frames.name[f])!));
    });
  }
  for (const [name, id] of functionOf) {
    out.message(5, (w) => {
      w.uint(1, id);
      w.uint(2, str(names[name]));
      w.uint(3, str(names[name]));
    });
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < samples.length; i++) {
    if (!Number.isFinite(samples.time[i])) continue;
    lo = Math.min(lo, samples.time[i]);
    hi = Math.max(hi, samples.time[i]);
  }
  // The string table is final only now: every index above was assigned before this point.
  const typeOfDefault = sampleTypes[0]?.type ?? 0;
  for (const s of table) out.string(6, s);
  if (hi > lo) out.uint(10, Math.round(hi - lo));
  out.uint(14, typeOfDefault);
  yield out.finish();
}
