/**
 * The KVM_ARM_VCPU_PMU_V3_CTRL vCPU device attributes (group 0) a VMM sets
 * before the first KVM_RUN: the overflow IRQ, the event filter, the host PMU
 * and the counter count, then INIT (Documentation/virt/kvm/devices/vcpu.rst,
 * kvm_arm_pmu_v3_set_attr in arch/arm64/kvm/pmu-emul.c). The per-VM half of
 * the state (chosen PMU, N, filter) is what every vCPU's KvmPmu reads.
 *
 * Attributes take the value the kernel would copy from kvm_device_attr.addr;
 * a value of the wrong shape stands for an unreadable address (EFAULT).
 */
import { Errno } from '../../perf/errno';
import { ID_AA64DFR0_EL1_PMUVer, kvmPmuEventMask, pmuFilterTest, type KvmArmPmuVm } from './pmu-emul';

export const KVM_ARM_VCPU_PMU_V3_CTRL = 0;
export const KVM_ARM_VCPU_PMU_V3_IRQ = 0;
export const KVM_ARM_VCPU_PMU_V3_INIT = 1;
export const KVM_ARM_VCPU_PMU_V3_FILTER = 2;
export const KVM_ARM_VCPU_PMU_V3_SET_PMU = 3;
export const KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS = 4;

export const KVM_PMU_EVENT_ALLOW = 0;
export const KVM_PMU_EVENT_DENY = 1;

export const KVM_EXIT_FAIL_ENTRY_CPU_UNSUPPORTED = 1n << 63n;

/** VGIC interrupt ranges: SGIs 0-15, PPIs 16-31, SPIs 32-1019. */
const VGIC_NR_SGIS = 16;
const VGIC_NR_PRIVATE_IRQS = 32;
const VGIC_MAX_SPI = 1019;

export function irqIsPpi(irq: number): boolean {
  return irq >= VGIC_NR_SGIS && irq < VGIC_NR_PRIVATE_IRQS;
}

function irqIsSpi(irq: number): boolean {
  return irq >= VGIC_NR_PRIVATE_IRQS && irq <= VGIC_MAX_SPI;
}

/** A host arm_pmu instance KVM may back a VM with (one per CPU type on big.LITTLE). */
export interface ArmPmu {
  /** perf_pmu type, as /sys/bus/event_source/devices/<pmu>/type: what SET_PMU names. */
  type: number;
  /** General-purpose counters (kvm_arm_pmu_get_max_counters). */
  nrCounters: number;
  /** ID_AA64DFR0_EL1.PMUVer of its CPUs. */
  pmuver: number;
  /** Its PMCEID0_EL0/PMCEID1_EL0. */
  pmceid: readonly [bigint, bigint];
}

/** struct kvm_pmu_event_filter. */
export interface KvmPmuEventFilter {
  base_event: number;
  nevents: number;
  action: number;
}

export type PmuV3AttrValue = number | KvmPmuEventFilter;

/** kvm_run after KVM_RUN returned KVM_EXIT_FAIL_ENTRY (struct kvm_run.fail_entry). */
export interface KvmExitFailEntry {
  exit: 'FAIL_ENTRY';
  /** hardware_entry_failure_reason decoded; null when KVM zeroed fail_entry. */
  reason: 'CPU_UNSUPPORTED' | null;
  hardware_entry_failure_reason: bigint;
  cpu: number;
}

/** The exit for a vCPU loaded on a physical CPU outside the VM's supported_cpus. */
export function failEntryCpuUnsupported(cpu: number): KvmExitFailEntry {
  return {
    exit: 'FAIL_ENTRY',
    reason: 'CPU_UNSUPPORTED',
    hardware_entry_failure_reason: KVM_EXIT_FAIL_ENTRY_CPU_UNSUPPORTED,
    cpu,
  };
}

export interface ArmVmPmuConfig {
  /** The host's arm_pmus (KVM's arm_pmus list). */
  hostPmus: readonly ArmPmu[];
  /** Which PMU backs the VM until SET_PMU: the one covering the CPU the vCPU was created on. */
  defaultPmuType?: number;
  /** KVM_ARM_VCPU_PMU_V3 in each vCPU's KVM_ARM_VCPU_INIT features, by vCPU index. */
  vcpuHasPmu: readonly boolean[];
  /** KVM_CREATE_IRQCHIP / a vGIC device was created. */
  inKernelIrqchip: boolean;
}

interface VcpuPmuState {
  hasPmu: boolean;
  /** vcpu->arch.pmu.irq_num; null until KVM_ARM_VCPU_PMU_V3_IRQ. */
  irq: number | null;
  /** vcpu->arch.pmu.created: INIT succeeded. */
  created: boolean;
  ran: boolean;
}

