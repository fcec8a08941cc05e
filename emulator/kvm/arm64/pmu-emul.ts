/**
 * The guest-visible PMUv3 of one arm64 vCPU under KVM's emulated vPMU
 * (arch/arm64/kvm/pmu-emul.c and the PMU handlers of sys_regs.c). Every
 * register access traps; KVM keeps a shadow of each register and backs each
 * enabled counter with a host perf event, so a counter's value is its shadow
 * plus what that event has counted since it was created.
 *
 * This module is the register file and its rules only. The host perf event
 * behind a counter belongs to the caller: a write returns the counters whose
 * backing event must be recreated, and recreating one is `stopCounter(idx,
 * live)` (fold the old event's count into the shadow; kvm_pmu_stop_counter)
 * then releasing it and opening `perfAttr(idx)` (kvm_pmu_create_perf_event).
 * Counter indices follow the kernel: 0..N-1 event counters, 31 the cycle
 * counter. Register values are u64, as bigints.
 */
import { ARMV8_PMUV3_COMMON_EVENTS, ARMV8_PMUV3_PERFCTR_CHAIN, ARMV8_PMUV3_PERFCTR_SW_INCR } from '../../hw/event-codes';
import { ARMV8_IDX_CYCLE_COUNTER } from '../../hw/pmu-model';
import { makeAttr, type PerfEventAttr } from '../../perf/attr';

export const ARMV8_PMU_CYCLE_IDX = ARMV8_IDX_CYCLE_COUNTER;
const ARMV8_PMUV3_PERFCTR_CPU_CYCLES = ARMV8_PMUV3_COMMON_EVENTS.cpu_cycles;
/** STALL_SLOT_BACKEND/_FRONTEND/STALL_SLOT: PMCEID1 bits 29..31. */
const PMCEID1_STALL_SLOT_BITS = 0x7n << 29n;

/** ID_AA64DFR0_EL1.PMUVer encodings (arch/arm64/tools/sysreg). */
export const ID_AA64DFR0_EL1_PMUVer = { IMP: 1, V3P1: 4, V3P4: 5, V3P5: 6, V3P7: 7 } as const;

// PMCR_EL0 (include/linux/perf/arm_pmuv3.h).
export const ARMV8_PMU_PMCR_E = 1n << 0n;
export const ARMV8_PMU_PMCR_P = 1n << 1n;
export const ARMV8_PMU_PMCR_C = 1n << 2n;
export const ARMV8_PMU_PMCR_LC = 1n << 6n;
export const ARMV8_PMU_PMCR_LP = 1n << 7n;
export const ARMV8_PMU_PMCR_N_SHIFT = 11n;
/** The bits a PMCR_EL0 write may set (E, P, C, D, X, DP, LC, LP); N is the VM's, never the guest's. */
const ARMV8_PMU_PMCR_MASK = 0xffn;

// PMEVTYPER<n>_EL0 / PMCCFILTR_EL0 privilege filters.
export const ARMV8_PMU_EXCLUDE_EL1 = 1n << 31n;
export const ARMV8_PMU_EXCLUDE_EL0 = 1n << 30n;

/** config1 bit 0 tells the arm_pmu driver to program a 64-bit (chained or long) counter. */
export const PERF_ATTR_CFG1_COUNTER_64BIT = 1n;

const U32 = (1n << 32n) - 1n;
const U64 = (1n << 64n) - 1n;
/** The largest sample_period perf accepts (bit 63 is refused). */
const MAX_SAMPLE_PERIOD = (1n << 63n) - 1n;

/** __kvm_pmu_event_mask: evtCount is 10 bits in PMUv3p0, 16 from PMUv3p1. */
export function kvmPmuEventMask(pmuver: number): number {
  return pmuver === ID_AA64DFR0_EL1_PMUVer.IMP ? 0x3ff : 0xffff;
}

/** test_bit on kvm->arch.pmu_filter. */
export function pmuFilterTest(filter: Uint8Array, event: number): boolean {
  return (filter[event >> 3] & (1 << (event & 7))) !== 0;
}

