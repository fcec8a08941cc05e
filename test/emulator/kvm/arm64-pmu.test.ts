/**
 * The arm64 vPMU surfaces on their own: the KVM_ARM_VCPU_PMU_V3_CTRL
 * attributes, one vCPU's emulated PMUv3 registers, and the partitioned-PMU
 * counter split.
 */
import { describe, expect, it } from 'vitest';
import { ARMV8_PMUV3_PERFCTR_CHAIN } from '../../../emulator/hw/event-codes';
import { MEDIATED_SWITCH_POINT, partitionCounters, SWITCH_POINT } from '../../../emulator/kvm/arm64/partition';
import {
  ARMV8_PMU_EXCLUDE_EL0,
  ARMV8_PMU_EXCLUDE_EL1,
  ARMV8_PMU_PMCR_C,
  ARMV8_PMU_PMCR_E,
  ARMV8_PMU_PMCR_LP,
  ARMV8_PMU_PMCR_P,
  ID_AA64DFR0_EL1_PMUVer,
  KvmPmu,
  pmceidFromEvents,
  type KvmArmPmuVm,
} from '../../../emulator/kvm/arm64/pmu-emul';
import {
  ArmVmPmuCtl,
  KVM_ARM_VCPU_PMU_V3_FILTER as FILTER,
  KVM_ARM_VCPU_PMU_V3_INIT as INIT,
  KVM_ARM_VCPU_PMU_V3_IRQ as IRQ,
  KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS as SET_NR_COUNTERS,
  KVM_ARM_VCPU_PMU_V3_SET_PMU as SET_PMU,
  KVM_EXIT_FAIL_ENTRY_CPU_UNSUPPORTED,
  KVM_PMU_EVENT_ALLOW as ALLOW,
  KVM_PMU_EVENT_DENY as DENY,
  type ArmPmu,
} from '../../../emulator/kvm/arm64/pmu-v3-ctrl';
import { Errno } from '../../../emulator/perf/errno';

const INST_RETIRED = 0x08;
const CPU_CYCLES = 0x11;
const CYCLE_IDX = 31;
const BIG: ArmPmu = { type: 10, nrCounters: 6, pmuver: ID_AA64DFR0_EL1_PMUVer.V3P1, pmceid: pmceidFromEvents([INST_RETIRED, CPU_CYCLES, 0x3f]) };
const LITTLE: ArmPmu = { type: 11, nrCounters: 4, pmuver: ID_AA64DFR0_EL1_PMUVer.V3P1, pmceid: pmceidFromEvents([INST_RETIRED, CPU_CYCLES]) };

function ctl(opts: { vcpuHasPmu?: boolean[]; inKernelIrqchip?: boolean } = {}) {
  return new ArmVmPmuCtl({ hostPmus: [BIG, LITTLE], vcpuHasPmu: opts.vcpuHasPmu ?? [true, true], inKernelIrqchip: opts.inKernelIrqchip ?? true });
}

/** vCPU 0 configured, initialized and run once. */
function ranVm() {
  const vm = ctl();
  vm.vgicInit();
  expect(vm.setAttr(0, IRQ, 23)).toBe(0);
  expect(vm.setAttr(0, INIT)).toBe(0);
  expect(vm.firstRun(0)).toBe(0);
  return vm;
}

function pmu(pmuver: number = ID_AA64DFR0_EL1_PMUVer.V3P1, pmcrN = 6) {
  const vm: KvmArmPmuVm = { pmcrN, pmuver, pmuType: BIG.type, hostPmceid: BIG.pmceid, pmuFilter: null };
  return new KvmPmu(vm);
}

const none = () => 0n;

