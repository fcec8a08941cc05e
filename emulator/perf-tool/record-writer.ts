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
import type { SpeBlackout } from '../kvm/arm64/guest-spe';
import type { GuestRun } from '../kvm/guest-runs';
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

/**
 * Who is who in the trace. A host recording sees guest code in guest mode
 * (symbols of a VM's space) on vCPU threads; a guest's own recording is all
 * the guest's, whose kernel and user code are guest contexts in the model.
 */
export interface RecordMachines {
  /** Set when the recording is a guest's own perf: its VM's name and VMM pid. */
  self: { name: string; pid: number } | null;
  /** The VM a symbol space belongs to (its VMM pid), for guest frames in a host recording. */
  vmOf(space: string): { name: string; pid: number } | undefined;
  /** The VM and vCPU index of a host thread that is a vCPU. */
  vcpuOf(tid: number): { name: string; pid: number; index: number } | undefined;
}

export class RecordWriter {
  private readonly b = new ProfileBuilder();
  private readonly frameOf = new Map<number, number>();
  private readonly threads = new Map<number, number>();
  /** Callchains are shared by every sample of one path (the kernel caches them per burst): fold each once. */
  private readonly stackOfChain = new Map<Int32Array, number>();
  private readonly throttledAt = new Map<string, number>();
  samples = 0;

  private readonly selfMachine: number;

  constructor(
    private readonly symbols: SymbolTable,
    private readonly comm: (pid: number, tid: number) => string,
    /** Kernel event id → evlist index (the profile's event index). */
    private readonly eventOfId: Map<number, number>,
    private readonly machines: RecordMachines,
  ) {
    const self = machines.self;
    this.selfMachine = self ? this.b.machine(self.name, 'guest', self.pid) : 0;
  }

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
      const mode = r.misc & 7;
      const inGuest = mode === 4 || mode === 5;
      const vcpu = inGuest ? this.machines.vcpuOf(r.tid) : undefined;
      // perf files guest-mode samples under the guest machine's pseudo-thread [guest/<pid>].
      const key = vcpu ? -r.pid - 1 : r.tid;
      let thread = this.threads.get(key);
      if (thread === undefined) {
        thread = vcpu
          ? b.thread(`[guest/${vcpu.pid}]`, vcpu.pid, vcpu.pid, b.machine(vcpu.name, 'guest', vcpu.pid))
          : b.thread(this.comm(r.pid, r.tid), r.pid, r.tid, this.selfMachine);
        this.threads.set(key, thread);
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
      }
      // No callchain, or one of context markers only (a guest-mode sample seen from the
      // host): the sampled IP is the one frame perf shows.
      if (stack < 0 && r.ip >= 0) stack = b.stack(-1, this.frame(r.ip));
      b.sample({
        stack,
        time: r.time,
        weight: r.period,
        event: this.eventOfId.get(r.id) ?? 0,
        cpu: r.cpu,
        thread,
        vcpu: vcpu ? vcpu.index : this.machines.self ? r.cpu : -1,
        context: this.context(mode),
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

  /** A migration or a pause of a VM, over the time its vCPUs did not run. */
  timelineMarker(t: { vm: string; action: string; start: number }, end: number): void {
    const vm = this.machines.vmOf(t.vm);
    const machine = vm ? this.b.machine(vm.name, 'guest', vm.pid) : 0;
    this.b.marker({ name: `${t.action} ${t.vm}`, kind: MarkerKind.Migration, start: t.start, end, machine });
  }

  /** A vCPU's merged stretch of guest mode; `name` is the exit reason that ended it. */
  guestRun(v: { vm: string; pid: number; index: number }, run: GuestRun): void {
    const machine = this.b.machine(v.vm, 'guest', v.pid);
    const data = `{"exits":${run.exits}}`;
    this.b.marker({ name: run.reason, kind: MarkerKind.GuestRun, start: run.start, end: run.end, machine, cpu: run.cpu, vcpu: v.index, data });
  }

  /** A time the vCPU's SPE unit wrote nothing (its buffer full, or a stage-2 fault on it). */
  speBlackout(v: { vm: string; pid: number; index: number }, b: SpeBlackout): void {
    const machine = this.b.machine(v.vm, 'guest', v.pid);
    const data = `{"lost":${b.lost}}`;
    this.b.marker({ name: `SPE ${b.kind}: ${b.lost} records lost`, kind: MarkerKind.Other, start: b.start, end: b.end, machine, vcpu: v.index, data });
  }

  counter(track: CounterTrack): void {
    this.b.counter(track);
  }

  finish(meta: { name: string; scenario?: string }): Profile {
    const profile = this.b.build({ name: meta.name, source: 'guestperf-record', weightUnit: 'events' });
    if (meta.scenario !== undefined) profile.scenario = meta.scenario;
    return profile;
  }

  /** A sample's context: a guest's own recording sees its kernel and user as guest contexts. */
  private context(cpumode: number): ExecContext {
    const ctx = CPUMODE_CONTEXT[cpumode] ?? ExecContext.Unknown;
    if (!this.machines.self) return ctx;
    if (ctx === ExecContext.HostKernel) return ExecContext.GuestKernel;
    if (ctx === ExecContext.HostUser) return ExecContext.GuestUser;
    return ctx;
  }

  private frame(sym: number): number {
    let f = this.frameOf.get(sym);
    if (f === undefined) {
      const s = this.symbols.get(sym);
      f = this.b.frame(s.name, this.dsoOf(s.space, s.dso, s.kernel), this.frameContext(s.space, s.dso, s.kernel));
      this.frameOf.set(sym, f);
    }
    return f;
  }

  /** perf names a guest's kernel map [guest.kernel.kallsyms.<pid>] in a host recording. */
  private dsoOf(space: string, dso: string, kernel: boolean): string {
    const vm = space && !this.machines.self ? this.machines.vmOf(space) : undefined;
    return vm && kernel ? `[guest.kernel.kallsyms.${vm.pid}]` : dso;
  }

  private frameContext(space: string, dso: string, kernel: boolean): ExecContext {
    if (space !== '') return kernel ? ExecContext.GuestKernel : ExecContext.GuestUser;
    // KVM's modules are the hypervisor: host code running for a guest.
    if (kernel && /^\[kvm/.test(dso)) return ExecContext.Hypervisor;
    return kernel ? ExecContext.HostKernel : ExecContext.HostUser;
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
