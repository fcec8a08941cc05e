/**
 * The x86 mediated vPMU (merged for Linux 7.0): the guest's counters are the
 * hardware's while the vCPU is in the inner run loop. At load, perf takes
 * the host's exclude_guest events off the core PMU (their times stand still)
 * and KVM loads the guest's counters and selectors; at put it saves them and
 * the host's events return. Counter reads and writes are passed through;
 * selector writes are still intercepted. Guest PMIs arrive on their own
 * vector, exit, and are injected at the next entry.
 *
 * The price is the exclusion rules (kvm/kvm.ts: no vCPU while a host event
 * counts in guests — the NMI watchdog is one — and no such host event while
 * a mediated VM exists) and the switch at every entry and exit.
 */
import { contextMask } from '../../perf/cpu-pmu';
import { cpuPmuArchFor } from '../../perf/cpu-pmu-arch';
import type { PerfCore } from '../../perf/core';
import type { PerfEvent } from '../../perf/event';
import { is_sampling_event } from '../../perf/overflow';
import { PERF_EF_UPDATE } from '../../perf/pmu';
import type { Kernel } from '../../os/kernel';
import { ExecContext } from '../../../profile/model';
import type { PmuModel } from '../../hw/pmu-model';
import type { Vcpu } from '../vcpu';
import type { Vm } from '../vm';
import type { VpmuOps } from './design';
import { GuestCorePmu, guestModel, guestSetPeriod } from './guest-pmu';

/** Host time of kvm_mediated_pmu_load + put: save and restore every counter and selector. */
const SWITCH_COST_NS = 600;
const GUEST_CONTEXTS = (1 << ExecContext.GuestKernel) | (1 << ExecContext.GuestUser);
/** A counting event's counter is armed this far from its wrap (x86 max_period), to fold its count. */
const COUNTING_PERIOD = 2 ** 47 - 1;

interface GuestCounter {
  event: PerfEvent;
  /** A counting event's events left to its (folding) overflow; sampling events use hw.period_left. */
  left: number;
  enabled: boolean;
  /** The hardware snapshot at load, to fold what the guest counted at put or read. */
  snapshot: number;
}

/**
 * A guest PMU whose counters are hardware counters while loaded: all of them
 * (mediated, x86) or the guest's share of a partitioned PMU (arm64, see
 * partitioned.ts), reached through `hwIdx`.
 */
export class PassthroughGuestPmu extends GuestCorePmu {
  /** Guest counter state per vCPU, by counter index. */
  readonly counters: Map<number, GuestCounter>[];

  constructor(
    vm: Vm,
    private readonly kernel: Kernel,
    model: PmuModel,
    /** Guest counter index → hardware counter index. */
    private readonly hwIdx: (idx: number) => number,
    /** The host's PMU interrupt handler of each CPU, for overflows that are not the guest's. */
    private readonly hostHandlers: readonly (((now: number) => void) | null)[],
  ) {
    super(vm, cpuPmuArchFor(model), model);
    this.counters = vm.vcpus.map(() => new Map());
  }

  /** The selector write is intercepted (one exit); the counter write is not. */
  start(event: PerfEvent): void {
    if (!event.hw.stopped) return;
    event.hw.stopped = false;
    const vcpu = this.vm.vcpus[event.ctx.activeCpu];
    vcpu.exit('MSR_WRITE', 1, true);
    const c: GuestCounter = { event, left: COUNTING_PERIOD, enabled: true, snapshot: 0 };
    this.counters[vcpu.index].set(event.hw.idx, c);
    if (is_sampling_event(event)) guestSetPeriod(event.hw);
    if (vcpu.pcpu >= 0) this.loadCounter(vcpu.pcpu, c);
  }

  stop(event: PerfEvent, flags: number): void {
    if (event.hw.stopped) return;
    const vcpu = this.vm.vcpus[event.ctx.activeCpu];
    vcpu.exit('MSR_WRITE', 1, true);
    const c = this.counters[vcpu.index].get(event.hw.idx);
    event.hw.stopped = true;
    if (flags & PERF_EF_UPDATE) this.read(event);
    if (!c) return;
    if (vcpu.pcpu >= 0) this.unloadCounter(vcpu.pcpu, c);
    c.enabled = false;
  }

  /** RDPMC is passed through: no exit, the hardware's value while loaded. */
  read(event: PerfEvent): void {
    const vcpu = this.vm.vcpus[event.ctx.activeCpu];
    const c = this.counters[vcpu.index].get(event.hw.idx);
    if (!c || vcpu.pcpu < 0) return;
    this.kernel.syncCpu(vcpu.pcpu, this.kernel.now());
    this.fold(vcpu.pcpu, c);
  }

  load(vcpu: Vcpu, cpu: number): void {
    for (const c of this.counters[vcpu.index].values()) if (c.enabled) this.loadCounter(cpu, c);
    const hw = this.kernel.cpus[cpu];
    hw.pmiHandler = (now) => this.guestPmi(vcpu, cpu, now);
  }

  put(vcpu: Vcpu, cpu: number): void {
    // An overflow whose PMI has not arrived yet stays the guest's: its status is saved with the counters.
    this.collectOverflows(vcpu, cpu);
    for (const c of this.counters[vcpu.index].values()) if (c.enabled) this.unloadCounter(cpu, c);
    this.kernel.cpus[cpu].pmiHandler = this.hostHandlers[cpu] ?? null;
  }

