/**
 * The guest-visible register surface of KVM's emulated ("perf-based") x86
 * vPMU: struct kvm_pmu for one vCPU, the PMU MSRs and RDPMC as the guest
 * (or userspace, host-initiated) sees them, and which counters a write
 * queues for reprogramming (arch/x86/kvm/pmu.c, vmx/pmu_intel.c, svm/pmu.c;
 * shared reference §5).
 *
 * Pure state: nothing here creates perf events. The run loop takes the
 * queued counters (`reprogram_pmi`, what KVM_REQ_PMU processes) before
 * VM-entry and asks reprogramCounter() (pmc.ts) what to do with each; the
 * live count of a counter's backing event comes in through KvmPmuHooks.
 */
import { genericEventSelector } from '../../hw/event-codes';
import type { PmuModel } from '../../hw/pmu-model';
import { PerfHwId } from '../../perf/attr';
import {
  AMD64_NUM_COUNTERS,
  AMD64_RAW_EVENT_MASK,
  ARCH_PERFMON_EVENTSEL_ENABLE,
  fixed_ctrl_field,
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
  MSR_CORE_PERF_GLOBAL_OVF_CTRL_COND_CHGD,
  MSR_CORE_PERF_GLOBAL_OVF_CTRL_OVF_BUF,
  MSR_CORE_PERF_GLOBAL_STATUS,
  MSR_F15H_PERF_CTL0,
  MSR_IA32_PERFCTR0,
  MSR_IA32_PMC0,
  MSR_K7_EVNTSEL0,
  MSR_K7_PERFCTR0,
  MSR_P6_EVNTSEL0,
  X86_RAW_EVENT_MASK,
} from './msr';
import { get_sample_period, KvmPmc, pmcRead } from './pmc';
import { KVM_FIXED_PMC_BASE_IDX, kvm_pmu_refresh, type GuestPmuCpuid, type X86Vendor } from './pmu-refresh';

/** Reserved PERFEVTSEL bits: Intel AnyThread and 63:32; AMD bits 19, 21 and 63:36 (so Host/GuestOnly). */
const INTEL_RESERVED_BITS = 0xffffffff00200000n;
const AMD_RESERVED_BITS = 0xfffffff000280000n;
/** RDPMC ECX type of the fixed counters (INTEL_PMC_FIXED_RDPMC_BASE). */
const INTEL_RDPMC_FIXED = 1 << 30;

const bits = (n: number) => (1n << BigInt(n)) - 1n;
const u64 = (v: bigint) => BigInt.asUintN(64, v);

/** How KVM's counters meet the host perf events that back them. */
export interface KvmPmuHooks {
  /** Count of the counter's backing event since it was last armed or paused; 0n if none or paused. */
  perfCount(pmc: KvmPmc): bigint;
  /** pmc_update_sample_period: a counter write re-arms a live sampling backing event. */
  updateSamplePeriod(pmc: KvmPmc, sample_period: bigint): void;
}

const NO_HOOKS: KvmPmuHooks = { perfCount: () => 0n, updateSamplePeriod: () => undefined };

export type MsrResult = { ok: true; value?: bigint } | { fault: '#GP' };
const GP: MsrResult = { fault: '#GP' };
const OK: MsrResult = { ok: true };

type PmuMsr =
  | { kind: 'gp_ctr'; pmc: KvmPmc; fullWidth: boolean }
  | { kind: 'fixed_ctr' | 'eventsel'; pmc: KvmPmc }
  | { kind: 'fixed_ctr_ctrl' | 'global_status' | 'global_ctrl' | 'global_ovf_ctrl' }
  | { kind: 'amd_global_status' | 'amd_global_ctl' | 'amd_global_status_clr' };

/**
 * The P6 and K7 selector/counter MSRs that kvm_{get,set}_msr_common accept
 * even when the vCPU's PMU does not implement them (reads 0, writes dropped),
 * for old guests that touch them blindly (arch/x86/kvm/x86.c).
 */
