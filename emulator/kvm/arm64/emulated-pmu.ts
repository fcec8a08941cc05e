/**
 * The arm64 emulated vPMU driven by register accesses: the guest's
 * arm_pmuv3 driver programs its counters by writing PMEVCNTR, PMEVTYPER,
 * PMINTENSET and PMCNTENSET; every access traps to KVM
 * (kvm_handle_sys_reg) and goes through the vCPU's KvmPmu (pmu-emul.ts),
 * whose answer — the counters whose backing event must be recreated — is
 * what KVM does with host perf events (kvm_pmu_create_perf_event: release
 * the old event, fold its count into the shadow, open a pinned
 * exclude_host event with the period to the counter's wrap).
 *
 * An overflow of a backing event is kvm_pmu_perf_overflow: PMOVSSET,
 * chaining into a CHAIN neighbour, and, when PMOVSSET & PMINTENSET is
 * non-zero under PMCR.E, the PMU PPI raised — a level the guest's handler
 * lowers by clearing PMOVS. Event counters are 32 bits wide below
 * PMUv3p5: a counting event takes a PPI at every 2^31 events to fold its
 * count, as on hardware, and one that is not handled in time wraps.
 */
import type { PmuModel } from '../../hw/pmu-model';
import type { Kernel } from '../../os/kernel';
import { cpuPmuArchFor } from '../../perf/cpu-pmu-arch';
import type { PerfCore } from '../../perf/core';
import type { PerfEvent } from '../../perf/event';
import { is_sampling_event } from '../../perf/overflow';
import { PERF_EF_UPDATE } from '../../perf/pmu';
import { GuestCorePmu, guestSetPeriod } from '../vpmu/guest-pmu';
import type { Vm } from '../vm';
import {
  ARMV8_PMU_CYCLE_IDX,
  ARMV8_PMU_EXCLUDE_EL0,
  ARMV8_PMU_EXCLUDE_EL1,
  ARMV8_PMU_PMCR_C,
  ARMV8_PMU_PMCR_E,
  ARMV8_PMU_PMCR_LC,
  ARMV8_PMU_PMCR_P,
  ID_AA64DFR0_EL1_PMUVer,
  KvmPmu,
} from './pmu-emul';
import type { ArmVmPmuCtl } from './pmu-v3-ctrl';

/** What one vCPU's KVM holds: its PMU registers and the backing event of each counter. */
interface VcpuPmu {
  regs: KvmPmu;
  backing: Map<number, PerfEvent>;
  /** The guest driver's prev_count of each counter it runs, as the register read. */
  prev: Map<number, bigint>;
  /** A PPI is raised and its handler queued for the next entry. */
  ppiQueued: boolean;
}

export class ArmEmulatedGuestPmu extends GuestCorePmu {
  private readonly vcpuPmus: VcpuPmu[];
  /** Backing events KVM created (kvm_pmu_create_perf_event), over the run. */
  reprograms = 0;
  /** PMU PPIs injected into the guest. */
  ppis = 0;

  constructor(
    vm: Vm,
    ctl: ArmVmPmuCtl,
    private readonly hostPerf: PerfCore,
    private readonly kernel: Kernel,
  ) {
    const host = kernel.cpus[0].model;
    const wide = ctl.pmuver >= ID_AA64DFR0_EL1_PMUVer.V3P5;
    const model: PmuModel = { ...host, gpCounters: ctl.pmcrN, gpWidth: wide ? 64 : 32, maxPrecise: 0 };
    super(vm, cpuPmuArchFor(model), model);
    this.vcpuPmus = vm.vcpus.map(() => ({ regs: new KvmPmu(ctl), backing: new Map(), prev: new Map(), ppiQueued: false }));
    // The guest driver's armv8pmu_reset and first enable, at boot: counters reset, 64-bit cycle overflow, E.
    for (const p of this.vcpuPmus) p.regs.handlePmcr(ARMV8_PMU_PMCR_P | ARMV8_PMU_PMCR_C | ARMV8_PMU_PMCR_LC | ARMV8_PMU_PMCR_E, () => 0n);
  }

  /** armpmu_start: write the counter for the period, then armv8pmu_enable_event's type, IRQ and enable. */
  start(event: PerfEvent): void {
    if (!event.hw.stopped) return;
    event.hw.stopped = false;
    const v = event.ctx.activeCpu;
    const idx = event.hw.idx;
    this.writeCounter(v, event);
    let evtyper = event.context as bigint;
    if (event.attr.exclude_user) evtyper |= ARMV8_PMU_EXCLUDE_EL0;
    if (event.attr.exclude_kernel) evtyper |= ARMV8_PMU_EXCLUDE_EL1;
    const bit = 1n << BigInt(idx);
    this.trap(v, 'MSR_WRITE', (r) => r.setCounterEventType(idx, evtyper));
    this.trap(v, 'MSR_WRITE', (r) => r.writeReg('PMINTENSET_EL1', bit));
    this.trap(v, 'MSR_WRITE', (r) => r.writeReg('PMCNTENSET_EL0', bit));
  }