describe('KVM_ARM_VCPU_PMU_V3_CTRL attributes', () => {
  it('checklist 61: ENODEV without the PMU feature, EBUSY after INIT, ENXIO for an unknown attribute', () => {
    const vm = ctl({ vcpuHasPmu: [true, false] });
    expect(vm.setAttr(1, IRQ, 23)).toBe(-Errno.ENODEV);
    expect(vm.setAttr(1, INIT)).toBe(-Errno.ENODEV);
    expect(vm.hasAttr(1, IRQ)).toBe(-Errno.ENXIO);
    expect(vm.setAttr(0, 9, 0)).toBe(-Errno.ENXIO);
    expect(vm.hasAttr(0, 9)).toBe(-Errno.ENXIO);
    expect(vm.hasAttr(0, SET_NR_COUNTERS)).toBe(0);
    vm.vgicInit();
    expect(vm.setAttr(0, IRQ, 23)).toBe(0);
    expect(vm.setAttr(0, INIT)).toBe(0);
    expect(vm.setAttr(0, FILTER, { base_event: 0, nevents: 1, action: DENY })).toBe(-Errno.EBUSY);
    expect(vm.setAttr(0, SET_PMU, BIG.type)).toBe(-Errno.EBUSY);
    expect(vm.setAttr(0, INIT)).toBe(-Errno.EBUSY);
  });

  it('checklist 62: one PPI for all vCPUs, a distinct SPI each, EBUSY on a second set, EINVAL without an in-kernel irqchip', () => {
    expect(ctl({ inKernelIrqchip: false }).setAttr(0, IRQ, 23)).toBe(-Errno.EINVAL);

    const ppi = ctl();
    expect(ppi.setAttr(0, IRQ, 23)).toBe(0);
    expect(ppi.setAttr(1, IRQ, 22)).toBe(-Errno.EINVAL);
    expect(ppi.setAttr(1, IRQ, 23)).toBe(0);
    expect(ppi.setAttr(0, IRQ, 23)).toBe(-Errno.EBUSY);
    expect(ppi.getAttr(1, IRQ)).toBe(23);

    const spi = ctl();
    expect(spi.setAttr(0, IRQ, 40)).toBe(0);
    expect(spi.setAttr(1, IRQ, 40)).toBe(-Errno.EINVAL);
    expect(spi.setAttr(1, IRQ, 41)).toBe(0);
    // SGIs are neither.
    expect(ctl().setAttr(0, IRQ, 5)).toBe(-Errno.EINVAL);
    expect(ctl().getAttr(0, IRQ)).toBe(-Errno.ENXIO);
  });

  it('checklist 63: INIT before the vGIC is initialized is ENODEV, without an IRQ ENXIO; KVM_RUN without INIT fails', () => {
    const vm = ctl();
    expect(vm.setAttr(0, INIT)).toBe(-Errno.ENODEV);
    vm.vgicInit();
    expect(vm.setAttr(0, INIT)).toBe(-Errno.ENXIO);
    expect(vm.firstRun(0)).toBe(-Errno.EINVAL);
    expect(vm.setAttr(0, IRQ, 23)).toBe(0);
    expect(vm.setAttr(0, INIT)).toBe(0);
    expect(vm.firstRun(0)).toBe(0);
  });

  it('checklist 64: a first ALLOW makes the default deny, a first DENY the default allow', () => {
    const allow = ctl();
    expect(allow.filterDefault).toBe('allow');
    expect(allow.setAttr(0, FILTER, { base_event: INST_RETIRED, nevents: 1, action: ALLOW })).toBe(0);
    expect(allow.filterDefault).toBe('deny');
    expect(allow.eventAllowed(INST_RETIRED)).toBe(true);
    expect(allow.eventAllowed(CPU_CYCLES)).toBe(false);

    const deny = ctl();
    expect(deny.setAttr(0, FILTER, { base_event: CPU_CYCLES, nevents: 1, action: DENY })).toBe(0);
    expect(deny.filterDefault).toBe('allow');
    expect(deny.eventAllowed(INST_RETIRED)).toBe(true);
    expect(deny.eventAllowed(CPU_CYCLES)).toBe(false);
    // Later ranges set bits on top; they do not reset the default.
    expect(deny.setAttr(1, FILTER, { base_event: CPU_CYCLES, nevents: 1, action: ALLOW })).toBe(0);
    expect(deny.eventAllowed(CPU_CYCLES)).toBe(true);
    expect(deny.filterDefault).toBe('allow');

    expect(deny.setAttr(0, FILTER, { base_event: 0xffff, nevents: 2, action: DENY })).toBe(-Errno.EINVAL);
    expect(deny.setAttr(0, FILTER, { base_event: 0, nevents: 1, action: 2 })).toBe(-Errno.EINVAL);
  });

  it('checklist 64: FILTER after any vCPU ran is EBUSY, even through a vCPU that has not', () => {
    expect(ranVm().setAttr(1, FILTER, { base_event: 0, nevents: 1, action: DENY })).toBe(-Errno.EBUSY);
  });

  it('checklist 65: SET_PMU of an unknown PMU is ENXIO; after a run or against a filter for another PMU EBUSY', () => {
    const vm = ctl();
    expect(vm.setAttr(0, SET_PMU, 99)).toBe(-Errno.ENXIO);
    expect(vm.setAttr(0, SET_PMU, LITTLE.type)).toBe(0);
    expect(vm.pmuType).toBe(LITTLE.type);
    expect(vm.pmcrN).toBe(LITTLE.nrCounters);

    const filtered = ctl();
    expect(filtered.setAttr(0, FILTER, { base_event: 0, nevents: 1, action: DENY })).toBe(0);
    expect(filtered.setAttr(0, SET_PMU, LITTLE.type)).toBe(-Errno.EBUSY);
    expect(filtered.setAttr(0, SET_PMU, BIG.type)).toBe(0);

    expect(ranVm().setAttr(1, SET_PMU, BIG.type)).toBe(-Errno.EBUSY);
  });

  it('checklist 66: SET_NR_COUNTERS needs an explicit PMU and at most its counters, else EINVAL', () => {
    const vm = ctl();
    expect(vm.setAttr(0, SET_NR_COUNTERS, 3)).toBe(-Errno.EINVAL);
    expect(vm.setAttr(0, SET_PMU, BIG.type)).toBe(0);
    expect(vm.setAttr(0, SET_NR_COUNTERS, BIG.nrCounters + 1)).toBe(-Errno.EINVAL);
    expect(vm.setAttr(0, SET_NR_COUNTERS, 3)).toBe(0);
    expect(vm.pmcrN).toBe(3);
    expect((new KvmPmu(vm).readPmcr() >> 11n) & 0x1fn).toBe(3n);
    // Re-selecting a PMU cancels it.
    expect(vm.setAttr(0, SET_PMU, BIG.type)).toBe(0);
    expect(vm.pmcrN).toBe(BIG.nrCounters);
  });

  it('checklist 67: after SET_PMU, running on a CPU that PMU does not cover fails the entry with CPU_UNSUPPORTED and the cpu', () => {
    const bigCpus = [4, 5, 6, 7];
    const vm = ctl();
    // The default PMU does not narrow supported_cpus.
    expect(vm.checkRunCpu(0, 1, bigCpus)).toBeNull();
    expect(vm.setAttr(0, SET_PMU, BIG.type)).toBe(0);
    expect(vm.checkRunCpu(0, 5, bigCpus)).toBeNull();
    expect(vm.checkRunCpu(1, 1, bigCpus)).toEqual({
      exit: 'FAIL_ENTRY',
      reason: 'CPU_UNSUPPORTED',
      hardware_entry_failure_reason: KVM_EXIT_FAIL_ENTRY_CPU_UNSUPPORTED,
      cpu: 1,
    });
  });
});