function isLegacyQuirkMsr(msr: number): boolean {
  return (
    (msr >= MSR_IA32_PERFCTR0 && msr < MSR_IA32_PERFCTR0 + 2) ||
    (msr >= MSR_P6_EVNTSEL0 && msr < MSR_P6_EVNTSEL0 + 2) ||
    (msr >= MSR_K7_EVNTSEL0 && msr < MSR_K7_PERFCTR0 + AMD64_NUM_COUNTERS)
  );
}

/** struct kvm_pmu: one vCPU's emulated PMU. */
export class KvmPmu {
  readonly vendor: X86Vendor;
  readonly version: number;
  readonly fullWidthWrites: boolean;
  readonly gp_counters: readonly KvmPmc[];
  readonly fixed_counters: readonly KvmPmc[];
  global_ctrl = 0n;
  global_status = 0n;
  fixed_ctr_ctrl = 0n;
  /** Counters queued for reprogramming before the next VM-entry (bit per pmc->idx; KVM_REQ_PMU). */
  reprogram_pmi = 0n;
  /** The selector bits KVM copies into the backing event's config. */
  readonly raw_event_mask: bigint;
  private readonly reserved_bits: bigint;
  private readonly global_ctrl_rsvd: bigint;
  private readonly global_status_rsvd: bigint;
  private readonly fixed_ctr_ctrl_rsvd: bigint;
  private readonly all: readonly KvmPmc[];
  /** lookup()'s answer per MSR: the counters never change, and every trapped access asks. */
  private readonly msrs = new Map<number, PmuMsr | null>();

  constructor(
    cpuid: GuestPmuCpuid,
    host: PmuModel,
    private readonly hooks: KvmPmuHooks = NO_HOOKS,
  ) {
    const shape = kvm_pmu_refresh(cpuid, host);
    this.vendor = cpuid.vendor;
    this.version = shape.version;
    this.fullWidthWrites = shape.fullWidthWrites;
    const gpMask = bits(shape.gpWidth);
    this.gp_counters = Array.from({ length: shape.nrGp }, (_, i) => new KvmPmc(this, i, false, gpMask));
    const fixedMask = bits(shape.fixedWidth);
    // Fixed counters count the events perf maps instructions, cycles and ref-cycles to.
    const fixedEvents = [PerfHwId.INSTRUCTIONS, PerfHwId.CPU_CYCLES, PerfHwId.REF_CPU_CYCLES];
    this.fixed_counters = Array.from({ length: shape.nrFixed }, (_, i) => {
      const pmc = new KvmPmc(this, KVM_FIXED_PMC_BASE_IDX + i, true, fixedMask);
      pmc.eventsel = genericEventSelector('intel', fixedEvents[i]) ?? 0n;
      return pmc;
    });
    this.all = [...this.gp_counters, ...this.fixed_counters];
    const intel = this.vendor === 'intel';
    this.reserved_bits = intel ? INTEL_RESERVED_BITS : AMD_RESERVED_BITS;
    this.raw_event_mask = intel ? X86_RAW_EVENT_MASK : AMD64_RAW_EVENT_MASK;
    const counters = bits(shape.nrGp) | (bits(shape.nrFixed) << BigInt(KVM_FIXED_PMC_BASE_IDX));
    this.global_ctrl_rsvd = u64(~counters);
    // Intel GLOBAL_STATUS also has the buffer-overflow and cond-changed bits.
    this.global_status_rsvd = intel
      ? this.global_ctrl_rsvd & ~(MSR_CORE_PERF_GLOBAL_OVF_CTRL_OVF_BUF | MSR_CORE_PERF_GLOBAL_OVF_CTRL_COND_CHGD)
      : this.global_ctrl_rsvd;
    // Each fixed field allows OS, USR and PMI; AnyThread (bit 2) stays reserved.
    const fieldBits = INTEL_FIXED_0_KERNEL | INTEL_FIXED_0_USER | INTEL_FIXED_0_ENABLE_PMI;
    let fixedAllowed = 0n;
    for (let i = 0; i < shape.nrFixed; i++) fixedAllowed |= fieldBits << (BigInt(i) * INTEL_FIXED_BITS_STRIDE);
    this.fixed_ctr_ctrl_rsvd = u64(~fixedAllowed);
    // At RESET the GP enables in GLOBAL_CTRL are set, so v1-style guests count (kvm_pmu_refresh).
    if (this.hasGlobalCtrl()) this.global_ctrl = bits(shape.nrGp);
  }