  /** armv8pmu_disable_event, then armpmu_event_update when asked. */
  stop(event: PerfEvent, flags: number): void {
    if (event.hw.stopped) return;
    const v = event.ctx.activeCpu;
    const bit = 1n << BigInt(event.hw.idx);
    this.trap(v, 'MSR_WRITE', (r) => r.writeReg('PMCNTENCLR_EL0', bit));
    this.trap(v, 'MSR_WRITE', (r) => r.writeReg('PMINTENCLR_EL1', bit));
    event.hw.stopped = true;
    if (flags & PERF_EF_UPDATE) this.read(event);
  }

  /** armpmu_event_update: the counter read traps; the delta is taken at the counter's width. */
  read(event: PerfEvent): void {
    const v = event.ctx.activeCpu;
    const idx = event.hw.idx;
    const p = this.vcpuPmus[v];
    const prev = p.prev.get(idx);
    if (prev === undefined) return;
    this.vm.vcpus[v].exit('RDPMC', 1, true);
    const now = p.regs.readCounter(idx, this.live(p, idx));
    const delta = Number((now - prev) & this.mask(idx));
    p.prev.set(idx, now);
    event.count += delta;
    event.hw.period_left -= delta;
  }

  /** armpmu_event_set_period: -left at the counter's width (at most half its range), as prev_count. */
  private writeCounter(v: number, event: PerfEvent): void {
    const idx = event.hw.idx;
    const maxPeriod = this.arch.maxPeriod(this.width(idx));
    const left = Math.min(is_sampling_event(event) ? guestSetPeriod(event.hw) : maxPeriod, maxPeriod);
    const value = -BigInt(left) & this.mask(idx);
    this.trap(v, 'MSR_WRITE', (r, live) => r.setCounterValue(idx, value, live(idx)));
    this.vcpuPmus[v].prev.set(idx, value);
  }

  /**
   * One trapped access: KVM runs the register's handler and recreates the
   * backing event of every counter it names.
   */
  private trap(v: number, reason: 'MSR_WRITE' | 'MSR_READ', access: (regs: KvmPmu, live: (idx: number) => bigint) => number[]): void {
    this.vm.vcpus[v].exit(reason, 1, true);
    const p = this.vcpuPmus[v];
    for (const idx of access(p.regs, (i) => this.live(p, i))) this.kvm_pmu_create_perf_event(v, idx);
  }

  /** The old event's count goes into the shadow; a new one opens when the counter counts. */
  private kvm_pmu_create_perf_event(v: number, idx: number): void {
    const p = this.vcpuPmus[v];
    p.regs.stopCounter(idx, this.live(p, idx));
    const old = p.backing.get(idx);
    if (old) this.hostPerf.perf_event_release_kernel(old);
    p.backing.delete(idx);
    // SW_INCR, CHAIN and filtered events get no event; a disabled counter does not count.
    const attr = p.regs.perfAttr(idx);
    if (!attr || attr.disabled) return;
    const host = this.hostPerf.perf_event_create_kernel_counter(attr, -1, this.vm.vcpus[v].tid, () => this.kvm_pmu_perf_overflow(v, idx));
    this.reprograms++;
    // A host that refuses the event leaves the guest counter stopped at its shadow.
    if (typeof host !== 'number') p.backing.set(idx, host);
  }

  /** The backing event reached the counter's wrap: PMOVSSET, the next wrap's period, the PPI level. */
  private kvm_pmu_perf_overflow(v: number, idx: number): void {
    const p = this.vcpuPmus[v];
    const host = p.backing.get(idx);
    if (!host) return;
    const period = p.regs.pmcOverflow(idx, this.live(p, idx));
    this.hostPerf.setPeriod(host, Number(period));
    if (!p.regs.updateState() || p.ppiQueued) return;
    p.ppiQueued = true;
    const vcpu = this.vm.vcpus[v];
    vcpu.pmiPending = true;
    vcpu.pmiWork.push(() => this.armv8pmu_handle_irq(v));
    this.kernel.kick(vcpu.tid);
  }

  /**
   * The guest's PPI handler: read and clear PMOVS (which lowers the line),
   * then for each overflowed counter update its count, write the next
   * period and hand the sample to the guest's perf.
   */
  private armv8pmu_handle_irq(v: number): void {
    const p = this.vcpuPmus[v];
    p.ppiQueued = false;
    this.ppis++;
    let ovs = 0n;
    this.trap(v, 'MSR_READ', (r) => ((ovs = r.readReg('PMOVSSET_EL0')), []));
    this.trap(v, 'MSR_WRITE', (r) => r.writeReg('PMOVSCLR_EL0', ovs));
    p.regs.updateState();
    for (const event of this.assigned[v]) {
      if (!event || event.hw.stopped || !(ovs & (1n << BigInt(event.hw.idx)))) continue;
      this.read(event);
      this.writeCounter(v, event);
      if (is_sampling_event(event) && this.vm.guest.perf.overflow(event, v, this.kernel.now())) this.stop(event, 0);
    }
  }

  private live(p: VcpuPmu, idx: number): bigint {
    const host = p.backing.get(idx);
    return host ? BigInt(this.hostPerf.readEvent(host).value) : 0n;
  }

  private width(idx: number): number {
    return idx === ARMV8_PMU_CYCLE_IDX ? 64 : this.model.gpWidth;
  }

  private mask(idx: number): bigint {
    return (1n << BigInt(this.width(idx))) - 1n;
  }
}