  /**
   * The guest's counter into the hardware. With `setPeriod` (the guest's
   * driver arming it) a used-up period starts the next one; a plain restore
   * at VM-entry puts back exactly what was saved, an overflowed counter
   * included (its PMI is already pending).
   */
  private loadCounter(cpu: number, c: GuestCounter, setPeriod = false): void {
    const pmu = this.kernel.cpus[cpu].pmu;
    const e = c.event;
    const sampling = is_sampling_event(e);
    const left = sampling ? (setPeriod ? guestSetPeriod(e.hw) : e.hw.period_left) : c.left;
    const hw = this.hwIdx(e.hw.idx);
    // The filter clears ENABLE in the selector the hardware gets (eventsel_hw), not in the guest's.
    const enabled = this.filterAllows(e);
    pmu.program(hw, { event: e.hw.event, ctxMask: contextMask(e.attr) & GUEST_CONTEXTS, enabled, interrupt: true, globalEnabled: true });
    if (left > 0) pmu.writeNegated(hw, left);
    else pmu.write(hw, BigInt(-left));
    c.snapshot = pmu.snapshot(hw);
    this.kernel.cpus[cpu].rearm();
  }

  private unloadCounter(cpu: number, c: GuestCounter): void {
    this.fold(cpu, c);
    const pmu = this.kernel.cpus[cpu].pmu;
    pmu.program(this.hwIdx(c.event.hw.idx), { ctxMask: 0, enabled: false, interrupt: false });
    this.kernel.cpus[cpu].rearm();
  }

  private fold(cpu: number, c: GuestCounter): void {
    const pmu = this.kernel.cpus[cpu].pmu;
    const hw = this.hwIdx(c.event.hw.idx);
    const now = pmu.snapshot(hw);
    const span = 2 ** Math.min(pmu.counter(hw).width, 52);
    let delta = (((now - c.snapshot) % span) + span) % span;
    // A counter that reads lower than its snapshot was rewritten in between
    // (restored at entry), not advanced by 2^48 events: nothing was counted.
    if (delta > span / 2) delta = 0;
    c.snapshot = now;
    c.event.count += delta;
    if (is_sampling_event(c.event)) c.event.hw.period_left -= delta;
    else c.left -= delta;
  }

  /** PERF_GUEST_MEDIATED_PMI_VECTOR: a guest counter overflowed; exit and inject at re-entry. */
  /**
   * The guest's counters interrupt on their own vector (PERF_GUEST_MEDIATED_PMI_VECTOR
   * on x86): exit and inject at re-entry. Anything else that overflowed is the host's.
   */
  private guestPmi(vcpu: Vcpu, cpu: number, now: number): void {
    if (this.collectOverflows(vcpu, cpu)) {
      // /proc/interrupts: the guest's PMIs show up as VPMI, not as host NMIs.
      this.kernel.cpus[cpu].vpmiCount++;
      // An IRQ in guest mode: the vCPU exits for it and the PMI is injected at re-entry.
      vcpu.exitOnKick('EXTERNAL_INTERRUPT');
      this.kernel.kick(vcpu.tid);
    }
    // Whatever else overflowed belongs to the host's share (partitioning); with the
    // mediated design nothing of the host's is on the PMU now.
    if (this.kernel.cpus[cpu].pmu.overflowed().length > 0) this.hostHandlers[cpu]?.(now);
  }

  /** Take the guest's overflowed counters off the hardware status into its pending PMI. */
  private collectOverflows(vcpu: Vcpu, cpu: number): boolean {
    const pmu = this.kernel.cpus[cpu].pmu;
    let any = false;
    for (const c of this.counters[vcpu.index].values()) {
      const idx = this.hwIdx(c.event.hw.idx);
      if (!pmu.status[idx]) continue;
      pmu.ack(idx);
      this.fold(cpu, c);
      const event = c.event;
      if (!is_sampling_event(event)) {
        c.left = COUNTING_PERIOD;
        continue;
      }
      any = true;
      vcpu.pmiRaised(this.kernel.now());
      vcpu.pmiPending = true;
      vcpu.pmiWork.push(() => {
        // The guest's handler: update, set the next period, then perf_event_overflow.
        if (vcpu.pcpu >= 0) {
          this.fold(vcpu.pcpu, c);
          this.loadCounter(vcpu.pcpu, c, true);
        } else {
          guestSetPeriod(event.hw);
        }
        const stop = this.vm.guest.perf.overflow(event, vcpu.index, this.kernel.now());
        if (stop) this.stop(event, 0);
      });
    }
    return any;
  }
}

export function mediatedVpmu(hostPerf: PerfCore, kernel: Kernel): VpmuOps {
  const hostHandlers = kernel.cpus.map((c) => c.pmiHandler);
  const host = kernel.cpus[0].model;
  const guestPmu = (vm: Vm) => vm.guest.hwPmu as PassthroughGuestPmu | null;
  return {
    design: 'mediated',
    createGuestPmu: (vm) => new PassthroughGuestPmu(vm, kernel, guestModel(host, host.version), (i) => i, hostHandlers),
    load(vcpu, cpu, now) {
      hostPerf.perf_load_guest_context(cpu, now);
      guestPmu(vcpu.vm)?.load(vcpu, cpu);
    },
    put(vcpu, cpu, now) {
      guestPmu(vcpu.vm)?.put(vcpu, cpu);
      hostPerf.perf_put_guest_context(cpu, now);
    },
    trapsCounterReads: false,
    switchCostNs: SWITCH_COST_NS,
  };
}