  /** kvm_pmu_has_perf_global_ctrl: the GLOBAL_* MSRs (and FIXED_CTR_CTRL) exist from v2. */
  hasGlobalCtrl(): boolean {
    return this.version > 1;
  }

  /** Every counter, GP first (kvm_for_each_pmc order). */
  pmcs(): readonly KvmPmc[] {
    return this.all;
  }

  /** kvm_pmu_request_counter_reprogram: queue for KVM_REQ_PMU. */
  kvm_pmu_request_counter_reprogram(pmc: KvmPmc): void {
    this.reprogram_pmi |= pmc.bit;
  }

  /** Start of kvm_pmu_handle_event: the queued counters, whose bits are cleared. */
  takeReprogram(): KvmPmc[] {
    const bits = this.reprogram_pmi;
    const queued: KvmPmc[] = [];
    if (bits === 0n) return queued;
    for (const pmc of this.all) if (bits & pmc.bit) queued.push(pmc);
    this.reprogram_pmi = 0n;
    return queued;
  }

  /** pmc_is_globally_enabled: without GLOBAL_CTRL (v1) every counter is. */
  pmc_is_globally_enabled(pmc: KvmPmc): boolean {
    return !this.hasGlobalCtrl() || (this.global_ctrl & pmc.bit) !== 0n;
  }

  /** pmc_speculative_in_use: the counter's own enable (EN bit, or OS|USR in its fixed field). */
  pmc_speculative_in_use(pmc: KvmPmc): boolean {
    if (pmc.isFixed) return (this.fixedField(pmc) & (INTEL_FIXED_0_KERNEL | INTEL_FIXED_0_USER)) !== 0n;
    return (pmc.eventsel & ARCH_PERFMON_EVENTSEL_ENABLE) !== 0n;
  }

  fixedField(pmc: KvmPmc): bigint {
    return fixed_ctrl_field(this.fixed_ctr_ctrl, pmc.idx - KVM_FIXED_PMC_BASE_IDX);
  }

  private lookup(msr: number): PmuMsr | null {
    let reg = this.msrs.get(msr);
    if (reg === undefined) this.msrs.set(msr, (reg = this.decode(msr)));
    return reg;
  }

  /** Which PMU register `msr` is on this vCPU's PMU (get_gp_pmc, get_fixed_pmc and the global MSRs), null if none. */
  private decode(msr: number): PmuMsr | null {
    if (this.version === 0) return null;
    const inBlock = (base: number, n: number) => msr >= base && msr < base + n;
    const nrGp = this.gp_counters.length;
    if (this.vendor === 'amd') {
      if (inBlock(MSR_K7_EVNTSEL0, Math.min(nrGp, AMD64_NUM_COUNTERS)))
        return { kind: 'eventsel', pmc: this.gp_counters[msr - MSR_K7_EVNTSEL0] };
      if (inBlock(MSR_K7_PERFCTR0, Math.min(nrGp, AMD64_NUM_COUNTERS)))
        return { kind: 'gp_ctr', pmc: this.gp_counters[msr - MSR_K7_PERFCTR0], fullWidth: true };
      if (inBlock(MSR_F15H_PERF_CTL0, 2 * nrGp)) {
        const pmc = this.gp_counters[(msr - MSR_F15H_PERF_CTL0) >> 1];
        // CTLn are even, CTRn odd (get_gp_pmc_amd).
        return msr & 1 ? { kind: 'gp_ctr', pmc, fullWidth: true } : { kind: 'eventsel', pmc };
      }
      if (!this.hasGlobalCtrl()) return null;
      if (msr === MSR_AMD64_PERF_CNTR_GLOBAL_STATUS) return { kind: 'amd_global_status' };
      if (msr === MSR_AMD64_PERF_CNTR_GLOBAL_CTL) return { kind: 'amd_global_ctl' };
      if (msr === MSR_AMD64_PERF_CNTR_GLOBAL_STATUS_CLR) return { kind: 'amd_global_status_clr' };
      return null;
    }
    if (inBlock(MSR_P6_EVNTSEL0, nrGp)) return { kind: 'eventsel', pmc: this.gp_counters[msr - MSR_P6_EVNTSEL0] };
    if (inBlock(MSR_IA32_PERFCTR0, nrGp))
      return { kind: 'gp_ctr', pmc: this.gp_counters[msr - MSR_IA32_PERFCTR0], fullWidth: false };
    // The A_PMCx aliases exist only with PERF_CAPABILITIES.FW_WRITES (get_fw_gp_pmc).
    if (this.fullWidthWrites && inBlock(MSR_IA32_PMC0, nrGp))
      return { kind: 'gp_ctr', pmc: this.gp_counters[msr - MSR_IA32_PMC0], fullWidth: true };
    if (inBlock(MSR_CORE_PERF_FIXED_CTR0, this.fixed_counters.length))
      return { kind: 'fixed_ctr', pmc: this.fixed_counters[msr - MSR_CORE_PERF_FIXED_CTR0] };
    if (!this.hasGlobalCtrl()) return null;
    if (msr === MSR_CORE_PERF_FIXED_CTR_CTRL) return { kind: 'fixed_ctr_ctrl' };
    if (msr === MSR_CORE_PERF_GLOBAL_STATUS) return { kind: 'global_status' };
    if (msr === MSR_CORE_PERF_GLOBAL_CTRL) return { kind: 'global_ctrl' };
    if (msr === MSR_CORE_PERF_GLOBAL_OVF_CTRL) return { kind: 'global_ovf_ctrl' };
    return null;
  }

