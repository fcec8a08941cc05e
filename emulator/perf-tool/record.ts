/**
 * perf record on an emulated kernel (tools/perf/builtin-record.c): open the
 * evlist with sampling attrs, one ring buffer per CPU that every event on
 * that CPU writes into (PERF_EVENT_IOC_SET_OUTPUT), drain it when it wakes
 * the reader and at every poll, and turn the records into a profile: samples
 * with their execution context, a counter track per event and the ground
 * truth per hardware event, and markers for throttling, lost records and
 * events in ERROR.
 */
import { type CounterScope, ExecContext, type Profile } from '../../profile/model';
import { HW_CONTEXTS } from '../hw/cpu';
import { HW_EVENT_COUNT, HW_EVENT_NAMES } from '../hw/events';
import type { SpeBlackout } from '../kvm/arm64/guest-spe';
import type { GuestRunLog } from '../kvm/guest-runs';
import {
  PERF_FORMAT_TOTAL_TIME_ENABLED,
  PERF_FORMAT_TOTAL_TIME_RUNNING,
  PERF_SAMPLE_CALLCHAIN,
  PERF_SAMPLE_CPU,
  PERF_SAMPLE_IDENTIFIER,
  PERF_SAMPLE_IP,
  PERF_SAMPLE_PERIOD,
  PERF_SAMPLE_TID,
  PERF_SAMPLE_TIME,
} from '../perf/attr';
import { PerfIoc, type PerfCore } from '../perf/core';
import { type PerfEvent, PerfEventState } from '../perf/event';
import type { RingBuffer } from '../perf/ring-buffer';
import type { EventQueue } from '../sim/event-queue';
import type { SymbolTable } from '../os/symbols';
import type { RecordOptions } from './cmdline';
import { type Evsel, evselApplyEventString, evselIsGroupLeader } from './evsel';
import { type OpenedEvlist, openEvlist } from './evlist-open';
import { type RecordMachines, RecordWriter } from './record-writer';

export interface RecordHost {
  perf: PerfCore;
  /** The kernel's CPUs (a guest's: its vCPUs), each with the ground truth it keeps. */
  cpus: readonly { truth: Float64Array }[];
  queue: EventQueue;
  symbols: SymbolTable;
  now(): number;
  comm(pid: number, tid: number): string;
  /** How the record writer names machines, guest code and vCPU threads (record-writer.ts). */
  machines: RecordMachines;
  /** What the scenario's timeline did to VMs so far (migrations, pauses), for markers. */
  timeline(): readonly { vm: string; action: string; start: number; end: number }[];
  /**
   * The vCPUs whose guest-mode runs become GuestRun markers (none for a
   * guest's own recording), with their VM's SPE blackouts when it has SPE.
   */
  vcpus(): readonly { vm: string; pid: number; index: number; guestRuns: GuestRunLog; spe: readonly SpeBlackout[] }[];
}

/** perf record's default event since 6.13, and its default frequency. */
export const DEFAULT_RECORD_EVENT = 'cycles:P';
export const DEFAULT_RECORD_FREQ = 4000;
/** 512 KiB of data per CPU: perf's default mmap size for a privileged user. */
const DEFAULT_MMAP_PAGES = 128;
/** How long perf record takes to notice a wakeup and drain the buffer. */
const READER_LATENCY_NS = 100_000;
/** The poll period: buffers are drained and the counter tracks get a point. */
export const RECORD_POLL_NS = 10_000_000;


interface Track {
  time: number[];
  value: number[];
  running: number[];
}

export class PerfRecordSession {
  readonly opened: OpenedEvlist;
  private readonly cpus: readonly number[];
  private readonly buffers: RingBuffer[] = [];
  /** Records become profile rows as they are drained, so none pile up in memory. */
  private readonly writer: RecordWriter;
  private readonly tracks: Track[];
  /** Truth per event, in host contexts then in guest contexts (index HW_EVENT_COUNT + e). */
  private readonly truthTracks: Track[] = Array.from({ length: 2 * HW_EVENT_COUNT }, () => ({ time: [], value: [], running: [] }));
  private lastCounts: { value: number; enabled: number; running: number }[][] = [];
  private lastTruth = new Float64Array(2 * HW_EVENT_COUNT);
  /** Per evsel, per recorded CPU: the same points before the sum over CPUs (empty for a task target). */
  private readonly cpuTracks: Track[][];
  /** Per recorded CPU, truth in host then guest contexts, for the events the evlist names. */
  private readonly cpuTruthTracks: Track[][];
  private lastCpuTruth: Float64Array[] = [];
  private readonly errorSince = new Map<number, number>();
  private readonly errorMarkers: { name: string; start: number; end: number }[] = [];
  private readonly kernelErrors: { event: PerfEvent; start: number }[] = [];
  private startTime = 0;
  private polling = false;
  /** When the counters were last read onto the tracks. */
  private lastPoll = -1;