/**
 * PMCEID0/1 values with the given common events (0x00..0x3F) and extended
 * events (0x4000..0x403F) implemented, as the hardware registers hold them.
 */
export function pmceidFromEvents(events: Iterable<number>): readonly [bigint, bigint] {
  const reg: [bigint, bigint] = [0n, 0n];
  for (const e of events) {
    const base = e >= 0x4000 ? e - 0x4000 : e;
    if (base >= 0x40) continue;
    reg[base >> 5] |= 1n << BigInt((base & 31) + (e >= 0x4000 ? 32 : 0));
  }
  return reg;
}

/** What a vCPU's PMU reads from its VM (struct kvm's arch.arm_pmu, pmcr_n, pmu_filter). */
export interface KvmArmPmuVm {
  /** kvm->arch.pmcr_n: the event counters the guest sees (PMCR_EL0.N). */
  readonly pmcrN: number;
  /** The guest's ID_AA64DFR0_EL1.PMUVer. */
  readonly pmuver: number;
  /** kvm->arch.arm_pmu->pmu.type: the backing events' attr.type. */
  readonly pmuType: number;
  /** The host PMU's PMCEID0_EL0/PMCEID1_EL0. */
  readonly hostPmceid: readonly [bigint, bigint];
  /** kvm->arch.pmu_filter, a bitmap of allowed events; null when no filter was set. */
  readonly pmuFilter: Uint8Array | null;
}

export type PmuBitmapReg =
  | 'PMCNTENSET_EL0'
  | 'PMCNTENCLR_EL0'
  | 'PMOVSSET_EL0'
  | 'PMOVSCLR_EL0'
  | 'PMINTENSET_EL1'
  | 'PMINTENCLR_EL1';

/** struct kvm_pmu: one vCPU's PMU registers. */
export class KvmPmu {
  /** PMCR_EL0 as stored: no N (the VM's), no P/C (actions, not state). */
  private pmcr = 0n;
  private readonly bitmaps = { cnten: 0n, ovs: 0n, inten: 0n };
  /** PMEVTYPER<n>_EL0, and PMCCFILTR_EL0 at index 31. */
  private readonly evtyper: bigint[] = new Array<bigint>(32).fill(0n);
  /** PMEVCNTR<n>_EL0 and PMCCNTR_EL0 shadows (kvm_pmc values without the live perf count). */
  private readonly shadow: bigint[] = new Array<bigint>(32).fill(0n);
  /** pmu->irq_level: the overflow line as last driven into the vGIC. */
  private irqLine = false;

  constructor(private readonly vm: KvmArmPmuVm) {}

  /** kvm_pmu_implemented_counter_mask: GENMASK(N-1, 0) | BIT(31). */
  implementedMask(): bigint {
    return ((1n << BigInt(this.vm.pmcrN)) - 1n) | (1n << BigInt(ARMV8_PMU_CYCLE_IDX));
  }

  /** kvm_vcpu_read_pmcr: the stored bits with the VM's N. */
  readPmcr(): bigint {
    return this.pmcr | (BigInt(this.vm.pmcrN) << ARMV8_PMU_PMCR_N_SHIFT);
  }

