/**
 * The x86 KVM vPMU register surface (emulator/kvm/x86): MSRs, RDPMC,
 * backing-event attrs, overflow → LVTPC, and the per-VM / mediated rules,
 * against the shared reference's checklist items 35–42, 47, 53–55 and 60.
 */
import { describe, expect, it } from 'vitest';
import { pmuModelFor } from '../../../emulator/hw/pmu-model';
import { PERF_TYPE_RAW } from '../../../emulator/perf/attr';
import { Errno } from '../../../emulator/perf/errno';
import { APIC_DM_NMI, PmiInjector, VirtualLvtpc } from '../../../emulator/kvm/x86/lvtpc';
import {
  ARCH_PERFMON_EVENTSEL_ANY,
  ARCH_PERFMON_EVENTSEL_ENABLE,
  ARCH_PERFMON_EVENTSEL_INT,
  ARCH_PERFMON_EVENTSEL_OS,
  ARCH_PERFMON_EVENTSEL_USR,
  AMD64_EVENTSEL_GUESTONLY,
  AMD64_EVENTSEL_HOSTONLY,
  INTEL_FIXED_0_ANYTHREAD,
  MSR_AMD64_PERF_CNTR_GLOBAL_STATUS,
  MSR_CORE_PERF_FIXED_CTR0,
  MSR_CORE_PERF_FIXED_CTR_CTRL,
  MSR_CORE_PERF_GLOBAL_CTRL,
  MSR_CORE_PERF_GLOBAL_OVF_CTRL,
  MSR_CORE_PERF_GLOBAL_STATUS,
  MSR_F15H_PERF_CTL0,
  MSR_F15H_PERF_CTR0,
  MSR_IA32_PERFCTR0,
  MSR_IA32_PMC0,
  MSR_K7_EVNTSEL0,
  MSR_P6_EVNTSEL0,
} from '../../../emulator/kvm/x86/msr';
import { pmcBackingAttr, pmcOverflow, pmcRead, reprogramCounter } from '../../../emulator/kvm/x86/pmc';
import {
  globalCtrlPassthrough,
  guestPebsSupported,
  KVM_PMU_CAP_DISABLE,
  mediatedEventselHw,
  mediatedSelectorsIntercepted,
  mediatedSupported,
  rdpmcPassthrough,
  VmPmuCaps,
} from '../../../emulator/kvm/x86/pmu-capability';
import type { GuestPmuCpuid } from '../../../emulator/kvm/x86/pmu-refresh';
import { KvmPmu, type KvmPmuHooks } from '../../../emulator/kvm/x86/vpmu-regs';

const INTEL_HOST = pmuModelFor('x86_64', 'intel');
const AMD_HOST = pmuModelFor('x86_64', 'amd');
const M48 = (1n << 48n) - 1n;

const intel = (o: Partial<GuestPmuCpuid> = {}): GuestPmuCpuid => ({
  vendor: 'intel',
  version: 2,
  nrGp: 8,
  gpWidth: 48,
  nrFixed: 3,
  fixedWidth: 48,
  fullWidthWrites: true,
  ...o,
});
const amd = (o: Partial<GuestPmuCpuid> = {}): GuestPmuCpuid => ({
  vendor: 'amd',
  version: 2,
  nrGp: 6,
  gpWidth: 48,
  nrFixed: 0,
  fixedWidth: 0,
  fullWidthWrites: false,
  ...o,
});
const intelPmu = (o: Partial<GuestPmuCpuid> = {}, hooks?: KvmPmuHooks) => new KvmPmu(intel(o), INTEL_HOST, hooks);
const amdPmu = (o: Partial<GuestPmuCpuid> = {}) => new KvmPmu(amd(o), AMD_HOST);
const GP = { fault: '#GP' };
const read = (pmu: KvmPmu, msr: number) => pmu.kvm_pmu_get_msr(msr, false);
const EN_USR_OS = ARCH_PERFMON_EVENTSEL_ENABLE | ARCH_PERFMON_EVENTSEL_USR | ARCH_PERFMON_EVENTSEL_OS;

