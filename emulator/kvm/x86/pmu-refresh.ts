/**
 * The guest PMU model: what userspace puts in the vCPU's CPUID (and
 * PERF_CAPABILITIES), and what KVM makes of it on a given host when the
 * vCPU's PMU is refreshed (kvm_pmu_refresh, intel_pmu_refresh,
 * amd_pmu_refresh; shared reference §5.1, §5.1a). Both the emulated
 * register surface (vpmu-regs.ts) and the mediated-PMU rules
 * (pmu-capability.ts) start from this shape.
 */
import { INTEL_PMC_IDX_FIXED, type PmuModel } from '../../hw/pmu-model';
import { AMD64_NUM_COUNTERS_CORE } from './msr';

export type X86Vendor = 'intel' | 'amd';

/** The guest PMU as userspace describes it in CPUID (shared reference §5.1a). */
export interface GuestPmuCpuid {
  vendor: X86Vendor;
  /** Intel CPUID.0xA.EAX[7:0]. AMD: 0 = no PMU, 1 = legacy counters, >= 2 = PerfMonV2. */
  version: number;
  /** Intel 0xA.EAX[15:8]; AMD 0x80000022.EBX[3:0] (below PerfMonV2 KVM always exposes 6). */
  nrGp: number;
  /** Intel 0xA.EAX[23:16]. AMD has no such field: KVM's AMD counters are 48 bits wide. */
  gpWidth: number;
  /** Intel 0xA.EDX[4:0] and EDX[12:5]; ignored on AMD and on Intel version 1. */
  nrFixed: number;
  fixedWidth: number;
  /** IA32_PERF_CAPABILITIES.FW_WRITES: the full-width IA32_A_PMCx aliases exist. */
  fullWidthWrites: boolean;
}

/** What KVM makes of the CPUID model on this host (kvm_pmu_refresh). */
export interface KvmPmuShape {
  version: number;
  nrGp: number;
  gpWidth: number;
  nrFixed: number;
  fixedWidth: number;
  fullWidthWrites: boolean;
}

/** pmc->idx of fixed counter 0 (KVM_FIXED_PMC_BASE_IDX == INTEL_PMC_IDX_FIXED). */
export const KVM_FIXED_PMC_BASE_IDX = INTEL_PMC_IDX_FIXED;
/** The emulated vPMU advertises at most architectural perfmon v2 (kvm_init_pmu_capability). */
export const KVM_PMU_MAX_VERSION_EMULATED = 2;
const KVM_MAX_NR_INTEL_GP_COUNTERS = 8;
const KVM_MAX_NR_AMD_GP_COUNTERS = AMD64_NUM_COUNTERS_CORE;
const KVM_MAX_NR_FIXED_COUNTERS = 3;
/** amd_pmu_refresh: counter_bitmask[KVM_PMC_GP] = BIT_ULL(48) - 1. */
const AMD_PMC_WIDTH = 48;

const min = (...v: number[]) => Math.max(0, Math.min(...v));

/**
 * kvm_pmu_refresh: clamp the CPUID model to what KVM supports on this host.
 * Version 0 (or a host without counters) means the vCPU has no PMU; Intel
 * version 1 has no fixed counters. The emulated vPMU caps the version at 2;
 * a mediated vPMU takes the host's (§6, with the caveat of §11a).
 */
export function kvm_pmu_refresh(cpuid: GuestPmuCpuid, host: PmuModel, mediated = false): KvmPmuShape {
  if (host.vendor !== cpuid.vendor) throw new Error(`vPMU: ${cpuid.vendor} guest model on a ${host.vendor} host`);
  const none: KvmPmuShape = { version: 0, nrGp: 0, gpWidth: 0, nrFixed: 0, fixedWidth: 0, fullWidthWrites: false };
  if (cpuid.version === 0 || host.gpCounters === 0) return none;
  const versionCap = mediated ? host.version : Math.min(host.version, KVM_PMU_MAX_VERSION_EMULATED);
  if (cpuid.vendor === 'amd') {
    // PerfMonV2 only if both the model and KVM have it; below it amd_pmu_refresh
    // ignores CPUID and exposes the PerfCtrExtCore count.
    const version = cpuid.version >= 2 && versionCap >= 2 ? 2 : 1;
    const wanted = version >= 2 ? cpuid.nrGp : AMD64_NUM_COUNTERS_CORE;
    const nrGp = min(wanted, KVM_MAX_NR_AMD_GP_COUNTERS, host.gpCounters);
    // AMD counters take full-width writes natively; there are no A_PMCx aliases.
    return { version, nrGp, gpWidth: AMD_PMC_WIDTH, nrFixed: 0, fixedWidth: 0, fullWidthWrites: false };
  }
  const version = min(cpuid.version, versionCap);
  if (version === 0) return none;
  const hostFixedWidth = host.fixed[0]?.width ?? 0;
  return {
    version,
    nrGp: min(cpuid.nrGp, KVM_MAX_NR_INTEL_GP_COUNTERS, host.gpCounters),
    gpWidth: min(cpuid.gpWidth, host.gpWidth),
    nrFixed: version === 1 ? 0 : min(cpuid.nrFixed, KVM_MAX_NR_FIXED_COUNTERS, host.fixed.length),
    fixedWidth: version === 1 ? 0 : min(cpuid.fixedWidth, hostFixedWidth),
    // The guest's PERF_CAPABILITIES must be a subset of KVM's (the host's).
    fullWidthWrites: cpuid.fullWidthWrites && host.fullWidthWrites,
  };
}