  /**
   * kvm_pmu_handle_pmcr. Returns the counters whose backing event must be
   * recreated: the ones reset, and all of them when E toggles (KVM_REQ_RELOAD_PMU).
   * `live` gives each backing event's count, which a reset discards.
   */
  handlePmcr(val: bigint, live: (idx: number) => bigint): number[] {
    let v = val & ARMV8_PMU_PMCR_MASK;
    // LP is RES0 below PMUv3p5: KVM clears it to match the guest's PMUVer (checklist 70).
    if (this.vm.pmuver < ID_AA64DFR0_EL1_PMUVer.V3P5) v &= ~ARMV8_PMU_PMCR_LP;
    const reprogram = new Set<number>();
    if ((this.pmcr ^ v) & ARMV8_PMU_PMCR_E) for (const i of bitsOf(this.implementedMask())) reprogram.add(i);
    // P and C are actions, not state: never stored, so they read back as 0 (checklist 70).
    this.pmcr = v & ~(ARMV8_PMU_PMCR_C | ARMV8_PMU_PMCR_P);
    if (v & ARMV8_PMU_PMCR_C) {
      this.setCounterValue(ARMV8_PMU_CYCLE_IDX, 0n, live(ARMV8_PMU_CYCLE_IDX));
      reprogram.add(ARMV8_PMU_CYCLE_IDX);
    }
    if (v & ARMV8_PMU_PMCR_P) {
      for (let i = 0; i < this.vm.pmcrN; i++) {
        this.setCounterValue(i, 0n, live(i));
        reprogram.add(i);
      }
    }
    return [...reprogram].sort((a, b) => a - b);
  }

  /** A bitmap register reads as its SET view (the CLR aliases read the same bits). */
  readReg(reg: PmuBitmapReg): bigint {
    return this.bitmaps[bitmapOf(reg)];
  }

  /**
   * A write to a SET/CLR register, masked to the implemented counters as
   * sys_regs.c does. Returns the counters whose enable changed (their backing
   * event must be recreated, or enabled/disabled in place).
   */
  writeReg(reg: PmuBitmapReg, val: bigint): number[] {
    const key = bitmapOf(reg);
    const mask = val & this.implementedMask();
    const old = this.bitmaps[key];
    this.bitmaps[key] = reg.includes('SET') ? old | mask : old & ~mask;
    if (key !== 'cnten') return [];
    return bitsOf(old ^ this.bitmaps[key]);
  }

  readEvtyper(idx: number): bigint {
    return this.evtyper[this.checkIdx(idx)];
  }

  /** kvm_pmu_set_counter_event_type: event and P/U filter bits (kvm_pmu_evtyper_mask). */
  setCounterEventType(idx: number, data: bigint): number[] {
    const mask = ARMV8_PMU_EXCLUDE_EL1 | ARMV8_PMU_EXCLUDE_EL0 | BigInt(kvmPmuEventMask(this.vm.pmuver));
    this.evtyper[this.checkIdx(idx)] = data & mask;
    return [idx];
  }

  /**
   * kvm_pmu_get_counter_value: the shadow plus the live perf count, cut to 32
   * bits unless the counter is 64-bit (checklist 68).
   */
  readCounter(idx: number, livePerfCount: bigint): bigint {
    return (this.shadow[this.checkIdx(idx)] + livePerfCount) & (this.is64bit(idx) ? U64 : U32);
  }

  /**
   * kvm_pmu_set_counter_value: the shadow absorbs the difference, so that
   * folding the (now stale) backing event leaves exactly `val`. Returns the
   * counter to recreate: its period changed.
   */
  setCounterValue(idx: number, val: bigint, livePerfCount: bigint): number[] {
    const v = val & (this.is64bit(idx) ? U64 : U32);
    this.shadow[this.checkIdx(idx)] = (v - livePerfCount) & U64;
    return [idx];
  }

  /** kvm_pmu_stop_counter: fold the backing event's count into the shadow before releasing it. */
  stopCounter(idx: number, livePerfCount: bigint): void {
    this.shadow[idx] = this.readCounter(idx, livePerfCount);
  }

  /** PMSWINC_EL0 write: kvm_pmu_software_increment. */
  softwareIncrement(val: bigint): void {
    this.counterIncrement(val, ARMV8_PMUV3_PERFCTR_SW_INCR);
  }

  /**
   * kvm_pmu_perf_overflow: the backing event of `idx` reached its period.
   * Sets PMOVSSET, propagates into a CHAIN neighbour, and returns the period
   * to re-arm with (the distance to the counter's next wrap).
   */
  pmcOverflow(idx: number, livePerfCount: bigint): bigint {
    this.bitmaps.ovs |= 1n << BigInt(this.checkIdx(idx));
    if (this.counterCanChain(idx)) this.counterIncrement(1n << BigInt(idx + 1), ARMV8_PMUV3_PERFCTR_CHAIN);
    return this.computePeriod(idx, this.readCounter(idx, livePerfCount));
  }