describe('guest PMU model from CPUID (§5.1, §5.1a)', () => {
  it('caps the version at 2 and clamps counters and widths to the host', () => {
    const pmu = intelPmu({ version: 5, nrGp: 16, gpWidth: 64, nrFixed: 4 });
    expect(pmu.version).toBe(2);
    expect(pmu.gp_counters).toHaveLength(8);
    expect(pmu.fixed_counters).toHaveLength(3);
    expect(pmu.gp_counters[0].mask).toBe(M48);
  });

  it('version 1 has GP counters but no fixed counters and no GLOBAL_* MSRs', () => {
    const pmu = intelPmu({ version: 1 });
    expect(read(pmu, MSR_IA32_PERFCTR0)).toEqual({ ok: true, value: 0n });
    expect(read(pmu, MSR_CORE_PERF_FIXED_CTR0)).toEqual(GP);
    expect(read(pmu, MSR_CORE_PERF_FIXED_CTR_CTRL)).toEqual(GP);
    expect(read(pmu, MSR_CORE_PERF_GLOBAL_CTRL)).toEqual(GP);
  });

  it('version 0 #GPs every PMU MSR except the P6/K7 ones KVM silently reads as 0', () => {
    const pmu = intelPmu({ version: 0 });
    expect(read(pmu, MSR_CORE_PERF_GLOBAL_CTRL)).toEqual(GP);
    expect(read(pmu, MSR_P6_EVNTSEL0 + 2)).toEqual(GP);
    expect(read(pmu, MSR_IA32_PMC0)).toEqual(GP);
    expect(read(pmu, MSR_IA32_PERFCTR0)).toEqual({ ok: true, value: 0n });
    expect(pmu.kvm_pmu_set_msr(MSR_P6_EVNTSEL0, 0x4300c0n, false)).toEqual({ ok: true });
  });

  it('GLOBAL_CTRL comes out of reset with every GP enable set', () => {
    expect(read(intelPmu(), MSR_CORE_PERF_GLOBAL_CTRL)).toEqual({ ok: true, value: 0xffn });
  });
});

describe('backing events (checklist 35, 36)', () => {
  it('checklist 35: a GP selector becomes a pinned, guest-only RAW event with USR/OS as excludes', () => {
    const pmu = intelPmu();
    const sel = ARCH_PERFMON_EVENTSEL_ENABLE | ARCH_PERFMON_EVENTSEL_USR | ARCH_PERFMON_EVENTSEL_INT | 0x01c4n;
    expect(pmu.kvm_pmu_set_msr(MSR_P6_EVNTSEL0, sel, false)).toEqual({ ok: true });
    const [pmc] = pmu.takeReprogram();
    const act = reprogramCounter(pmc, 0n, true, false);
    expect(act.action).toBe('create');
    if (act.action !== 'create') return;
    expect(act.attr).toMatchObject({
      type: PERF_TYPE_RAW,
      config: 0x01c4n,
      pinned: true,
      exclude_idle: true,
      exclude_host: true,
      exclude_guest: false,
      exclude_user: false,
      exclude_kernel: true,
    });
  });

  it('checklist 35: OS-only selects exclude_user; AMD keeps event-select bits 35:32 in config', () => {
    const pmu = amdPmu();
    pmu.kvm_pmu_set_msr(MSR_F15H_PERF_CTL0, ARCH_PERFMON_EVENTSEL_ENABLE | ARCH_PERFMON_EVENTSEL_OS | 0x1_0000_0120n | 0x100n, false);
    const attr = pmcBackingAttr(pmu.gp_counters[0]);
    expect(attr.config).toBe(0x1_0000_0120n | 0x100n);
    expect(attr.exclude_user).toBe(true);
    expect(attr.exclude_kernel).toBe(false);
  });

  it('checklist 35: a fixed counter takes OS/USR from its FIXED_CTR_CTRL field', () => {
    const pmu = intelPmu();
    pmu.kvm_pmu_set_msr(MSR_CORE_PERF_FIXED_CTR_CTRL, 0x2n << 4n, false); // fixed 1: USR only
    const attr = pmcBackingAttr(pmu.fixed_counters[1]);
    expect(attr.config).toBe(0x003cn);
    expect(attr.exclude_user).toBe(false);
    expect(attr.exclude_kernel).toBe(true);
  });

  it('checklist 36: sample_period is (-counter) & mask, a full lap when the counter is 0', () => {
    const pmu = intelPmu();
    const pmc = pmu.gp_counters[0];
    expect(pmcBackingAttr(pmc).sample_period).toBe(1n << 48n);
    pmu.kvm_pmu_set_msr(MSR_IA32_PMC0, (1n << 48n) - 1000n, false);
    expect(pmcBackingAttr(pmc).sample_period).toBe(1000n);
    pmu.kvm_pmu_set_msr(MSR_IA32_PERFCTR0, BigInt.asUintN(32, -250n), false);
    expect(pmcBackingAttr(pmc).sample_period).toBe(250n);
  });
});