  constructor(
    private readonly host: RecordHost,
    readonly options: RecordOptions,
    evlist: Evsel[],
  ) {
    const taskTarget = options.pid ?? options.tid;
    this.cpus = taskTarget !== null ? [-1] : (options.cpus ?? host.cpus.map((_, i) => i));
    const cpuWide = taskTarget === null;
    for (const evsel of evlist) {
      const attr = evsel.attr;
      attr.sample_type |= PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_PERIOD;
      if (cpuWide) attr.sample_type |= PERF_SAMPLE_CPU;
      if (options.callGraph) attr.sample_type |= PERF_SAMPLE_CALLCHAIN;
      if (evlist.length > 1) attr.sample_type |= PERF_SAMPLE_IDENTIFIER;
      attr.read_format |= PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
      attr.sample_id_all = true;
      if (options.period !== null) {
        attr.freq = false;
        attr.sample_period = BigInt(options.period);
      } else {
        attr.freq = true;
        attr.sample_freq = options.freq ?? DEFAULT_RECORD_FREQ;
      }
      if (evselIsGroupLeader(evsel)) attr.disabled = true;
    }
    // The event string's own terms (period=, freq=) and the S group rules win over -c/-F.
    evselApplyEventString(evlist);
    this.opened = openEvlist(host.perf, evlist, { cpus: this.cpus, pid: taskTarget ?? -1 });
    this.tracks = this.opened.evsels.map(() => ({ time: [], value: [], running: [] }));
    const perCpu = this.cpus[0] !== -1 && this.cpus.length > 1;
    const newTrack = (): Track => ({ time: [], value: [], running: [] });
    this.cpuTracks = perCpu ? this.opened.evsels.map(() => this.cpus.map(newTrack)) : [];
    this.cpuTruthTracks = perCpu ? this.cpus.map(() => Array.from({ length: 2 * HW_EVENT_COUNT }, newTrack)) : [];
    this.writer = new RecordWriter(this.host.symbols, host.comm, this.eventIds(), host.machines);
    this.mapBuffers(options.mmapPages ?? DEFAULT_MMAP_PAGES);
  }

  /** One buffer per CPU: the first event opened there owns it, the others redirect to it. */
  private mapBuffers(pages: number): void {
    for (let i = 0; i < this.cpus.length; i++) {
      let owner = -1;
      for (const o of this.opened.evsels) {
        const fd = o.fds[i];
        if (fd < 0) continue;
        if (owner < 0) {
          const rb = this.host.perf.mmap(fd, pages);
          if (typeof rb === 'number') continue;
          rb.onWakeup = () => this.host.queue.push(this.host.now() + READER_LATENCY_NS, () => this.drain());
          this.buffers.push(rb);
          owner = fd;
        } else {
          this.host.perf.ioctl(fd, PerfIoc.SET_OUTPUT, owner);
        }
      }
    }
  }

  /** Kernel event id → evlist index, for the samples' event column. */
  private eventIds(): Map<number, number> {
    const ids = new Map<number, number>();
    this.opened.evsels.forEach((o, i) => {
      for (const fd of o.fds) {
        const ev = fd >= 0 ? this.host.perf.eventOf(fd) : undefined;
        if (ev) ids.set(ev.id, i);
      }
    });
    return ids;
  }

  start(): void {
    this.opened.evsels.forEach((o) => this.writer.event(o.evsel));
    // Kernel-owned events (KVM's backing counters) that go to ERROR are part of the story too.
    this.host.perf.errorListeners.push((event, now) => {
      if (event.owner.kind === 'kernel' && this.polling) this.kernelErrors.push({ event, start: now });
    });
    this.startTime = this.host.now();
    for (const o of this.opened.evsels)
      if (evselIsGroupLeader(o.evsel)) for (const fd of o.fds) if (fd >= 0) this.host.perf.ioctl(fd, PerfIoc.ENABLE);
    this.lastCounts = this.opened.evsels.map((o) => o.fds.map(() => ({ value: 0, enabled: 0, running: 0 })));
    this.lastTruth = this.truthNow();
    this.lastCpuTruth = this.cpuTruthTracks.map((_, i) => this.truthNow([this.cpus[i]]));
    this.polling = true;
    this.schedulePoll(this.startTime + RECORD_POLL_NS);
  }

