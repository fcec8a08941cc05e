/**
 * The legacy x86 vPMU driven by the guest's registers (arch/x86/kvm/pmu.c):
 * the guest's perf driver programs a counter as Linux's x86 driver does —
 * WRMSR of the counter (-period), WRMSR of its selector with ENABLE and INT
 * (or its FIXED_CTR_CTRL field) — and reads it with RDPMC. Every access
 * exits; KVM's handler updates the vCPU's struct kvm_pmu (x86/vpmu-regs.ts),
 * which queues the counters to reprogram, and before the entry that follows
 * (KVM_REQ_PMU) each queued counter's backing host perf event is paused,
 * resumed with a new period or recreated (x86/pmc.ts reprogramCounter).
 *
 * A backing event's overflow is kvm_perf_overflow: the counter's
 * GLOBAL_STATUS bit, and KVM_REQ_PMI if its INT bit is set. The host took
 * that overflow as an NMI in guest mode, so the vCPU exits (EXCEPTION_NMI);
 * the PMI is delivered through the virtual LVTPC at the next entry, at most
 * one per exit, and not at all while LVTPC is masked (x86/lvtpc.ts). The
 * guest's handler then reads GLOBAL_STATUS, updates and re-arms each
 * overflowed counter, acks, and unmasks LVTPC — each one more exit.
 */
import type { PerfCore } from '../../perf/core';
import { cpuPmuArchFor } from '../../perf/cpu-pmu-arch';
import type { PerfEvent } from '../../perf/event';
import { is_sampling_event } from '../../perf/overflow';
import { PERF_EF_UPDATE } from '../../perf/pmu';
import type { Kernel } from '../../os/kernel';
import type { PmuModel } from '../../hw/pmu-model';
import type { ExitReason } from '../exits';
import type { Vcpu } from '../vcpu';
import type { Vm } from '../vm';
import { check_pmu_event_filter } from '../x86/event-filter';
import { APIC_DM_NMI, PmiInjector, VirtualLvtpc } from '../x86/lvtpc';
import {
  ARCH_PERFMON_EVENTSEL_ENABLE,
  ARCH_PERFMON_EVENTSEL_INT,
  ARCH_PERFMON_EVENTSEL_OS,
  ARCH_PERFMON_EVENTSEL_USR,
  INTEL_FIXED_0_ENABLE_PMI,
  INTEL_FIXED_0_KERNEL,
  INTEL_FIXED_0_USER,
  INTEL_FIXED_BITS_STRIDE,
  MSR_AMD64_PERF_CNTR_GLOBAL_CTL,
  MSR_AMD64_PERF_CNTR_GLOBAL_STATUS,
  MSR_AMD64_PERF_CNTR_GLOBAL_STATUS_CLR,
  MSR_CORE_PERF_FIXED_CTR0,
  MSR_CORE_PERF_FIXED_CTR_CTRL,
  MSR_CORE_PERF_GLOBAL_CTRL,
  MSR_CORE_PERF_GLOBAL_OVF_CTRL,
  MSR_CORE_PERF_GLOBAL_STATUS,
  MSR_F15H_PERF_CTL0,
  MSR_F15H_PERF_CTR0,
  MSR_IA32_PERFCTR0,
  MSR_IA32_PMC0,
  MSR_P6_EVNTSEL0,
} from '../x86/msr';
import { type KvmPmc, pmcOverflow, reprogramCounter } from '../x86/pmc';
import { KVM_FIXED_PMC_BASE_IDX, KVM_PMU_MAX_VERSION_EMULATED, type GuestPmuCpuid } from '../x86/pmu-refresh';
import { KvmPmu } from '../x86/vpmu-regs';
import type { VpmuOps } from './design';
import { GuestCorePmu, guestModel, guestSetPeriod } from './guest-pmu';

