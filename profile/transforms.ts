/**
 * Pure transforms: (profile, args) => profile. They never edit their input;
 * tables they do not change are shared with it (the model is read-only).
 */
import { ProfileBuilder } from './builder';
import { exitsInRange } from './exit-table';
import type { ExecContext, Profile, SampleTable } from './model';

/** A new SampleTable holding the rows of `samples` where keep(i) is true. */
function selectSamples(samples: SampleTable, keep: (i: number) => boolean): SampleTable {
  const rows: number[] = [];
  for (let i = 0; i < samples.length; i++) if (keep(i)) rows.push(i);
  const pick = <T extends Int32Array | Float64Array | Uint8Array>(col: T): T => {
    const out = new (col.constructor as new (n: number) => T)(rows.length);
    for (let j = 0; j < rows.length; j++) out[j] = col[rows[j]];
    return out;
  };
  return {
    length: rows.length,
    stack: pick(samples.stack),
    time: pick(samples.time),
    weight: pick(samples.weight),
    event: pick(samples.event),
    cpu: pick(samples.cpu),
    thread: pick(samples.thread),
    vcpu: pick(samples.vcpu),
    context: pick(samples.context),
  };
}

/**
 * Samples, markers, counter points and VM exits in [start, end)
 * (nanoseconds). Samples without a time are dropped: a time range says
 * nothing about them.
 */
export function filterTimeRange(profile: Profile, start: number, end: number): Profile {
  const { time } = profile.samples;
  const m = profile.markers;
  const markerRows: number[] = [];
  for (let i = 0; i < m.length; i++) if (m.end[i] >= start && m.start[i] < end) markerRows.push(i);
  const pickMarkers = <T extends Int32Array | Float64Array | Uint8Array>(col: T): T => {
    const out = new (col.constructor as new (n: number) => T)(markerRows.length);
    markerRows.forEach((r, j) => (out[j] = col[r]));
    return out;
  };
  return {
    ...profile,
    samples: selectSamples(profile.samples, (i) => time[i] >= start && time[i] < end),
    markers: {
      length: markerRows.length,
      name: pickMarkers(m.name),
      kind: pickMarkers(m.kind),
      start: pickMarkers(m.start),
      end: pickMarkers(m.end),
      machine: pickMarkers(m.machine),
      cpu: pickMarkers(m.cpu),
      vcpu: pickMarkers(m.vcpu),
      data: pickMarkers(m.data),
    },
    counters: profile.counters.map((t) => {
      let lo = 0;
      while (lo < t.time.length && t.time[lo] < start) lo++;
      let hi = lo;
      while (hi < t.time.length && t.time[hi] < end) hi++;
      return { ...t, time: t.time.slice(lo, hi), value: t.value.slice(lo, hi), running: t.running.slice(lo, hi) };
    }),
    // A table that cannot tell when its exits happened stays whole (the exits view says so).
    vmExits: profile.vmExits && (exitsInRange(profile.vmExits, start, end) ?? profile.vmExits),
  };
}

/** Only the samples whose execution context is one of `contexts`. */
export function filterContexts(profile: Profile, contexts: readonly ExecContext[]): Profile {
  const keep = new Uint8Array(8);
  for (const c of contexts) keep[c] = 1;
  const { context } = profile.samples;
  return { ...profile, samples: selectSamples(profile.samples, (i) => keep[context[i]] === 1) };
}

/** One profile per machine (host, each guest), each holding only that machine's samples. */
export function splitByMachine(profile: Profile): Profile[] {
  const machineOfThread = profile.threads.machine;
  const { thread } = profile.samples;
  return profile.machines.map((machine, index) => ({
    ...profile,
    meta: { ...profile.meta, name: `${profile.meta.name} (${machine.name})` },
    samples: selectSamples(profile.samples, (i) => machineOfThread[thread[i]] === index),
  }));
}

/**
 * Copies every sample of `profile` into `b`, re-interning strings, frames,
 * stacks, threads, machines and events. `eventName` renames every event (the
 * differential uses it to make "before" and "after").
 */
export function appendProfile(b: ProfileBuilder, profile: Profile, eventName?: (name: string) => string): void {
  const { frames, stacks, threads, strings } = profile;
  const frameMap = new Int32Array(frames.length);
  for (let f = 0; f < frames.length; f++) {
    const dso = frames.dso[f];
    frameMap[f] = b.frame(strings[frames.name[f]], dso < 0 ? null : strings[dso], frames.context[f] as ExecContext);
  }
  // Prefixes precede their children, so one forward pass maps every stack.
  const stackMap = new Int32Array(stacks.length);
  for (let s = 0; s < stacks.length; s++) {
    const prefix = stacks.prefix[s];
    stackMap[s] = b.stack(prefix < 0 ? -1 : stackMap[prefix], frameMap[stacks.frame[s]]);
  }
  const machineMap = profile.machines.map((m) => b.machine(m.name, m.kind, m.pid));
  const threadMap = new Int32Array(threads.length);
  for (let t = 0; t < threads.length; t++) {
    threadMap[t] = b.thread(strings[threads.comm[t]], threads.pid[t], threads.tid[t], machineMap[threads.machine[t]]);
  }
  const eventMap = profile.events.map((e) => {
    const { name, ...info } = e;
    return b.event(eventName ? eventName(name) : name, eventName ? undefined : info);
  });
  const s = profile.samples;
  for (let i = 0; i < s.length; i++) {
    b.sample({
      stack: s.stack[i] < 0 ? -1 : stackMap[s.stack[i]],
      time: s.time[i],
      weight: s.weight[i],
      event: eventMap[s.event[i]],
      cpu: s.cpu[i],
      thread: threadMap[s.thread[i]],
      vcpu: s.vcpu[i],
      context: s.context[i] as ExecContext,
    });
  }
}

/** Several profiles (a host trace and its guests' traces, say) as one. */
export function mergeProfiles(profiles: readonly Profile[], name: string): Profile {
  const b = new ProfileBuilder();
  for (const p of profiles) appendProfile(b, p);
  const units = new Set(profiles.map((p) => p.meta.weightUnit));
  return b.build({ name, source: 'merge', weightUnit: units.size === 1 ? [...units][0] : 'samples' });
}

/**
 * A differential: the samples of `before` as event "before" and those of
 * `after` as event "after", over one shared frame and stack table, so any
 * projection (call tree, flame graph) shows both weights per node. With
 * `normalize`, before's weights are scaled to after's total, as
 * difffolded.pl -n does.
 */
export function diffProfiles(before: Profile, after: Profile, opts: { normalize?: boolean } = {}): Profile {
  const b = new ProfileBuilder();
  appendProfile(b, before, () => 'before');
  appendProfile(b, after, () => 'after');
  const p = b.build({
    name: `${before.meta.name} → ${after.meta.name}`,
    source: 'diff',
    weightUnit: before.meta.weightUnit === after.meta.weightUnit ? after.meta.weightUnit : 'samples',
  });
  if (opts.normalize) {
    const { weight, event, length } = p.samples;
    const beforeEvent = p.events.findIndex((e) => e.name === 'before');
    let sumBefore = 0;
    let sumAfter = 0;
    for (let i = 0; i < length; i++) {
      if (event[i] === beforeEvent) sumBefore += weight[i];
      else sumAfter += weight[i];
    }
    const scale = sumBefore > 0 ? sumAfter / sumBefore : 1;
    for (let i = 0; i < length; i++) if (event[i] === beforeEvent) weight[i] *= scale;
  }
  return p;
}