  /**
   * kvm_pmu_overflow_status: the interrupt line is a level, any(PMOVSSET &
   * PMINTENSET) under PMCR_EL0.E (checklist 71).
   */
  irqLevel(): boolean {
    if (!(this.pmcr & ARMV8_PMU_PMCR_E)) return false;
    return (this.bitmaps.ovs & this.bitmaps.inten) !== 0n;
  }

  /**
   * kvm_pmu_update_state, run by kvm_pmu_flush_hwstate before every entry and
   * kvm_pmu_sync_hwstate after every exit: true when the level changed and
   * must be driven into the vGIC (or reported in device_irq_level).
   */
  updateState(): boolean {
    const level = this.irqLevel();
    if (level === this.irqLine) return false;
    this.irqLine = level;
    return true;
  }

  /**
   * kvm_pmu_get_pmceid: the host PMU's events, SW_INCR and CHAIN always (KVM
   * emulates both), no STALL_SLOT* (PMMIR_EL0 is RAZ), ANDed with the VM's
   * filter (checklist 72).
   */
  getPmceid(pmceid1: boolean): bigint {
    const base = pmceid1 ? 32 : 0;
    let val = this.vm.hostPmceid[pmceid1 ? 1 : 0];
    if (pmceid1) val &= ~PMCEID1_STALL_SLOT_BITS;
    else val |= (1n << BigInt(ARMV8_PMUV3_PERFCTR_SW_INCR)) | (1n << BigInt(ARMV8_PMUV3_PERFCTR_CHAIN));
    const filter = this.vm.pmuFilter;
    if (!filter) return val;
    const nrEvents = kvmPmuEventMask(this.vm.pmuver) + 1;
    let mask = 0n;
    for (let i = 0; i < 32; i++) {
      if (pmuFilterTest(filter, base + i)) mask |= 1n << BigInt(i);
      if (nrEvents >= 0x4000 + base + 32 && pmuFilterTest(filter, 0x4000 + base + i)) mask |= 1n << BigInt(32 + i);
    }
    return val & mask;
  }

  /**
   * The attr of kvm_pmu_create_perf_event for a counter, or null when the
   * counter gets no backing event: SW_INCR and CHAIN are counted by KVM
   * itself, and a filtered-out event is never installed. The period comes
   * from the shadow, so the old event must have been folded (stopCounter).
   */
  perfAttr(idx: number): PerfEventAttr | null {
    const evtreg = this.evtyper[this.checkIdx(idx)];
    const eventsel =
      idx === ARMV8_PMU_CYCLE_IDX ? ARMV8_PMUV3_PERFCTR_CPU_CYCLES : Number(evtreg & BigInt(kvmPmuEventMask(this.vm.pmuver)));
    if (eventsel === ARMV8_PMUV3_PERFCTR_SW_INCR || eventsel === ARMV8_PMUV3_PERFCTR_CHAIN) return null;
    if (this.vm.pmuFilter && !pmuFilterTest(this.vm.pmuFilter, eventsel)) return null;
    return makeAttr({
      type: this.vm.pmuType,
      config: BigInt(eventsel),
      pinned: true,
      disabled: !this.counterIsEnabled(idx),
      // A guest has no secure state, so NSU/NSK are 0 and U/P alone decide.
      exclude_user: (evtreg & ARMV8_PMU_EXCLUDE_EL0) !== 0n,
      exclude_kernel: (evtreg & ARMV8_PMU_EXCLUDE_EL1) !== 0n,
      exclude_hv: true,
      exclude_host: true,
      config1: this.is64bit(idx) ? PERF_ATTR_CFG1_COUNTER_64BIT : 0n,
      sample_period: this.computePeriod(idx, this.shadow[idx]),
    });
  }