/** x2APIC LVTPC: the guest's write to it is an MSR write KVM intercepts. */
const X2APIC_LVTPC_EXIT: ExitReason = 'MSR_WRITE';
/** RDPMC ECX type of the fixed counters (Intel). */
const RDPMC_FIXED = 1 << 30;
/** The widest period a legacy (sign-extended 32-bit) counter write can arm. */
const LEGACY_MAX_PERIOD = 2 ** 31 - 1;

interface Backing {
  event: PerfEvent;
  /** The event's count when KVM last paused or re-armed it (perf_event_pause with reset). */
  base: number;
}

/** The CPUID a VMM gives the guest on this host: the host's counters, KVM's version cap. */
function guestCpuid(host: PmuModel): GuestPmuCpuid {
  return {
    vendor: host.vendor === 'amd' ? 'amd' : 'intel',
    version: Math.min(host.version, KVM_PMU_MAX_VERSION_EMULATED),
    nrGp: host.gpCounters,
    gpWidth: host.gpWidth,
    nrFixed: host.fixed.length,
    fixedWidth: host.fixed[0]?.width ?? 0,
    fullWidthWrites: host.fullWidthWrites,
  };
}

/** KVM's side of one vCPU's emulated PMU: its registers, its vLAPIC's LVTPC, its backing events. */
export class KvmVcpuPmu {
  readonly pmu: KvmPmu;
  readonly lvtpc = new VirtualLvtpc();
  readonly pmi: PmiInjector;
  private readonly backing = new Map<KvmPmc, Backing>();
  /** KVM_REQ_PMU: counters queued in pmu.reprogram_pmi wait for the next entry. */
  private reqPmu = false;

  constructor(
    readonly vcpu: Vcpu,
    host: PmuModel,
    private readonly hostPerf: PerfCore,
    private readonly kernel: Kernel,
  ) {
    const cpuid = guestCpuid(host);
    this.pmu = new KvmPmu(cpuid, host, {
      perfCount: (pmc) => BigInt(this.perfCount(pmc)),
      // pmc_update_sample_period: only a live (not paused) sampling event is re-armed.
      updateSamplePeriod: (pmc, period) => {
        const b = this.backing.get(pmc);
        if (b && b.event.state >= 0) this.hostPerf.setPeriod(b.event, Number(period));
      },
    });
    this.pmi = new PmiInjector(this.lvtpc, cpuid.vendor, vcpu.vm.spec.irqchip === 'kernel');
  }

  /** A guest WRMSR: the exit, KVM's handler, and KVM_REQ_PMU at the entry right after it. */
  wrmsr(msr: number, value: bigint): void {
    this.vcpu.exit('MSR_WRITE', 1, true);
    const r = this.pmu.kvm_pmu_set_msr(msr, value, false);
    // The guest's driver writes only what its CPUID model allows; a #GP here is the emulator's bug.
    if ('fault' in r) throw new Error(`guest PMU driver: WRMSR 0x${msr.toString(16)} <- 0x${value.toString(16)} #GP`);
    if (this.pmu.reprogram_pmi !== 0n) this.reqPmu = true;
    this.kvm_pmu_handle_event();
  }

  rdmsr(msr: number): bigint {
    this.vcpu.exit('MSR_READ', 1, true);
    const r = this.pmu.kvm_pmu_get_msr(msr, false);
    if ('fault' in r) throw new Error(`guest PMU driver: RDMSR 0x${msr.toString(16)} #GP`);
    return r.value ?? 0n;
  }

  /** RDPMC from the guest kernel (CPL 0). */
  rdpmc(pmc: KvmPmc): bigint {
    this.vcpu.exit('RDPMC', 1, true);
    const ecx = pmc.isFixed ? RDPMC_FIXED | (pmc.idx - KVM_FIXED_PMC_BASE_IDX) : pmc.idx;
    const r = this.pmu.kvm_pmu_rdpmc(this.pmu.vendor === 'amd' ? pmc.idx : ecx, 0, true, true);
    if ('fault' in r) throw new Error(`guest PMU driver: RDPMC 0x${ecx.toString(16)} #GP`);
    return r.value ?? 0n;
  }

