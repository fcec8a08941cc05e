/**
 * perf record's output side: ring-buffer records become profile rows as they
 * are drained (the way perf record writes perf.data as it goes), so a long
 * recording never holds its records in memory. Samples keep the execution
 * context of their cpumode; throttle and lost records become markers.
 */
import { ProfileBuilder } from '../../profile/builder';
import { type CounterTrack, ExecContext, MarkerKind, type Profile } from '../../profile/model';
import { PERF_RECORD_LOST, PERF_RECORD_SAMPLE, PERF_RECORD_THROTTLE, PERF_RECORD_UNTHROTTLE, type PerfRecord } from '../perf/records';
import type { SymbolTable } from '../os/symbols';
import type { Evsel } from './evsel';

/** misc & 7 → where the sampled code ran. */
const CPUMODE_CONTEXT: readonly ExecContext[] = [
  ExecContext.Unknown,
  ExecContext.HostKernel,
  ExecContext.HostUser,
  ExecContext.Hypervisor,
  ExecContext.GuestKernel,
  ExecContext.GuestUser,
];

export class RecordWriter {
  private readonly b = new ProfileBuilder();
  private readonly frameOf = new Map<number, number>();
  private readonly threads = new Map<number, number>();
  /** Callchains are shared by every sample of one path (the kernel caches them per burst): fold each once. */
  private readonly stackOfChain = new Map<Int32Array, number>();
  private readonly throttledAt = new Map<string, number>();
  samples = 0;

  constructor(
    private readonly symbols: SymbolTable,
    private readonly comm: (pid: number, tid: number) => string,
    /** Kernel event id → evlist index (the profile's event index). */
    private readonly eventOfId: Map<number, number>,
  ) {}

  /** Declare the evlist's events, in order, before any record. */
  event(evsel: Evsel): void {
    const a = evsel.attr;
    this.b.event(evsel.name, {
      exclude_guest: a.exclude_guest,
      exclude_host: a.exclude_host,
      exclude_user: a.exclude_user,
      exclude_kernel: a.exclude_kernel,
      exclude_hv: a.exclude_hv,
      attr: attrSummary(evsel),
    });
  }

  record(r: PerfRecord): void {
    const b = this.b;
    if (r.type === PERF_RECORD_SAMPLE) {
      let thread = this.threads.get(r.tid);
      if (thread === undefined) {
        thread = b.thread(this.comm(r.pid, r.tid), r.pid, r.tid);
        this.threads.set(r.tid, thread);
      }
      let stack = -1;
      const chain = r.callchain;
      if (chain) {
        const known = this.stackOfChain.get(chain);
        if (known !== undefined) stack = known;
        else {
          for (let i = chain.length - 1; i >= 0; i--) if (chain[i] >= 0) stack = b.stack(stack, this.frame(chain[i]));
          this.stackOfChain.set(chain, stack);
        }
      } else if (r.ip >= 0) {
        stack = b.stack(-1, this.frame(r.ip));
      }
      b.sample({
        stack,
        time: r.time,
        weight: r.period,
        event: this.eventOfId.get(r.id) ?? 0,
        cpu: r.cpu,
        thread,
        vcpu: -1,
        context: CPUMODE_CONTEXT[r.misc & 7] ?? ExecContext.Unknown,
      });
      this.samples++;
    } else if (r.type === PERF_RECORD_THROTTLE) {
      this.throttledAt.set(`${r.id}/${r.cpu}`, r.time);
    } else if (r.type === PERF_RECORD_UNTHROTTLE) {
      const key = `${r.id}/${r.cpu}`;
      const start = this.throttledAt.get(key);
      if (start === undefined) return;
      this.throttledAt.delete(key);
      b.marker({ name: 'throttled', kind: MarkerKind.Throttle, start, end: r.time, cpu: r.cpu });
    } else if (r.type === PERF_RECORD_LOST) {
      b.marker({ name: `lost ${r.lost} records`, kind: MarkerKind.Lost, start: r.time, data: String(r.lost) });
    }
  }

  errorMarker(m: { name: string; start: number; end: number }): void {
    this.b.marker({ name: `${m.name}: ERROR`, kind: MarkerKind.EventError, start: m.start, end: m.end });
  }

  counter(track: CounterTrack): void {
    this.b.counter(track);
  }

  finish(meta: { name: string; scenario?: string }): Profile {
    const profile = this.b.build({ name: meta.name, source: 'guestperf-record', weightUnit: 'events' });
    if (meta.scenario !== undefined) profile.scenario = meta.scenario;
    return profile;
  }

  private frame(sym: number): number {
    let f = this.frameOf.get(sym);
    if (f === undefined) {
      const s = this.symbols.get(sym);
      f = this.b.frame(s.name, s.dso, s.kernel ? ExecContext.HostKernel : ExecContext.HostUser);
      this.frameOf.set(sym, f);
    }
    return f;
  }
}

/** The attr fields a trace keeps for each event (as `perf evlist -v` would show them). */
function attrSummary(evsel: Evsel): Record<string, string> {
  const a = evsel.attr;
  const out: Record<string, string> = {
    type: String(a.type),
    config: `0x${a.config.toString(16)}`,
    [a.freq ? 'sample_freq' : 'sample_period']: a.freq ? String(a.sample_freq) : String(a.sample_period),
  };
  if (a.precise_ip) out.precise_ip = String(a.precise_ip);
  return out;
}