describe('counter MSRs (checklist 37)', () => {
  it('checklist 37: a guest legacy PMC write is sign-extended from bit 31, full-width takes all bits', () => {
    const pmu = intelPmu();
    pmu.kvm_pmu_set_msr(MSR_IA32_PERFCTR0, 0x8000_0000n, false);
    expect(read(pmu, MSR_IA32_PERFCTR0)).toEqual({ ok: true, value: 0xffff_8000_0000n });
    pmu.kvm_pmu_set_msr(MSR_IA32_PMC0 + 1, 0x8000_0000n, false);
    expect(read(pmu, MSR_IA32_PERFCTR0 + 1)).toEqual({ ok: true, value: 0x8000_0000n });
    pmu.kvm_pmu_set_msr(MSR_IA32_PERFCTR0 + 2, 0x8000_0000n, true);
    expect(read(pmu, MSR_IA32_PERFCTR0 + 2)).toEqual({ ok: true, value: 0x8000_0000n });
  });

  it('checklist 37: full-width writes beyond the width #GP, and the alias needs FW_WRITES', () => {
    expect(intelPmu().kvm_pmu_set_msr(MSR_IA32_PMC0, 1n << 48n, false)).toEqual(GP);
    expect(intelPmu({ fullWidthWrites: false }).kvm_pmu_set_msr(MSR_IA32_PMC0, 1n, false)).toEqual(GP);
  });

  it('checklist 37: AMD counter MSRs take the value without sign extension', () => {
    const pmu = amdPmu();
    pmu.kvm_pmu_set_msr(MSR_F15H_PERF_CTR0, 0x8000_0000n, false);
    expect(read(pmu, MSR_F15H_PERF_CTR0)).toEqual({ ok: true, value: 0x8000_0000n });
  });

  it('a counter write is relative to the live backing-event count', () => {
    let live = 100n;
    const pmu = intelPmu({}, { perfCount: () => live, updateSamplePeriod: () => undefined });
    pmu.kvm_pmu_set_msr(MSR_IA32_PMC0, 1000n, false);
    expect(read(pmu, MSR_IA32_PMC0)).toEqual({ ok: true, value: 1000n });
    live = 150n;
    expect(read(pmu, MSR_IA32_PMC0)).toEqual({ ok: true, value: 1050n });
    expect(pmcRead(pmu.gp_counters[0], M48)).toBe(899n);
  });
});

