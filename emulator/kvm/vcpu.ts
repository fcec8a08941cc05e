/**
 * A vCPU: a host thread (QEMU's "CPU n/KVM") whose bursts are the KVM run
 * loop. It alternates guest code in guest mode (the guest kernel's threads
 * on this vCPU, each a ProgramRunner with guest contexts) with the host-side
 * handling of the VM-exits that code caused, each in KVM's own stacks (or in
 * the VMM's user space for I/O). A vCPU with nothing to run executes HLT:
 * the host thread blocks in kvm_vcpu_halt until a guest thread wakes.
 *
 * Around every stretch of guest mode the vPMU design's load/put runs (the
 * mediated design's context switch), a pending virtual PMI is injected at
 * entry (at most one per exit), and the guest's timer tick becomes an exit
 * and a tick of the guest's own perf core.
 */
import { ExecContext } from '../../profile/model';
import { HW_CONTEXTS } from '../hw/cpu';
import { HW_EVENT_COUNT } from '../hw/events';
import type { BurstPlan, BurstSource, ExecTag } from '../os/burst-source';
import type { ProgramRunner } from '../os/program-runner';
import type { Rng } from '../sim/random';
import { TICK_NSEC } from '../perf/sysctl';
import { type ExitReason, exitCost, type ExitTags } from './exits';
import { GuestRunLog } from './guest-runs';
import { PmiSkidLog } from './pmi-skid';
import type { Vm } from './vm';

/** A guest kernel thread placement: one thread of a guest workload, on this vCPU. */
export interface GuestThread {
  runner: ProgramRunner;
  comm: string;
  /** Runnable again at this time. */
  wakeAt: number;
}

export interface ExitStats {
  count: number;
  totalNs: number;
  minNs: number;
  maxNs: number;
  /** Sum of squares, for perf kvm stat's ( +- x% ). */
  sumSq: number;
  /** Those the vPMU caused (counter and PMU register accesses, PMI kicks, PV perf calls), and their time. */
  pmuCount: number;
  pmuNs: number;
}

/** An exit waiting to be handled, and whether the vPMU caused it. */
interface PendingExit {
  reason: ExitReason;
  pmu: boolean;
}

const HLT_EXIT: PendingExit = { reason: 'HLT', pmu: false };
const HOST_INTERRUPT_EXIT: PendingExit = { reason: 'EXTERNAL_INTERRUPT', pmu: false };

export class Vcpu implements BurstSource {
  /** The guest's own ground truth on this vCPU, by (guest) context and event. */
  readonly truth = new Float64Array(HW_CONTEXTS * HW_EVENT_COUNT);
  readonly threads: GuestThread[] = [];
  /** VM-exits by reason, and those the PMU caused (MSR/RDPMC accesses, PMIs). */
  readonly exits = new Map<ExitReason, ExitStats>();
  pmuExits = 0;
  /** Its stretches of guest mode, for the timeline's guest-run markers. */
  readonly guestRuns = new GuestRunLog();
  /** Host time spent for this vCPU outside guest mode (exit handling, PMU switching), ns. */
  hostNs = 0;
  /** The physical CPU it is on in guest mode, -1 otherwise. */
  pcpu = -1;
  /** The guest code the vCPU runs (or last ran): what guest perf samples see. */
  guestTag: ExecTag | null = null;
  /** The VMM holds the vCPU out of KVM_RUN until then (migration, pause; Infinity once stopped). */
  pausedUntil = 0;
  /** A virtual PMI waits for the next VM-entry. */
  pmiPending = false;
  /** Guest-side overflow handlers to run at injection (the guest's PMI handler). */
  readonly pmiWork: (() => void)[] = [];
  /** When each injected PMI was raised and injected, and in which guest code: its skid. */
  readonly pmiSkid = new PmiSkidLog();
  /** The exit the coming kick is (a PMI taken in guest mode), null for a plain interrupt. */
  private kickExit: ExitReason | null = null;
  /** The guest burst such an exit cut short, resumed at the entry after KVM handled it. */
  private resumeBurst: { tag: ExecTag; thread: GuestThread | null; remaining: number } | null = null;
  private readonly resumeRates = new Float64Array(7);
  private readonly pending: PendingExit[] = [];
  private readonly plan: BurstPlan;
  private inGuest = false;
  private guestSince = 0;
  private guestClock = 0;
  private nextGuestTick = TICK_NSEC;
  private rr = 0;
  private currentThread: GuestThread | null = null;