  /** The guest's write of its LVTPC entry (Linux: APIC_DM_NMI, unmasked). */
  writeLvtpc(value: number): void {
    this.vcpu.exit(X2APIC_LVTPC_EXIT, 1, true);
    this.lvtpc.reg = value;
  }

  pmcAt(idx: number): KvmPmc {
    const pmc = idx >= KVM_FIXED_PMC_BASE_IDX ? this.pmu.fixed_counters[idx - KVM_FIXED_PMC_BASE_IDX] : this.pmu.gp_counters[idx];
    if (!pmc) throw new Error(`guest PMU driver: no counter ${idx} in the vCPU's PMU`);
    return pmc;
  }

  /**
   * kvm_pmu_handle_event, in vcpu_enter_guest: reprogram every queued
   * counter. A counter whose event cannot be created stays queued without a
   * new request — retried at the next one, so the guest is not stalled.
   */
  kvm_pmu_handle_event(): void {
    if (!this.reqPmu) return;
    this.reqPmu = false;
    const now = this.kernel.now();
    const filter = this.vcpu.vm.eventFilter;
    for (const pmc of this.pmu.takeReprogram()) {
      const b = this.backing.get(pmc);
      const action = reprogramCounter(pmc, BigInt(this.perfCount(pmc)), check_pmu_event_filter(filter, pmc), b !== undefined);
      // pmc_pause_counter: what the event counted is in pmc->counter now; it restarts from zero.
      if (b) b.base = this.hostPerf.readEvent(b.event).value;
      if (action.action === 'pause') {
        if (b) this.hostPerf.perf_event_disable(b.event, now);
      } else if (action.action === 'resume' && b) {
        this.hostPerf.setPeriod(b.event, Number(action.sample_period));
        this.hostPerf.perf_event_enable(b.event, now);
      } else if (action.action === 'create') {
        if (b) this.hostPerf.perf_event_release_kernel(b.event);
        this.backing.delete(pmc);
        const event = this.hostPerf.perf_event_create_kernel_counter(action.attr, -1, this.vcpu.tid, () => this.kvm_perf_overflow(pmc));
        if (typeof event === 'number') this.pmu.kvm_pmu_request_counter_reprogram(pmc);
        else this.backing.set(pmc, { event, base: 0 });
      }
    }
  }

  /** The backing event of a counter, for tests and traces. */
  backingEvent(pmc: KvmPmc): PerfEvent | undefined {
    return this.backing.get(pmc)?.event;
  }

  /** What the backing event counted since KVM last paused or re-armed it. */
  private perfCount(pmc: KvmPmc): number {
    const b = this.backing.get(pmc);
    return b ? this.hostPerf.readEvent(b.event).value - b.base : 0;
  }

  /**
   * kvm_perf_overflow, in the host's NMI handler: GLOBAL_STATUS and
   * KVM_REQ_PMU, KVM_REQ_PMI if the counter's INT bit is set. The NMI came in
   * guest mode, so the vCPU exits for it.
   */
  private kvm_perf_overflow(pmc: KvmPmc): void {
    const raise = pmcOverflow(pmc);
    this.reqPmu = true;
    if (raise) {
      this.pmi.request();
      this.vcpu.pmiRaised(this.kernel.now());
    }
    if (this.vcpu.running) {
      this.vcpu.exitOnKick('EXCEPTION_NMI');
      this.kernel.kick(this.vcpu.tid);
    }
  }
}

/** The guest's x86 PMU driver over KVM's trapping registers. */
export class X86TrappedGuestPmu extends GuestCorePmu {
  readonly kvm: KvmVcpuPmu[];

  constructor(
    vm: Vm,
    hostPerf: PerfCore,
    private readonly kernel: Kernel,
  ) {
    const host = kernel.cpus[0].model;
    super(vm, cpuPmuArchFor(host), guestModel(host, KVM_PMU_MAX_VERSION_EMULATED));
    this.kvm = vm.vcpus.map((v) => new KvmVcpuPmu(v, host, hostPerf, kernel));
    for (const k of this.kvm) this.driverInit(k);
  }