describe('status, reserved bits and reprogramming (checklist 38)', () => {
  it('checklist 38: a guest GLOBAL_STATUS write #GPs on Intel, is ignored on AMD; host writes succeed', () => {
    const i = intelPmu();
    expect(i.kvm_pmu_set_msr(MSR_CORE_PERF_GLOBAL_STATUS, 1n, false)).toEqual(GP);
    expect(i.kvm_pmu_set_msr(MSR_CORE_PERF_GLOBAL_STATUS, 1n, true)).toEqual({ ok: true });
    expect(read(i, MSR_CORE_PERF_GLOBAL_STATUS)).toEqual({ ok: true, value: 1n });
    const a = amdPmu();
    expect(a.kvm_pmu_set_msr(MSR_AMD64_PERF_CNTR_GLOBAL_STATUS, 1n, false)).toEqual({ ok: true });
    expect(read(a, MSR_AMD64_PERF_CNTR_GLOBAL_STATUS)).toEqual({ ok: true, value: 0n });
    expect(a.kvm_pmu_set_msr(MSR_AMD64_PERF_CNTR_GLOBAL_STATUS, 2n, true)).toEqual({ ok: true });
    expect(read(a, MSR_AMD64_PERF_CNTR_GLOBAL_STATUS)).toEqual({ ok: true, value: 2n });
  });

  it('checklist 38: host-initiated GLOBAL_STATUS still rejects reserved bits; OVF_CTRL clears', () => {
    const pmu = intelPmu();
    expect(pmu.kvm_pmu_set_msr(MSR_CORE_PERF_GLOBAL_STATUS, 1n << 8n, true)).toEqual(GP);
    pmu.kvm_pmu_set_msr(MSR_CORE_PERF_GLOBAL_STATUS, 0b101n, true);
    pmu.kvm_pmu_set_msr(MSR_CORE_PERF_GLOBAL_OVF_CTRL, 0b001n, false);
    expect(read(pmu, MSR_CORE_PERF_GLOBAL_STATUS)).toEqual({ ok: true, value: 0b100n });
  });

  it('Intel #GPs reserved selector bits (AnyThread, 63:32); AMD drops them (Host/GuestOnly)', () => {
    const i = intelPmu();
    expect(i.kvm_pmu_set_msr(MSR_P6_EVNTSEL0, ARCH_PERFMON_EVENTSEL_ANY | 0xc0n, false)).toEqual(GP);
    expect(i.kvm_pmu_set_msr(MSR_P6_EVNTSEL0, (1n << 32n) | 0xc0n, false)).toEqual(GP);
    expect(i.kvm_pmu_set_msr(MSR_CORE_PERF_FIXED_CTR_CTRL, INTEL_FIXED_0_ANYTHREAD, false)).toEqual(GP);
    const a = amdPmu();
    expect(a.kvm_pmu_set_msr(MSR_K7_EVNTSEL0, AMD64_EVENTSEL_HOSTONLY | 0x76n, false)).toEqual({ ok: true });
    expect(read(a, MSR_K7_EVNTSEL0)).toEqual({ ok: true, value: 0x76n });
  });

  it('queues for reprogram only what a selector, fixed-ctrl or global-ctrl write changed', () => {
    const pmu = intelPmu();
    pmu.kvm_pmu_set_msr(MSR_P6_EVNTSEL0 + 3, 0x4300c0n, false);
    pmu.kvm_pmu_set_msr(MSR_CORE_PERF_FIXED_CTR_CTRL, 0x3n << 8n, false);
    expect(pmu.takeReprogram().map((p) => p.idx)).toEqual([3, 34]);
    pmu.kvm_pmu_set_msr(MSR_P6_EVNTSEL0 + 3, 0x4300c0n, false);
    expect(pmu.takeReprogram()).toEqual([]);
    pmu.kvm_pmu_set_msr(MSR_CORE_PERF_GLOBAL_CTRL, 0xfen | (1n << 32n), false);
    expect(pmu.takeReprogram().map((p) => p.idx)).toEqual([0, 32]);
  });

  it('an unchanged config resumes the existing event; a disabled counter pauses', () => {
    const pmu = intelPmu();
    pmu.kvm_pmu_set_msr(MSR_P6_EVNTSEL0, EN_USR_OS | 0xc0n, false);
    const pmc = pmu.gp_counters[0];
    expect(reprogramCounter(pmc, 0n, true, false).action).toBe('create');
    expect(reprogramCounter(pmc, 40n, true, true)).toEqual({ action: 'resume', sample_period: (1n << 48n) - 40n });
    pmu.kvm_pmu_set_msr(MSR_CORE_PERF_GLOBAL_CTRL, 0n, false);
    expect(reprogramCounter(pmc, 2n, true, true)).toEqual({ action: 'pause' });
    expect(pmc.counter).toBe(42n);
  });
});

