/**
 * Per-VM PMU switches and the mediated vPMU's enablement and interception
 * rules (arch/x86/kvm/x86.c, pmu.c, vmx/capabilities.h; shared reference
 * §5.1, §6.1, §6.2), as pure state and predicates for the VM and run loop.
 */
import type { PmuModel } from '../../hw/pmu-model';
import { Errno } from '../../perf/errno';
import { AMD64_EVENTSEL_GUESTONLY, AMD64_EVENTSEL_HOSTONLY, ARCH_PERFMON_EVENTSEL_ENABLE } from './msr';
import { kvm_pmu_refresh, type GuestPmuCpuid, type X86Vendor } from './pmu-refresh';

/** KVM_CAP_PMU_CAPABILITY args[0] flag. */
export const KVM_PMU_CAP_DISABLE = 1 << 0;
const KVM_CAP_PMU_VALID_MASK = KVM_PMU_CAP_DISABLE;

/** The PMU state of one VM that KVM_CAP_PMU_CAPABILITY may change. */
export class VmPmuCaps {
  /** kvm->arch.enable_pmu: starts as the kvm.enable_pmu module parameter. */
  enable_pmu: boolean;
  /** kvm->created_vcpus: KVM_CREATE_VCPU calls so far. */
  createdVcpus = 0;
  /** kvm->arch.created_mediated_pmu: sticky once the first vCPU created it. */
  mediatedCreated = false;

  constructor(private readonly moduleEnablePmu: boolean) {
    this.enable_pmu = moduleEnablePmu;
  }

  /**
   * KVM_ENABLE_CAP(KVM_CAP_PMU_CAPABILITY). EINVAL when the module has no
   * PMU or for unknown flags, and — because vCPUs size their PMU at creation
   * and the mediated PMU claims the hardware at the first KVM_CREATE_VCPU —
   * once any vCPU exists or the mediated PMU was created. Flags 0 turns the
   * PMU back on while that is still possible.
   */
  enableCap(flags: number): 0 | number {
    if (!this.moduleEnablePmu || flags & ~KVM_CAP_PMU_VALID_MASK) return -Errno.EINVAL;
    if (this.createdVcpus > 0 || this.mediatedCreated) return -Errno.EINVAL;
    this.enable_pmu = !(flags & KVM_PMU_CAP_DISABLE);
    return 0;
  }
}

/**
 * Whether a host can run mediated vPMUs: Intel needs architectural perfmon
 * v4 and full-width counter writes (the guest's counters are loaded with
 * WRMSR as is), AMD needs PerfMonV2 (global control/status to switch
 * contexts) (kvm-x86:bfee4f07d880, 9ba0bb4ae76a).
 */
export function mediatedSupported(host: PmuModel): boolean {
  if (host.vendor === 'intel') return host.version >= 4 && host.fullWidthWrites;
  if (host.vendor === 'amd') return host.version >= 2;
  return false;
}

/**
 * Under the mediated PMU, event selectors and FIXED_CTR_CTRL are always
 * intercepted: KVM keeps the guest's value and programs its own copy
 * (eventsel_hw), which is how the event filter, the AnyThread ban and the
 * rule against counting host state are enforced (kvm-x86:2904df6692f4).
 */
export function mediatedSelectorsIntercepted(): true {
  return true;
}

/**
 * The hardware selector KVM loads for a mediated guest's selector: on AMD
 * GuestOnly forced on and HostOnly off so the counter stops at #VMEXIT
 * (kvm-x86:a2f4ba534cc5); a filtered-out event loses its ENABLE bit.
 */
export function mediatedEventselHw(eventsel: bigint, vendor: X86Vendor, allowed: boolean): bigint {
  let hw = eventsel;
  if (vendor === 'amd') hw = (hw & ~AMD64_EVENTSEL_HOSTONLY) | AMD64_EVENTSEL_GUESTONLY;
  return allowed ? hw : hw & ~ARCH_PERFMON_EVENTSEL_ENABLE;
}

function sameCountersAsHost(guest: GuestPmuCpuid, host: PmuModel): { counts: boolean; widths: boolean } {
  const pmu = kvm_pmu_refresh(guest, host, true);
  const hostFixedWidth = host.fixed[0]?.width ?? 0;
  return {
    counts: pmu.version > 0 && pmu.nrGp === host.gpCounters && pmu.nrFixed === host.fixed.length,
    widths: pmu.gpWidth === host.gpWidth && pmu.fixedWidth === hostFixedWidth,
  };
}

/**
 * RDPMC runs unintercepted for a mediated guest only if it would read
 * exactly the counters it was given: GP and fixed counts and widths equal
 * the host's (compared with the host, not KVM's caps), and the VMware
 * backdoor's pseudo-PMCs are off (kvm_need_rdpmc_intercept, kvm-x86:80624272129e).
 */
export function rdpmcPassthrough(guest: GuestPmuCpuid, host: PmuModel, vmwareBackdoor = false): boolean {
  const same = sameCountersAsHost(guest, host);
  return !vmwareBackdoor && same.counts && same.widths;
}

/**
 * GLOBAL_CTRL/STATUS/OVF_CTRL (AMD GLOBAL_CTL/STATUS/STATUS_CLR) are passed
 * through only if the vCPU has them (v2+) and exactly the host's counter
 * counts, so every hardware bit exists from the guest's point of view
 * (kvm_need_perf_global_ctrl_intercept).
 */
export function globalCtrlPassthrough(guest: GuestPmuCpuid, host: PmuModel): boolean {
  return kvm_pmu_refresh(guest, host, true).version > 1 && sameCountersAsHost(guest, host).counts;
}

/**
 * Whether a guest can be given PEBS (precise_ip on its backing events):
 * only through the emulated vPMU on an Intel host with PEBS; with the
 * mediated PMU enabled KVM stops advertising it (vmx_get_perf_capabilities).
 */
export function guestPebsSupported(host: PmuModel, mediated: boolean): boolean {
  return !mediated && host.vendor === 'intel' && host.maxPrecise > 0;
}