  /** kvm_pmc_is_64bit: the cycle counter, or every counter from PMUv3p5. */
  private is64bit(idx: number): boolean {
    return idx === ARMV8_PMU_CYCLE_IDX || this.vm.pmuver >= ID_AA64DFR0_EL1_PMUVer.V3P5;
  }

  /** kvm_pmc_has_64bit_overflow: LP for event counters, LC for the cycle counter. */
  private has64bitOverflow(idx: number): boolean {
    const pmcr = this.readPmcr();
    if (idx === ARMV8_PMU_CYCLE_IDX) return (pmcr & ARMV8_PMU_PMCR_LC) !== 0n;
    return (pmcr & ARMV8_PMU_PMCR_LP) !== 0n;
  }

  /** kvm_pmu_counter_can_chain: an even event counter with an odd neighbour, overflowing at 32 bits (checklist 69). */
  private counterCanChain(idx: number): boolean {
    return idx % 2 === 0 && idx + 1 < ARMV8_PMU_CYCLE_IDX && !this.has64bitOverflow(idx);
  }

  private counterIsEnabled(idx: number): boolean {
    return (this.pmcr & ARMV8_PMU_PMCR_E) !== 0n && (this.bitmaps.cnten & (1n << BigInt(idx))) !== 0n;
  }

  /**
   * kvm_pmu_counter_increment: one software tick on every enabled counter of
   * `mask` programmed with `event`; a CHAIN counter only ever gets here from
   * its even neighbour's overflow.
   */
  private counterIncrement(mask: bigint, event: number): void {
    if (!(this.pmcr & ARMV8_PMU_PMCR_E)) return;
    const eventMask = BigInt(kvmPmuEventMask(this.vm.pmuver));
    for (const i of bitsOf(mask & this.bitmaps.cnten & ((1n << BigInt(ARMV8_PMU_CYCLE_IDX)) - 1n))) {
      if ((this.evtyper[i] & eventMask) !== BigInt(event)) continue;
      const reg = (this.shadow[i] + 1n) & (this.is64bit(i) ? U64 : U32);
      this.shadow[i] = reg;
      if ((this.has64bitOverflow(i) ? reg : reg & U32) !== 0n) continue;
      this.bitmaps.ovs |= 1n << BigInt(i);
      if (this.counterCanChain(i)) this.counterIncrement(1n << BigInt(i + 1), ARMV8_PMUV3_PERFCTR_CHAIN);
    }
  }

  /**
   * compute_period: events until the counter wraps at its overflow width.
   * At 0 the kernel's formula gives 0, a counting (non-sampling) event that
   * would never call back; the architectural answer is a full wrap, capped
   * at what perf accepts for 64-bit overflow.
   */
  private computePeriod(idx: number, counter: bigint): bigint {
    const wide = this.is64bit(idx) && this.has64bitOverflow(idx);
    const period = -counter & (wide ? U64 : U32);
    if (period !== 0n) return period > MAX_SAMPLE_PERIOD ? MAX_SAMPLE_PERIOD : period;
    return wide ? MAX_SAMPLE_PERIOD : 1n << 32n;
  }

  /** Counters beyond PMCR_EL0.N are unimplemented: the guest's access UNDEFs. */
  private checkIdx(idx: number): number {
    if (!Number.isInteger(idx) || idx < 0 || !(this.implementedMask() & (1n << BigInt(idx)))) {
      throw new RangeError(`PMU counter ${idx} is not implemented (PMCR_EL0.N=${this.vm.pmcrN}): UNDEF`);
    }
    return idx;
  }
}

function bitmapOf(reg: PmuBitmapReg): 'cnten' | 'ovs' | 'inten' {
  if (reg.startsWith('PMCNTEN')) return 'cnten';
  return reg.startsWith('PMOVS') ? 'ovs' : 'inten';
}

function bitsOf(mask: bigint): number[] {
  const bits: number[] = [];
  for (let i = 0; i < 32; i++) if (mask & (1n << BigInt(i))) bits.push(i);
  return bits;
}