describe('the emulated PMUv3 registers of a vCPU', () => {
  it('checklist 68: a counter reads shadow + live perf count, cut to 32 bits unless 64-bit', () => {
    const p = pmu();
    p.setCounterValue(2, 100n, 0n);
    expect(p.readCounter(2, 50n)).toBe(150n);
    p.setCounterValue(0, 0xffff_fff0n, 0n);
    expect(p.readCounter(0, 0x20n)).toBe(0x10n);
    // The cycle counter is 64-bit.
    p.setCounterValue(CYCLE_IDX, 0xffff_fff0n, 0n);
    expect(p.readCounter(CYCLE_IDX, 0x20n)).toBe(0x1_0000_0010n);
    // So is every counter from PMUv3p5.
    const p5 = pmu(ID_AA64DFR0_EL1_PMUVer.V3P5);
    p5.setCounterValue(0, 0xffff_fff0n, 0n);
    expect(p5.readCounter(0, 0x20n)).toBe(0x1_0000_0010n);
  });

  it('checklist 68: a write lands exactly whatever the stale event counted, and stopping folds the live count', () => {
    const p = pmu();
    p.setCounterValue(1, 7n, 50n);
    expect(p.readCounter(1, 50n)).toBe(7n);
    p.stopCounter(1, 50n);
    expect(p.readCounter(1, 0n)).toBe(7n);
    p.stopCounter(1, 3n);
    expect(p.readCounter(1, 0n)).toBe(10n);
    expect(() => p.readCounter(6, 0n)).toThrow(/UNDEF/);
  });

  it('backs a counter with a pinned, host-excluded event of the host PMU, period to the 32-bit wrap', () => {
    const p = pmu();
    p.setCounterEventType(0, ARMV8_PMU_EXCLUDE_EL1 | BigInt(INST_RETIRED));
    p.setCounterValue(0, 0xffff_ff00n, 0n);
    const attr = p.perfAttr(0);
    expect(attr).toMatchObject({ type: BIG.type, config: BigInt(INST_RETIRED), pinned: true, exclude_host: true, exclude_hv: true });
    expect(attr).toMatchObject({ exclude_kernel: true, exclude_user: false, sample_period: 0x100n, config1: 0n, disabled: true });
    p.handlePmcr(ARMV8_PMU_PMCR_E, none);
    expect(p.writeReg('PMCNTENSET_EL0', 1n)).toEqual([0]);
    expect(p.perfAttr(0)?.disabled).toBe(false);

    p.setCounterEventType(CYCLE_IDX, ARMV8_PMU_EXCLUDE_EL0);
    expect(p.perfAttr(CYCLE_IDX)).toMatchObject({ config: BigInt(CPU_CYCLES), config1: 1n, exclude_user: true, sample_period: 1n << 32n });
  });

  it('checklist 69: an even counter’s overflow ticks its odd neighbour only when that one counts CHAIN', () => {
    const setup = (oddEvent: number, pmuver?: number) => {
      const p = pmu(pmuver);
      p.handlePmcr(ARMV8_PMU_PMCR_E | ARMV8_PMU_PMCR_LP, none);
      p.writeReg('PMCNTENSET_EL0', 0b111n);
      p.setCounterEventType(0, BigInt(INST_RETIRED));
      p.setCounterEventType(1, BigInt(oddEvent));
      p.setCounterEventType(2, BigInt(ARMV8_PMUV3_PERFCTR_CHAIN));
      p.setCounterValue(0, 0xffff_ffffn, 0n);
      return p;
    };
    const chained = setup(ARMV8_PMUV3_PERFCTR_CHAIN);
    expect(chained.pmcOverflow(0, 1n)).toBe(1n << 32n);
    expect(chained.readReg('PMOVSSET_EL0')).toBe(1n);
    expect(chained.readCounter(1, 0n)).toBe(1n);
    // KVM counts CHAIN itself: no backing event.
    expect(chained.perfAttr(1)).toBeNull();
    // An odd counter's overflow chains nowhere.
    chained.setCounterValue(1, 0xffff_ffffn, 0n);
    chained.pmcOverflow(0, 1n);
    expect(chained.readCounter(1, 0n)).toBe(0n);
    expect(chained.readCounter(2, 0n)).toBe(0n);

    const unchained = setup(CPU_CYCLES);
    unchained.pmcOverflow(0, 1n);
    expect(unchained.readCounter(1, 0n)).toBe(0n);
    // With 64-bit overflow (PMUv3p5 and LP) nothing chains.
    const long = setup(ARMV8_PMUV3_PERFCTR_CHAIN, ID_AA64DFR0_EL1_PMUVer.V3P5);
    long.pmcOverflow(0, 1n);
    expect(long.readCounter(1, 0n)).toBe(0n);
  });

  it('checklist 70: PMCR.P/C reset the counters but read back as 0; LP is dropped below PMUv3p5', () => {
    const p = pmu();
    p.setCounterValue(0, 5n, 0n);
    p.setCounterValue(CYCLE_IDX, 9n, 0n);
    const live = () => 10n;
    expect(p.handlePmcr(ARMV8_PMU_PMCR_P | ARMV8_PMU_PMCR_LP, live)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(p.readCounter(0, 10n)).toBe(0n);
    expect(p.readCounter(CYCLE_IDX, 10n)).toBe(19n);
    expect(p.handlePmcr(ARMV8_PMU_PMCR_C, live)).toEqual([CYCLE_IDX]);
    expect(p.readCounter(CYCLE_IDX, 10n)).toBe(0n);
    expect(p.readPmcr() & (ARMV8_PMU_PMCR_P | ARMV8_PMU_PMCR_C | ARMV8_PMU_PMCR_LP)).toBe(0n);

    const p5 = pmu(ID_AA64DFR0_EL1_PMUVer.V3P5);
    p5.handlePmcr(ARMV8_PMU_PMCR_E | ARMV8_PMU_PMCR_LP, none);
    expect(p5.readPmcr() & ARMV8_PMU_PMCR_LP).toBe(ARMV8_PMU_PMCR_LP);
  });

  it('checklist 71: the overflow line is any(PMOVSSET & PMINTENSET) under PMCR.E, re-evaluated at entry/exit', () => {
    const p = pmu();
    p.writeReg('PMOVSSET_EL0', 0b100n);
    p.writeReg('PMINTENSET_EL1', 0b100n);
    expect(p.irqLevel()).toBe(false);
    p.handlePmcr(ARMV8_PMU_PMCR_E, none);
    expect(p.irqLevel()).toBe(true);
    expect(p.updateState()).toBe(true);
    expect(p.updateState()).toBe(false);
    p.writeReg('PMINTENCLR_EL1', 0b100n);
    expect(p.irqLevel()).toBe(false);
    expect(p.updateState()).toBe(true);
    // Writes to unimplemented counters are dropped.
    p.writeReg('PMOVSSET_EL0', 1n << 20n);
    expect(p.readReg('PMOVSSET_EL0')).toBe(0b100n);
  });

  it('checklist 72: PMCEID0 always has SW_INCR and CHAIN; filtered events disappear', () => {
    expect(BIG.pmceid[0] & 1n).toBe(0n);
    const vm = ctl();
    const p = new KvmPmu(vm);
    const pmceid0 = p.getPmceid(false);
    for (const e of [0, ARMV8_PMUV3_PERFCTR_CHAIN, INST_RETIRED, CPU_CYCLES]) expect((pmceid0 >> BigInt(e)) & 1n).toBe(1n);
    // STALL_SLOT (0x3F) is hidden from PMCEID1.
    expect(BIG.pmceid[1] >> 31n).toBe(1n);
    expect(p.getPmceid(true) >> 31n).toBe(0n);

    expect(vm.setAttr(0, FILTER, { base_event: INST_RETIRED, nevents: 1, action: DENY })).toBe(0);
    expect((p.getPmceid(false) >> BigInt(INST_RETIRED)) & 1n).toBe(0n);
    expect((p.getPmceid(false) >> BigInt(CPU_CYCLES)) & 1n).toBe(1n);
    p.setCounterEventType(0, BigInt(INST_RETIRED));
    expect(p.perfAttr(0)).toBeNull();
  });
});

describe('the partitioned PMU proposal', () => {
  it('checklist 73: host perf uses only counters from HPMN up, never the cycle counter', () => {
    expect(partitionCounters(6, 2)).toEqual({ hpmn: 4, host: [4, 5], guest: [0, 1, 2, 3], cycleCounterToGuest: true });
    for (let reserved = 0; reserved < 6; reserved++) {
      const part = partitionCounters(6, reserved);
      expect(part.host).toHaveLength(reserved);
      expect(part.host.every((i) => i >= part.hpmn && i !== CYCLE_IDX)).toBe(true);
    }
    expect(() => partitionCounters(6, 7)).toThrow(RangeError);
    expect(() => partitionCounters(6, -1)).toThrow(/no partition/);
    expect(() => partitionCounters(6, 6)).toThrow(/FEAT_HPMN0/);
    expect(partitionCounters(6, 6, { hpmn0: true }).guest).toEqual([]);
  });

  it('checklist 74: swaps the guest PMU at vcpu_load/vcpu_put, not around the inner run loop like x86 mediated', () => {
    expect(SWITCH_POINT).toBe('vcpu_load/vcpu_put');
    expect(MEDIATED_SWITCH_POINT).toBe('inner run loop');
  });
});