  /**
   * perf_events_lapic_init and the first enable_all: LVTPC to NMI, every
   * counter enabled in GLOBAL_CTRL (at RESET only the GP ones are).
   */
  private driverInit(k: KvmVcpuPmu): void {
    k.writeLvtpc(APIC_DM_NMI);
    if (!k.pmu.hasGlobalCtrl()) return;
    let all = 0n;
    for (const pmc of k.pmu.pmcs()) all |= pmc.bit;
    k.wrmsr(k.pmu.vendor === 'amd' ? MSR_AMD64_PERF_CNTR_GLOBAL_CTL : MSR_CORE_PERF_GLOBAL_CTRL, all);
  }

  /** x86_perf_event_set_period, then x86_pmu_enable_event (or the fixed counter's field). */
  start(event: PerfEvent): void {
    if (!event.hw.stopped) return;
    event.hw.stopped = false;
    const k = this.kvm[event.ctx.activeCpu];
    const pmc = k.pmcAt(event.hw.idx);
    this.writePeriod(k, pmc, event);
    if (pmc.isFixed) k.wrmsr(MSR_CORE_PERF_FIXED_CTR_CTRL, this.fixedCtrl(k, pmc, fixedBits(event)));
    else k.wrmsr(this.eventselMsr(k, pmc), eventsel(event) | ARCH_PERFMON_EVENTSEL_ENABLE);
  }

  /** x86_pmu_disable_event: the selector without ENABLE (or the field cleared), then the count. */
  stop(event: PerfEvent, flags: number): void {
    if (event.hw.stopped) return;
    const k = this.kvm[event.ctx.activeCpu];
    const pmc = k.pmcAt(event.hw.idx);
    if (pmc.isFixed) k.wrmsr(MSR_CORE_PERF_FIXED_CTR_CTRL, this.fixedCtrl(k, pmc, 0n));
    else k.wrmsr(this.eventselMsr(k, pmc), eventsel(event));
    event.hw.stopped = true;
    if (flags & PERF_EF_UPDATE) this.read(event);
  }

  /** x86_perf_event_update: RDPMC, and the delta since the last read, modulo the width. */
  read(event: PerfEvent): void {
    if (event.hw.idx < 0) return;
    const k = this.kvm[event.ctx.activeCpu];
    const pmc = k.pmcAt(event.hw.idx);
    const now = k.rdpmc(pmc);
    const delta = Number((now - BigInt(event.hw.prev_count)) & pmc.mask);
    event.hw.prev_count = Number(now);
    event.count += delta;
    event.hw.period_left -= delta;
  }

  /**
   * vcpu_enter_guest: KVM_REQ_PMU, then KVM_REQ_PMI — one virtual PMI at
   * most, through LVTPC; the guest's handler runs when it is injected.
   */
  vmEntry(vcpu: Vcpu): void {
    const k = this.kvm[vcpu.index];
    k.kvm_pmu_handle_event();
    if (!k.pmi.onVmEntry()) return;
    vcpu.pmiPending = true;
    vcpu.pmiWork.push(() => this.intel_pmu_handle_irq(k));
  }

  /**
   * The guest's PMI handler: GLOBAL_STATUS, ack it, then per overflowed
   * counter update the count, arm the next period and hand perf the sample;
   * finally unmask LVTPC (the Intel model masks it on delivery).
   */
  private intel_pmu_handle_irq(k: KvmVcpuPmu): void {
    const amd = k.pmu.vendor === 'amd';
    const status = k.rdmsr(amd ? MSR_AMD64_PERF_CNTR_GLOBAL_STATUS : MSR_CORE_PERF_GLOBAL_STATUS);
    if (status !== 0n) k.wrmsr(amd ? MSR_AMD64_PERF_CNTR_GLOBAL_STATUS_CLR : MSR_CORE_PERF_GLOBAL_OVF_CTRL, status);
    const assigned = this.assigned[k.vcpu.index];
    for (const pmc of k.pmu.pmcs()) {
      if (!(status & pmc.bit)) continue;
      const event = assigned[pmc.idx];
      if (!event || event.hw.stopped) continue;
      this.read(event);
      this.writePeriod(k, pmc, event);
      // A counting event's overflow only folds its count; a sampling one is a sample.
      if (is_sampling_event(event) && this.vm.guest.perf.overflow(event, k.vcpu.index, this.kernel.now())) this.stop(event, 0);
    }
    k.writeLvtpc(APIC_DM_NMI);
  }