  /** RDMSR of a PMU MSR (kvm_pmu_get_msr and the vendor get_msr). Host-initiated reads see the same. */
  kvm_pmu_get_msr(msr: number, _hostInitiated: boolean): MsrResult {
    const reg = this.lookup(msr);
    if (!reg) return isLegacyQuirkMsr(msr) ? { ok: true, value: 0n } : GP;
    switch (reg.kind) {
      case 'gp_ctr':
      case 'fixed_ctr':
        return { ok: true, value: pmcRead(reg.pmc, this.hooks.perfCount(reg.pmc)) };
      case 'eventsel':
        return { ok: true, value: reg.pmc.eventsel };
      case 'fixed_ctr_ctrl':
        return { ok: true, value: this.fixed_ctr_ctrl };
      case 'global_status':
      case 'amd_global_status':
        return { ok: true, value: this.global_status };
      case 'global_ctrl':
      case 'amd_global_ctl':
        return { ok: true, value: this.global_ctrl };
      case 'global_ovf_ctrl':
      case 'amd_global_status_clr':
        return { ok: true, value: 0n };
    }
  }

  /**
   * WRMSR of a PMU MSR. Intel #GPs on reserved bits and read-only MSRs, AMD
   * drops them (kvm_pmu_set_msr); userspace may write GLOBAL_STATUS to restore it.
   */
  kvm_pmu_set_msr(msr: number, value: bigint, hostInitiated: boolean): MsrResult {
    const reg = this.lookup(msr);
    if (!reg) return isLegacyQuirkMsr(msr) ? OK : GP;
    let data = u64(value);
    switch (reg.kind) {
      case 'gp_ctr':
        if (this.vendor === 'intel') {
          // Full-width aliases take the value as is but not beyond the width;
          // a guest's legacy write is sign-extended from bit 31 (intel_pmu_set_msr).
          if (reg.fullWidth && data & ~reg.pmc.mask) return GP;
          if (!reg.fullWidth && !hostInitiated) data = u64(BigInt.asIntN(32, data));
        }
        this.pmc_write_counter(reg.pmc, data);
        return OK;
      case 'fixed_ctr':
        this.pmc_write_counter(reg.pmc, data);
        return OK;
      case 'eventsel':
        if (data & this.reserved_bits) {
          if (this.vendor === 'intel') return GP;
          data &= ~this.reserved_bits;
        }
        if (data !== reg.pmc.eventsel) {
          reg.pmc.eventsel = data;
          this.kvm_pmu_request_counter_reprogram(reg.pmc);
        }
        return OK;
      case 'fixed_ctr_ctrl':
        if (data & this.fixed_ctr_ctrl_rsvd) return GP;
        // reprogram_fixed_counters: only counters whose field changed.
        for (const pmc of this.fixed_counters) {
          const i = pmc.idx - KVM_FIXED_PMC_BASE_IDX;
          if (fixed_ctrl_field(data, i) !== fixed_ctrl_field(this.fixed_ctr_ctrl, i))
            this.kvm_pmu_request_counter_reprogram(pmc);
        }
        this.fixed_ctr_ctrl = data;
        return OK;
      case 'global_status':
        if (!hostInitiated) return GP;
        return this.restoreGlobalStatus(data);
      case 'amd_global_status':
        // Read-only per the PPR: a guest write is ignored.
        return hostInitiated ? this.restoreGlobalStatus(data) : OK;
      case 'amd_global_ctl':
        return this.writeGlobalCtrl(data & ~this.global_ctrl_rsvd);
      case 'global_ctrl':
        return data & this.global_ctrl_rsvd ? GP : this.writeGlobalCtrl(data);
      case 'global_ovf_ctrl':
        // OVF_CTRL clears GLOBAL_STATUS bits, so it shares their reserved set.
        if (data & this.global_status_rsvd) return GP;
        if (!hostInitiated) this.global_status &= ~data;
        return OK;
      case 'amd_global_status_clr':
        if (!hostInitiated) this.global_status &= ~data;
        return OK;
    }
  }

