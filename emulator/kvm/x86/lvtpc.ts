/**
 * How an emulated-vPMU overflow reaches the guest: KVM_REQ_PMI, processed
 * once before VM-entry, delivers through the virtual local APIC's LVTPC
 * entry (kvm_pmu_deliver_pmi → kvm_apic_local_deliver; shared reference
 * §5.2 steps 2–4).
 */
import type { X86Vendor } from './pmu-refresh';

export const APIC_VECTOR_MASK = 0xff;
export const APIC_MODE_MASK = 0x700;
/** Delivery mode NMI, what Linux guests program into LVTPC. */
export const APIC_DM_NMI = 0x400;
export const APIC_LVT_MASKED = 1 << 16;

export interface LvtpcDelivery {
  /** Delivery mode bits (APIC_DM_*): NMI for Linux guests. */
  mode: number;
  vector: number;
}

/** The vLAPIC's APIC_LVTPC register. */
export class VirtualLvtpc {
  /** Every LVT entry is masked at reset until the guest's PMU driver programs it. */
  reg = APIC_LVT_MASKED;

  get masked(): boolean {
    return (this.reg & APIC_LVT_MASKED) !== 0;
  }

  set masked(on: boolean) {
    this.reg = on ? this.reg | APIC_LVT_MASKED : this.reg & ~APIC_LVT_MASKED;
  }

  /**
   * Deliver one PMI unless masked. Intel-compatible models then set MASK, as
   * hardware does, so the guest handler must unmask before the next PMI
   * ("KVM: x86: Mask LVTPC when handling a PMI"); AMD hardware does not, and
   * neither does KVM for AMD-model guests ("Do not mask LVTPC ... on AMD").
   */
  deliver(vendor: X86Vendor): LvtpcDelivery | null {
    if (this.masked) return null;
    const delivery = { mode: this.reg & APIC_MODE_MASK, vector: this.reg & APIC_VECTOR_MASK };
    if (vendor === 'intel') this.masked = true;
    return delivery;
  }
}

/**
 * KVM_REQ_PMI as a request flag: any number of overflows (host PMIs, emulated
 * overflows) between two entries raise it, and vcpu_enter_guest consumes it
 * once, so at most one virtual PMI is injected per VM-exit ("KVM: x86/pmu:
 * Synthesize at most one PMI per VM-exit"). A request that finds LVTPC
 * masked is consumed without delivery.
 */
export class PmiInjector {
  private pending = false;

  /**
   * `lapicInKernel` false: the VMM emulates the local APIC, and
   * kvm_pmu_deliver_pmi delivers only through the in-kernel one, so every
   * request is consumed with no PMI (§5.2 step 2).
   */
  constructor(
    readonly lvtpc: VirtualLvtpc,
    private readonly vendor: X86Vendor,
    private readonly lapicInKernel = true,
  ) {}

  request(): void {
    this.pending = true;
  }

  /** Before VM-entry: the PMI to inject now, or null. */
  onVmEntry(): LvtpcDelivery | null {
    if (!this.pending) return null;
    this.pending = false;
    return this.lapicInKernel ? this.lvtpc.deliver(this.vendor) : null;
  }
}