describe('overflow and virtual PMI (checklist 39, 40, 41)', () => {
  it('checklist 39: overflow sets the GLOBAL_STATUS bit; a PMI only with INT / the PMI field bit', () => {
    const pmu = intelPmu();
    pmu.kvm_pmu_set_msr(MSR_P6_EVNTSEL0, EN_USR_OS | ARCH_PERFMON_EVENTSEL_INT | 0xc0n, false);
    pmu.kvm_pmu_set_msr(MSR_P6_EVNTSEL0 + 1, EN_USR_OS | 0xc4n, false);
    pmu.kvm_pmu_set_msr(MSR_CORE_PERF_FIXED_CTR_CTRL, 0xbn, false);
    pmu.takeReprogram();
    expect(pmcOverflow(pmu.gp_counters[0])).toBe(true);
    expect(pmcOverflow(pmu.gp_counters[1])).toBe(false);
    expect(pmcOverflow(pmu.fixed_counters[0])).toBe(true);
    expect(pmu.global_status).toBe(0b11n | (1n << 32n));
  });

  it('checklist 39: an overflow of a counter already queued for reprogram is ignored', () => {
    const pmu = intelPmu();
    pmu.kvm_pmu_set_msr(MSR_P6_EVNTSEL0, EN_USR_OS | ARCH_PERFMON_EVENTSEL_INT | 0xc0n, false);
    expect(pmcOverflow(pmu.gp_counters[0])).toBe(false);
    expect(pmu.global_status).toBe(0n);
  });

  it('checklist 40: Intel-model guests get LVTPC masked after a PMI, AMD-model guests do not', () => {
    const i = new VirtualLvtpc();
    i.reg = APIC_DM_NMI;
    expect(i.deliver('intel')).toEqual({ mode: APIC_DM_NMI, vector: 0 });
    expect(i.masked).toBe(true);
    expect(i.deliver('intel')).toBeNull();
    const a = new VirtualLvtpc();
    a.reg = APIC_DM_NMI;
    expect(a.deliver('amd')).not.toBeNull();
    expect(a.masked).toBe(false);
    expect(a.deliver('amd')).not.toBeNull();
  });

  it('checklist 41: several overflows before one VM-entry inject a single PMI', () => {
    const pmu = amdPmu();
    const lvtpc = new VirtualLvtpc();
    lvtpc.reg = APIC_DM_NMI;
    const injector = new PmiInjector(lvtpc, 'amd');
    for (let i = 0; i < 3; i++) {
      pmu.kvm_pmu_set_msr(MSR_F15H_PERF_CTL0 + 2 * i, EN_USR_OS | ARCH_PERFMON_EVENTSEL_INT | 0x76n, false);
    }
    pmu.takeReprogram();
    for (const pmc of pmu.gp_counters.slice(0, 3)) if (pmcOverflow(pmc)) injector.request();
    expect(injector.onVmEntry()).not.toBeNull();
    expect(injector.onVmEntry()).toBeNull();
    injector.request();
    expect(injector.onVmEntry()).not.toBeNull();
  });
});

describe('RDPMC (checklist 42)', () => {
  it('checklist 42: #GP at CPL>0 with CR4.PCE=0 in protected mode only', () => {
    const pmu = intelPmu();
    pmu.kvm_pmu_set_msr(MSR_IA32_PMC0, 77n, false);
    expect(pmu.kvm_pmu_rdpmc(0, 3, false, true)).toEqual(GP);
    expect(pmu.kvm_pmu_rdpmc(0, 3, true, true)).toEqual({ ok: true, value: 77n });
    expect(pmu.kvm_pmu_rdpmc(0, 0, false, true)).toEqual({ ok: true, value: 77n });
    expect(pmu.kvm_pmu_rdpmc(0, 3, false, false)).toEqual({ ok: true, value: 77n });
  });

  it('checklist 42: #GP for an invalid index or a PMU of version 0', () => {
    const pmu = intelPmu();
    pmu.kvm_pmu_set_msr(MSR_CORE_PERF_FIXED_CTR0 + 2, 5n, false);
    expect(pmu.kvm_pmu_rdpmc((1 << 30) | 2, 0, false, true)).toEqual({ ok: true, value: 5n });
    expect(pmu.kvm_pmu_rdpmc((1 << 30) | 3, 0, false, true)).toEqual(GP);
    expect(pmu.kvm_pmu_rdpmc(8, 0, false, true)).toEqual(GP);
    expect(pmu.kvm_pmu_rdpmc(0x8000_0000, 0, false, true)).toEqual(GP);
    expect(intelPmu({ version: 0 }).kvm_pmu_rdpmc(0, 0, true, true)).toEqual(GP);
    expect(amdPmu().kvm_pmu_rdpmc(5, 0, false, true)).toEqual({ ok: true, value: 0n });
    expect(amdPmu().kvm_pmu_rdpmc(6, 0, false, true)).toEqual(GP);
  });
});