  private schedulePoll(at: number): void {
    this.host.queue.push(at, (now) => {
      if (!this.polling) return;
      this.poll(now);
      this.schedulePoll(now + RECORD_POLL_NS);
    });
  }

  private drain(): void {
    for (const rb of this.buffers) for (const r of rb.drain()) this.writer.record(r);
  }

  /** A point on every counter track, and ERROR-state bookkeeping. */
  private poll(now: number): void {
    this.lastPoll = now;
    this.drain();
    this.opened.evsels.forEach((o, i) => {
      let value = 0;
      let enabled = 0;
      let running = 0;
      o.fds.forEach((fd, c) => {
        if (fd < 0) return;
        const r = this.host.perf.read(fd, 4096);
        const event = this.host.perf.eventOf(fd);
        if (event) this.trackError(event.id, o.evsel.name, event.state === PerfEventState.ERROR, now);
        if (typeof r === 'number' || r.bytes === 0) return;
        const last = this.lastCounts[i][c];
        const cur = { value: r.values[0].value, enabled: r.time_enabled ?? 0, running: r.time_running ?? 0 };
        const dv = cur.value - last.value;
        const de = cur.enabled - last.enabled;
        const dr = cur.running - last.running;
        this.lastCounts[i][c] = cur;
        enabled += de;
        running += dr;
        const scaled = dr > 0 ? (dr < de ? Math.trunc((dv * de) / dr) : dv) : 0;
        value += scaled;
        const cpuTrack = this.cpuTracks[i]?.[c];
        if (cpuTrack) {
          cpuTrack.time.push(now);
          cpuTrack.value.push(scaled);
          cpuTrack.running.push(de > 0 ? dr / de : 0);
        }
      });
      const t = this.tracks[i];
      t.time.push(now);
      t.value.push(value);
      t.running.push(enabled > 0 ? running / enabled : 0);
    });
    const truth = this.truthNow();
    for (let e = 0; e < 2 * HW_EVENT_COUNT; e++) {
      const t = this.truthTracks[e];
      t.time.push(now);
      t.value.push(truth[e] - this.lastTruth[e]);
      t.running.push(1);
    }
    this.lastTruth = truth;
    this.cpuTruthTracks.forEach((tracks, i) => {
      const cur = this.truthNow([this.cpus[i]]);
      for (let e = 0; e < 2 * HW_EVENT_COUNT; e++) {
        tracks[e].time.push(now);
        tracks[e].value.push(cur[e] - this.lastCpuTruth[i][e]);
        tracks[e].running.push(1);
      }
      this.lastCpuTruth[i] = cur;
    });
  }

  private trackError(id: number, name: string, inError: boolean, now: number): void {
    const since = this.errorSince.get(id);
    if (inError && since === undefined) this.errorSince.set(id, now);
    if (!inError && since !== undefined) {
      this.errorMarkers.push({ name, start: since, end: now });
      this.errorSince.delete(id);
    }
  }

  /** The truth so far on the recorded CPUs: host contexts in [0, N), guest contexts in [N, 2N). */
  private truthNow(only?: readonly number[]): Float64Array<ArrayBuffer> {
    const out = new Float64Array(2 * HW_EVENT_COUNT);
    const cpus = only ?? (this.cpus[0] === -1 ? this.host.cpus.map((_, c) => c) : this.cpus);
    for (const c of cpus) {
      const truth = this.host.cpus[c].truth;
      for (let ctx = 0; ctx < HW_CONTEXTS; ctx++) {
        const side = ctx === ExecContext.GuestKernel || ctx === ExecContext.GuestUser ? HW_EVENT_COUNT : 0;
        for (let e = 0; e < HW_EVENT_COUNT; e++) out[side + e] += truth[ctx * HW_EVENT_COUNT + e];
      }
    }
    return out;
  }