  /** The counter written with -left: what reads back is the driver's new baseline. */
  private writePeriod(k: KvmVcpuPmu, pmc: KvmPmc, event: PerfEvent): void {
    const fullWidth = pmc.isFixed || k.pmu.fullWidthWrites || k.pmu.vendor === 'amd';
    const max = Math.min(this.arch.maxPeriod(Math.log2(Number(pmc.mask) + 1)), fullWidth ? Infinity : LEGACY_MAX_PERIOD);
    const left = Math.min(is_sampling_event(event) ? guestSetPeriod(event.hw) : max, max);
    const value = -BigInt(left) & pmc.mask;
    k.wrmsr(this.counterMsr(k, pmc, fullWidth), value);
    event.hw.prev_count = Number(value);
  }

  private eventselMsr(k: KvmVcpuPmu, pmc: KvmPmc): number {
    return k.pmu.vendor === 'amd' ? MSR_F15H_PERF_CTL0 + 2 * pmc.idx : MSR_P6_EVNTSEL0 + pmc.idx;
  }

  private counterMsr(k: KvmVcpuPmu, pmc: KvmPmc, fullWidth: boolean): number {
    if (pmc.isFixed) return MSR_CORE_PERF_FIXED_CTR0 + pmc.idx - KVM_FIXED_PMC_BASE_IDX;
    if (k.pmu.vendor === 'amd') return MSR_F15H_PERF_CTR0 + 2 * pmc.idx;
    return (fullWidth ? MSR_IA32_PMC0 : MSR_IA32_PERFCTR0) + pmc.idx;
  }

  /** FIXED_CTR_CTRL with this counter's 4-bit field replaced. */
  private fixedCtrl(k: KvmVcpuPmu, pmc: KvmPmc, bits: bigint): bigint {
    const shift = BigInt(pmc.idx - KVM_FIXED_PMC_BASE_IDX) * INTEL_FIXED_BITS_STRIDE;
    return (k.pmu.fixed_ctr_ctrl & ~(0xfn << shift)) | (bits << shift);
  }
}

/** The selector Linux's driver builds (x86_pmu_hw_config): the event, INT always, USR/OS from the excludes. */
function eventsel(event: PerfEvent): bigint {
  let sel = (event.context as bigint) | ARCH_PERFMON_EVENTSEL_INT;
  if (!event.attr.exclude_user) sel |= ARCH_PERFMON_EVENTSEL_USR;
  if (!event.attr.exclude_kernel) sel |= ARCH_PERFMON_EVENTSEL_OS;
  return sel;
}

/** intel_pmu_enable_fixed: OS, USR and PMI bits of the counter's field. */
function fixedBits(event: PerfEvent): bigint {
  let bits = INTEL_FIXED_0_ENABLE_PMI;
  if (!event.attr.exclude_user) bits |= INTEL_FIXED_0_USER;
  if (!event.attr.exclude_kernel) bits |= INTEL_FIXED_0_KERNEL;
  return bits;
}

export function emulatedX86Vpmu(hostPerf: PerfCore, kernel: Kernel): VpmuOps {
  const guestPmu = (vm: Vm) => vm.guest.hwPmu as X86TrappedGuestPmu | null;
  return {
    design: 'emulated',
    createGuestPmu: (vm) => new X86TrappedGuestPmu(vm, hostPerf, kernel),
    load: (vcpu) => guestPmu(vcpu.vm)?.vmEntry(vcpu),
    put: () => undefined,
    trapsCounterReads: true,
    switchCostNs: 0,
  };
}