export class ArmVmPmuCtl implements KvmArmPmuVm {
  private readonly vcpus: VcpuPmuState[];
  private readonly inKernelIrqchip: boolean;
  private vgicInitialized = false;
  private armPmu: ArmPmu;
  /** SET_PMU was used (what the proposed KVM_ARCH_FLAG_PMU_V3_EXPLICIT records). */
  private explicitPmu = false;
  private nrCounters: number;
  private filter: Uint8Array | null = null;
  private defaultPolicy: 'allow' | 'deny' = 'allow';

  constructor(private readonly config: ArmVmPmuConfig) {
    const pmu = config.hostPmus.find((p) => config.defaultPmuType === undefined || p.type === config.defaultPmuType);
    // kvm_arm_set_default_pmu fails vCPU creation with ENODEV: a VMM bug here, not a guest's.
    if (!pmu) throw new Error('no host PMU to back the VM (kvm_arm_set_default_pmu: ENODEV)');
    this.armPmu = pmu;
    this.nrCounters = pmu.nrCounters;
    this.inKernelIrqchip = config.inKernelIrqchip;
    this.vcpus = config.vcpuHasPmu.map((hasPmu) => ({ hasPmu, irq: null, created: false, ran: false }));
  }

  get pmcrN(): number {
    return this.nrCounters;
  }

  /** kvm_arm_pmu_get_pmuver_limit: KVM exposes at most PMUv3p5. */
  get pmuver(): number {
    return Math.min(this.armPmu.pmuver, ID_AA64DFR0_EL1_PMUVer.V3P5);
  }

  get pmuType(): number {
    return this.armPmu.type;
  }

  get hostPmceid(): readonly [bigint, bigint] {
    return this.armPmu.pmceid;
  }

  get pmuFilter(): Uint8Array | null {
    return this.filter;
  }

  /** What events no filter range names get: deny after a first ALLOW, allow otherwise. */
  get filterDefault(): 'allow' | 'deny' {
    return this.defaultPolicy;
  }

  /** KVM_ARCH_FLAG_HAS_RAN_ONCE. */
  get hasRanOnce(): boolean {
    return this.vcpus.some((v) => v.ran);
  }

  eventAllowed(event: number): boolean {
    return this.filter ? pmuFilterTest(this.filter, event) : true;
  }

  /** KVM_DEV_ARM_VGIC_CTRL_INIT on the VM's vGIC. */
  vgicInit(): void {
    if (!this.inKernelIrqchip) throw new Error('no in-kernel vGIC to initialize');
    this.vgicInitialized = true;
  }

  /** kvm_arm_pmu_v3_has_attr. */
  hasAttr(vcpuIdx: number, attr: number): number {
    const known = attr >= KVM_ARM_VCPU_PMU_V3_IRQ && attr <= KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS;
    return known && this.vcpu(vcpuIdx).hasPmu ? 0 : -Errno.ENXIO;
  }

  /** kvm_arm_pmu_v3_get_attr: only the IRQ can be read back. */
  getAttr(vcpuIdx: number, attr: number): number {
    const v = this.vcpu(vcpuIdx);
    if (attr !== KVM_ARM_VCPU_PMU_V3_IRQ) return -Errno.ENXIO;
    if (!this.inKernelIrqchip) return -Errno.EINVAL;
    if (!v.hasPmu) return -Errno.ENODEV;
    return v.irq ?? -Errno.ENXIO;
  }

  /** kvm_arm_pmu_v3_set_attr: 0 or -errno. */
  setAttr(vcpuIdx: number, attr: number, value?: PmuV3AttrValue): number {
    const v = this.vcpu(vcpuIdx);
    // Checklist 61: no PMU feature ⇒ ENODEV; after INIT nothing changes ⇒ EBUSY; unknown ⇒ ENXIO.
    if (!v.hasPmu) return -Errno.ENODEV;
    if (v.created) return -Errno.EBUSY;
    switch (attr) {
      case KVM_ARM_VCPU_PMU_V3_IRQ:
        return this.setIrq(v, value);
      case KVM_ARM_VCPU_PMU_V3_INIT:
        return this.init(v);
      case KVM_ARM_VCPU_PMU_V3_FILTER:
        return this.setFilter(value);
      case KVM_ARM_VCPU_PMU_V3_SET_PMU:
        return typeof value === 'number' ? this.setPmu(value) : -Errno.EFAULT;
      case KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS:
        return typeof value === 'number' ? this.setNrCounters(value) : -Errno.EFAULT;
      default:
        return -Errno.ENXIO;
    }
  }

  /**
   * kvm_arm_pmu_v3_enable at the vCPU's first KVM_RUN: a vCPU with the PMU
   * feature must have done INIT (else EINVAL). A successful first run marks
   * the VM as having run, which closes FILTER and SET_PMU.
   */
  firstRun(vcpuIdx: number): number {
    const v = this.vcpu(vcpuIdx);
    if (v.hasPmu && !v.created) return -Errno.EINVAL;
    v.ran = true;
    return 0;
  }