  /** Stop, take the last records and build the profile. */
  finish(meta: { name: string; scenario?: string }): Profile {
    const now = this.host.now();
    // A run that ends on a poll has its last interval already: another point
    // there would be an empty interval, which reads as "never ran".
    if (now > this.lastPoll) this.poll(now);
    this.polling = false;
    for (const o of this.opened.evsels)
      if (evselIsGroupLeader(o.evsel)) for (const fd of o.fds) if (fd >= 0) this.host.perf.ioctl(fd, PerfIoc.DISABLE);
    this.drain();
    for (const [id, start] of this.errorSince) {
      const o = this.opened.evsels.find((e) => e.fds.some((fd) => this.host.perf.eventOf(fd)?.id === id));
      this.errorMarkers.push({ name: o?.evsel.name ?? 'event', start, end: now });
    }
    for (const { event, start } of this.kernelErrors) {
      const config = `r${event.attr.config.toString(16)}`;
      const owner = event.attr.exclude_host ? 'KVM guest counter' : 'kernel counter';
      this.errorMarkers.push({ name: `${owner} ${config} (pinned, task ${event.ctx.taskId ?? '-'})`, start, end: now });
    }
    for (const m of this.errorMarkers) this.writer.errorMarker(m);
    for (const t of this.host.timeline())
      if (t.start >= this.startTime) this.writer.timelineMarker(t, Math.min(Math.max(t.end, t.start), now));
    this.opened.evsels.forEach((o, i) => {
      if (!o.supported) return;
      this.writer.counter(track(o.evsel.name, i, scopeOf(o.evsel), this.tracks[i]));
    });
    // A host recording keeps what ran on the host and in its guests apart; a guest's is all guest.
    const self = this.host.machines.self !== null;
    HW_EVENT_NAMES.forEach((name, e) => {
      const host = this.truthTracks[e];
      const guest = this.truthTracks[HW_EVENT_COUNT + e];
      if (host.value.some((v) => v > 0)) this.writer.counter(track(`${name} (truth)`, -1, 'truth', host));
      if (guest.value.some((v) => v > 0))
        this.writer.counter(track(self ? `${name} (truth)` : `${name} (truth, guests)`, -1, 'truth', guest, self ? 1 : -1));
    });
    this.perCpuTracks(self);
    for (const v of this.host.vcpus()) {
      for (const run of v.guestRuns.between(this.startTime, now)) this.writer.guestRun(v, run);
      for (const b of v.spe) if (b.vcpu === v.index && b.end >= this.startTime && b.start < now) this.writer.speBlackout(v, b);
    }
    return this.writer.finish(meta);
  }

  /**
   * The same series per CPU, after every system-wide track: what a CPU's
   * host-only counter does while a guest holds that CPU (the mediated design
   * stops it). Truth per CPU only for the hardware events the evlist names.
   */
  private perCpuTracks(self: boolean): void {
    this.opened.evsels.forEach((o, i) => {
      if (!o.supported || !this.cpuTracks[i]) return;
      this.cpuTracks[i].forEach((t, c) => this.writer.counter(track(o.evsel.name, i, scopeOf(o.evsel), t, 0, this.cpus[c])));
    });
    const named = new Set(this.opened.evsels.map((o) => HW_EVENT_NAMES.indexOf(o.evsel.name.split(':')[0] as (typeof HW_EVENT_NAMES)[number])));
    this.cpuTruthTracks.forEach((tracks, c) => {
      for (const e of named) {
        if (e < 0) continue;
        const name = HW_EVENT_NAMES[e];
        const host = tracks[e];
        const guest = tracks[HW_EVENT_COUNT + e];
        const cpu = this.cpus[c];
        if (host.value.some((v) => v > 0)) this.writer.counter(track(`${name} (truth)`, -1, 'truth', host, 0, cpu));
        if (guest.value.some((v) => v > 0))
          this.writer.counter(track(self ? `${name} (truth)` : `${name} (truth, guests)`, -1, 'truth', guest, self ? 1 : -1, cpu));
      }
    });
  }

  get lostRecords(): number {
    return this.buffers.reduce((a, rb) => a + rb.totalLost, 0);
  }

  get sampleCount(): number {
    return this.writer.samples;
  }
}

function scopeOf(evsel: Evsel): CounterScope {
  const a = evsel.attr;
  return a.exclude_guest && !a.exclude_host ? 'host' : a.exclude_host && !a.exclude_guest ? 'guest' : 'both';
}

function track(name: string, event: number, scope: CounterScope, t: Track, machine = 0, cpu = -1) {
  return {
    name,
    event,
    scope,
    machine,
    cpu,
    unit: '',
    time: Float64Array.from(t.time),
    value: Float64Array.from(t.value),
    running: Float64Array.from(t.running),
  };
}