  constructor(
    readonly vm: Vm,
    readonly index: number,
    readonly tid: number,
    readonly tags: ExitTags,
    private readonly rng: Rng,
  ) {
    this.plan = { tag: tags.inGuest, rates: new Float64Array(7), durationNs: 0, sleepNs: 0, faultsPerMs: 0, truth: null };
  }

  /** Queue VM-exits the guest caused (they are handled before the next entry). */
  exit(reason: ExitReason, count = 1, pmu = false): void {
    for (let i = 0; i < count; i++) this.pending.push({ reason, pmu });
    if (pmu) this.pmuExits += count;
  }

  next(_cpu: number, now: number): BurstPlan {
    const plan = this.plan;
    plan.truth = null;
    plan.faultsPerMs = 0;
    plan.sleepNs = 0;
    const first = this.pending.shift();
    if (first) return this.handleExit(first, 0);
    const resume = this.resumeBurst;
    if (resume && now >= this.pausedUntil) {
      this.resumeBurst = null;
      this.currentThread = resume.thread;
      this.guestTag = resume.tag;
      plan.tag = resume.tag;
      plan.rates.set(this.resumeRates);
      plan.durationNs = resume.remaining;
      plan.truth = this.truth;
      return plan;
    }
    if (now < this.pausedUntil) {
      // Out of KVM_RUN: the vCPU thread waits in QEMU until the VM runs again.
      plan.tag = this.tags.paused;
      plan.rates.set(this.vm.hostRates);
      plan.durationNs = 1_000;
      plan.sleepNs = Number.isFinite(this.pausedUntil) ? Math.max(1, this.pausedUntil - now - plan.durationNs) : 2 ** 52;
      return plan;
    }
    const thread = this.pickThread(now);
    if (!thread) {
      const wake = Math.min(...this.threads.map((t) => t.wakeAt));
      this.handleExit(HLT_EXIT, 0);
      plan.sleepNs = Number.isFinite(wake) ? Math.max(1, wake - now - plan.durationNs) : 1_000_000_000;
      return plan;
    }
    const guest = thread.runner.next();
    this.currentThread = thread;
    this.guestTag = guest.tag;
    plan.tag = guest.tag;
    plan.rates.set(guest.rates);
    plan.durationNs = guest.durationNs;
    plan.faultsPerMs = 0;
    plan.truth = this.truth;
    // The guest thread blocks after this burst; the vCPU stays with its other threads.
    thread.wakeAt = guest.sleepNs > 0 ? now + guest.durationNs + guest.sleepNs : now;
    return plan;
  }

  onRun(cpu: number, now: number): void {
    if (this.plan.truth === null) return;
    this.inGuest = true;
    this.pcpu = cpu;
    this.guestSince = now;
    this.guestRuns.entry(cpu, now);
    this.vm.vpmu.load(this, cpu, now);
    // At most one virtual PMI per VM-exit: whatever overflowed since is handled together.
    if (this.pmiPending) {
      this.pmiPending = false;
      this.pmiSkid.inject(now, this.guestTag);
      const work = this.pmiWork.splice(0);
      for (const w of work) w();
    }
  }

  onStop(cpu: number, now: number, interrupted: boolean): void {
    if (!this.inGuest) return;
    this.inGuest = false;
    this.guestRuns.exit(now);
    // A host interrupt in guest mode exits first; the interrupt itself is the host's work.
    if (interrupted && this.kickExit) this.exitForPmi(this.kickExit);
    else if (interrupted) this.count(HOST_INTERRUPT_EXIT);
    this.vm.vpmu.put(this, cpu, now);
    this.pcpu = -1;
    const ran = now - this.guestSince;
    this.guestClock += ran;
    this.afterGuest(ran, now);
  }