  /**
   * Checklist 67: after SET_PMU the VM's supported_cpus is that PMU's
   * `pmuCpus`, and loading a vCPU elsewhere makes KVM_RUN fail the entry with
   * the CPU's id. KVM never moves the vCPU itself. With the default PMU the
   * mask is not narrowed: the vCPU runs and its counters just stop there.
   */
  checkRunCpu(vcpuIdx: number, hostCpu: number, pmuCpus: readonly number[]): KvmExitFailEntry | null {
    this.vcpu(vcpuIdx);
    if (!this.explicitPmu || pmuCpus.includes(hostCpu)) return null;
    return failEntryCpuUnsupported(hostCpu);
  }

  /**
   * Checklist 62: needs the in-kernel irqchip; a PPI must be the same on every
   * vCPU and an SPI different on each (pmu_irq_is_valid); a PPI already set
   * here is EBUSY.
   */
  private setIrq(v: VcpuPmuState, irq: PmuV3AttrValue | undefined): number {
    if (!this.inKernelIrqchip) return -Errno.EINVAL;
    if (typeof irq !== 'number' || !Number.isInteger(irq)) return -Errno.EFAULT;
    if (!(irqIsPpi(irq) || irqIsSpi(irq))) return -Errno.EINVAL;
    for (const other of this.vcpus) {
      if (other.irq === null) continue;
      if (irqIsPpi(irq) ? other.irq !== irq : other.irq === irq) return -Errno.EINVAL;
    }
    if (v.irq !== null) return -Errno.EBUSY;
    v.irq = irq;
    return 0;
  }

  /** Checklist 63, kvm_arm_pmu_v3_init: the vGIC first (ENODEV), then the IRQ (ENXIO). */
  private init(v: VcpuPmuState): number {
    if (this.inKernelIrqchip) {
      if (!this.vgicInitialized) return -Errno.ENODEV;
      if (v.irq === null) return -Errno.ENXIO;
    }
    v.created = true;
    return 0;
  }

  /**
   * Checklist 64: closed once the VM ran. The first filter decides what the
   * unnamed events get: a first ALLOW starts from deny-all, a first DENY from
   * allow-all; later ranges set or clear bits on top.
   */
  private setFilter(f: PmuV3AttrValue | undefined): number {
    if (typeof f !== 'object') return -Errno.EFAULT;
    // Sized by the host's PMUVer, not the guest's (backward compatibility in the kernel).
    const nrEvents = kvmPmuEventMask(this.pmuver) + 1;
    if (f.base_event < 0 || f.nevents < 0 || f.base_event + f.nevents > nrEvents) return -Errno.EINVAL;
    if (f.action !== KVM_PMU_EVENT_ALLOW && f.action !== KVM_PMU_EVENT_DENY) return -Errno.EINVAL;
    if (this.hasRanOnce) return -Errno.EBUSY;
    if (!this.filter) {
      this.filter = new Uint8Array(nrEvents / 8).fill(f.action === KVM_PMU_EVENT_ALLOW ? 0 : 0xff);
      this.defaultPolicy = f.action === KVM_PMU_EVENT_ALLOW ? 'deny' : 'allow';
    }
    for (let e = f.base_event; e < f.base_event + f.nevents; e++) {
      if (f.action === KVM_PMU_EVENT_ALLOW) this.filter[e >> 3] |= 1 << (e & 7);
      else this.filter[e >> 3] &= ~(1 << (e & 7));
    }
    return 0;
  }

  /**
   * Checklist 65, kvm_arm_pmu_v3_set_pmu: unknown type ⇒ ENXIO; after the VM
   * ran, or when a filter was set against a different PMU ⇒ EBUSY (a filter
   * names that PMU's event numbers). Selecting a PMU resets N to its maximum.
   */
  private setPmu(type: number): number {
    const pmu = this.config.hostPmus.find((p) => p.type === type);
    if (!pmu) return -Errno.ENXIO;
    if (this.hasRanOnce || (this.filter && pmu !== this.armPmu)) return -Errno.EBUSY;
    this.armPmu = pmu;
    this.nrCounters = pmu.nrCounters;
    this.explicitPmu = true;
    return 0;
  }

  /**
   * Checklist 66: N needs an explicitly selected PMU and must not exceed its
   * counters (EINVAL either way). Mainline only checks that some PMU is set,
   * which the default always satisfies; vcpu.rst mandates SET_PMU first.
   */
  private setNrCounters(n: number): number {
    if (!this.explicitPmu) return -Errno.EINVAL;
    if (!Number.isInteger(n) || n < 0 || n > this.armPmu.nrCounters) return -Errno.EINVAL;
    this.nrCounters = n;
    return 0;
  }

  private vcpu(idx: number): VcpuPmuState {
    const v = this.vcpus[idx];
    if (!v) throw new RangeError(`no vCPU ${idx}`);
    return v;
  }
}