  private restoreGlobalStatus(data: bigint): MsrResult {
    if (data & this.global_status_rsvd) return GP;
    this.global_status = data;
    return OK;
  }

  /** A GLOBAL_CTRL change reprograms exactly the counters whose enable flipped (reprogram_counters). */
  private writeGlobalCtrl(data: bigint): MsrResult {
    const diff = this.global_ctrl ^ data;
    this.global_ctrl = data;
    for (const pmc of this.pmcs()) if (diff & pmc.bit) this.kvm_pmu_request_counter_reprogram(pmc);
    return OK;
  }

  /**
   * pmc_write_counter: offset pmc->counter so that counter + live count reads
   * back as `val`, then re-arm the live event with the period derived from
   * pmc->counter — which, while the event has a count, is not -val: the
   * kernel's own imprecision, kept.
   */
  private pmc_write_counter(pmc: KvmPmc, val: bigint): void {
    pmc.counter = (pmc.counter + val - pmcRead(pmc, this.hooks.perfCount(pmc))) & pmc.mask;
    this.hooks.updateSamplePeriod(pmc, get_sample_period(pmc, pmc.counter));
  }

  /**
   * RDPMC (kvm_pmu_rdpmc). #GP without a PMU, for an ECX that names no
   * counter, or at CPL > 0 in protected mode with CR4.PCE clear. Intel ECX
   * bits 31:16 are the type (0 GP, bit 30 fixed), 15:0 the index; any other
   * type, including the pre-architectural "fast" bit 31, #GPs (kvm-x86
   * 5728a4a0ea79). AMD ECX is the counter number, all 32 bits of it.
   */
  kvm_pmu_rdpmc(ecx: number, cpl: number, cr4Pce: boolean, protectedMode: boolean): MsrResult {
    if (this.version === 0) return GP;
    const pmc = this.rdpmc_ecx_to_pmc(ecx >>> 0);
    if (!pmc) return GP;
    if (!cr4Pce && cpl !== 0 && protectedMode) return GP;
    return { ok: true, value: pmcRead(pmc, this.hooks.perfCount(pmc)) };
  }

  private rdpmc_ecx_to_pmc(ecx: number): KvmPmc | undefined {
    if (this.vendor === 'amd') return this.gp_counters[ecx];
    const type = ecx & 0xffff0000;
    const idx = ecx & 0xffff;
    if (type === 0) return this.gp_counters[idx];
    if (type === INTEL_RDPMC_FIXED) return this.fixed_counters[idx];
    return undefined;
  }
}