  /** A virtual PMI was requested now: the overflow side of its skid. */
  pmiRaised(now: number): void {
    this.pmiSkid.raise(now, this.guestTag);
  }

  /** The next kick is a PMI taken in guest mode, which exits with `reason` (EXCEPTION_NMI, or the mediated vector's interrupt). */
  exitOnKick(reason: ExitReason): void {
    this.kickExit = reason;
  }

  /**
   * KVM handles the PMI's exit before the guest runs again: the guest burst
   * it cut short waits (same code, the rest of its time) behind the exit
   * handling, and the virtual PMI is injected at that entry.
   */
  private exitForPmi(reason: ExitReason): void {
    this.kickExit = null;
    this.pending.unshift({ reason, pmu: true });
    this.pmuExits++;
    const task = this.vm.host.tasks.get(this.tid);
    if (!task?.tag || task.remaining <= 0) return;
    this.resumeBurst = { tag: task.tag, thread: this.currentThread, remaining: task.remaining };
    this.resumeRates.set(task.rates);
    task.remaining = 0;
  }

  /** The guest's run stops at an exit: timer ticks it passed, counter reads that trapped, I/O. */
  private afterGuest(ran: number, now: number): void {
    while (this.guestClock >= this.nextGuestTick) {
      this.nextGuestTick += TICK_NSEC;
      this.exit(this.tags.frames.timerExit);
      this.vm.guest.tick(this.index, now);
    }
    this.vm.spe?.afterGuest(this, ran, now);
    const runner = this.currentThread?.runner;
    if (!runner) return;
    const reads = Math.floor((ran / 1000) * runner.pmuReadsPerUs);
    if (reads > 0 && this.vm.vpmu.trapsCounterReads) this.exit('RDPMC', reads, true);
    if (runner.leafKicksDevice) this.exit('IO_INSTRUCTION');
  }

  private handleExit(first: PendingExit, extra: number): BurstPlan {
    const plan = this.plan;
    const reason = first.reason;
    // Consecutive exits of one reason are handled in one burst, each with its own cost.
    let total = this.count(first);
    while (this.pending[0]?.reason === reason) total += this.count(this.pending.shift()!);
    plan.tag = this.tags.tag(reason);
    plan.rates.set(this.vm.hostRates);
    plan.durationNs = Math.round(total) + extra;
    this.hostNs += plan.durationNs;
    return plan;
  }

  /**
   * One exit's handling time: the reason's typical cost (plus the design's
   * PMU switch) with a long tail, as cache state and contention make it.
   */
  private count({ reason, pmu }: PendingExit): number {
    this.guestRuns.handled(this.tags.frames.exitName(reason));
    const typical = exitCost(reason) + this.vm.vpmu.switchCostNs;
    const each = typical * (0.6 + this.rng.exponential(0.4));
    const s = this.exits.get(reason) ?? { count: 0, totalNs: 0, minNs: Infinity, maxNs: 0, sumSq: 0, pmuCount: 0, pmuNs: 0 };
    s.count++;
    s.totalNs += each;
    if (pmu) {
      s.pmuCount++;
      s.pmuNs += each;
    }
    s.minNs = Math.min(s.minNs, each);
    s.maxNs = Math.max(s.maxNs, each);
    s.sumSq += each * each;
    this.exits.set(reason, s);
    return each;
  }

  private pickThread(now: number): GuestThread | null {
    const n = this.threads.length;
    for (let i = 0; i < n; i++) {
      const t = this.threads[(this.rr + i) % n];
      if (t.wakeAt <= now) {
        this.rr = (this.rr + i + 1) % n;
        return t;
      }
    }
    return null;
  }

  /** The host code under a host interrupt taken in guest mode: KVM's run loop, after the exit. */
  hostTag(tag: ExecTag): ExecTag {
    return tag.ctx === ExecContext.GuestKernel || tag.ctx === ExecContext.GuestUser ? this.tags.tag('EXTERNAL_INTERRUPT') : tag;
  }

  get running(): boolean {
    return this.inGuest;
  }
}