describe('per-VM switch and mediated rules (checklist 47, 53, 54, 55, 60)', () => {
  it('checklist 47: KVM_PMU_CAP_DISABLE works only before the first vCPU and the mediated PMU', () => {
    const vm = new VmPmuCaps(true);
    expect(vm.enableCap(KVM_PMU_CAP_DISABLE)).toBe(0);
    expect(vm.enable_pmu).toBe(false);
    expect(vm.enableCap(0)).toBe(0);
    expect(vm.enable_pmu).toBe(true);
    expect(vm.enableCap(2)).toBe(-Errno.EINVAL);
    vm.createdVcpus = 1;
    expect(vm.enableCap(KVM_PMU_CAP_DISABLE)).toBe(-Errno.EINVAL);
    expect(vm.enable_pmu).toBe(true);
    const mediated = new VmPmuCaps(true);
    mediated.mediatedCreated = true;
    expect(mediated.enableCap(KVM_PMU_CAP_DISABLE)).toBe(-Errno.EINVAL);
    expect(new VmPmuCaps(false).enableCap(KVM_PMU_CAP_DISABLE)).toBe(-Errno.EINVAL);
  });

  it('checklist 53: mediated needs Intel PMU v4 with full-width writes, or AMD PerfMonV2', () => {
    expect(mediatedSupported(INTEL_HOST)).toBe(true);
    expect(mediatedSupported({ ...INTEL_HOST, version: 3 })).toBe(false);
    expect(mediatedSupported({ ...INTEL_HOST, fullWidthWrites: false })).toBe(false);
    expect(mediatedSupported(AMD_HOST)).toBe(true);
    expect(mediatedSupported({ ...AMD_HOST, version: 1 })).toBe(false);
    expect(mediatedSupported(pmuModelFor('arm64', 'arm'))).toBe(false);
  });

  it('checklist 54: selectors are always intercepted; the hardware copy is KVM-controlled', () => {
    expect(mediatedSelectorsIntercepted()).toBe(true);
    const sel = ARCH_PERFMON_EVENTSEL_ENABLE | AMD64_EVENTSEL_HOSTONLY | 0x76n;
    expect(mediatedEventselHw(sel, 'amd', true)).toBe(ARCH_PERFMON_EVENTSEL_ENABLE | AMD64_EVENTSEL_GUESTONLY | 0x76n);
    expect(mediatedEventselHw(EN_USR_OS | 0xc0n, 'intel', false)).toBe(EN_USR_OS & ~ARCH_PERFMON_EVENTSEL_ENABLE | 0xc0n);
  });

  it("checklist 55: RDPMC passes through only with the host's counter counts and widths", () => {
    expect(rdpmcPassthrough(intel({ version: 5 }), INTEL_HOST)).toBe(true);
    expect(rdpmcPassthrough(intel({ nrGp: 4 }), INTEL_HOST)).toBe(false);
    expect(rdpmcPassthrough(intel({ gpWidth: 40 }), INTEL_HOST)).toBe(false);
    expect(rdpmcPassthrough(intel({ version: 1 }), INTEL_HOST)).toBe(false);
    expect(rdpmcPassthrough(intel(), INTEL_HOST, true)).toBe(false);
    expect(rdpmcPassthrough(amd(), AMD_HOST)).toBe(true);
    expect(rdpmcPassthrough(amd({ nrGp: 4 }), AMD_HOST)).toBe(false);
  });

  it("§6.1: GLOBAL_* pass through only for a v2+ model with the host's counter counts", () => {
    expect(globalCtrlPassthrough(intel({ gpWidth: 40 }), INTEL_HOST)).toBe(true);
    expect(globalCtrlPassthrough(intel({ nrFixed: 2 }), INTEL_HOST)).toBe(false);
    expect(globalCtrlPassthrough(intel({ version: 1 }), INTEL_HOST)).toBe(false);
  });

  it('checklist 60: guest PEBS exists only without the mediated PMU, on an Intel PEBS host', () => {
    expect(guestPebsSupported(INTEL_HOST, false)).toBe(true);
    expect(guestPebsSupported(INTEL_HOST, true)).toBe(false);
    expect(guestPebsSupported(AMD_HOST, false)).toBe(false);
  });
});
