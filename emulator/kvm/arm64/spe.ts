/**
 * SPE (Statistical Profiling Extension) for guests, as the unmerged KVM
 * series proposed it (Alexandru Elisei's v4, Aug 2021, for the UAPI; v6/v7
 * kept its rules): the KVM_ARM_VCPU_SPE_CTRL vCPU attributes, the guest's
 * profiling buffer registers, and when a vCPU may not enter the guest.
 *
 * SPE writes its records straight to guest memory through a buffer the
 * guest programs (PMBPTR_EL1 up to PMBLIMITR_EL1.LIMIT), so the hard parts
 * of the proposal are memory (pinning, migration) rather than counting: a
 * VMM that cannot keep the buffer mapped asks KVM to stop the guest's
 * profiling (STOP) for the migration window.
 */
import { Errno } from '../../perf/errno';
import { failEntryCpuUnsupported, irqIsPpi, type KvmExitFailEntry } from './pmu-v3-ctrl';

export const KVM_ARM_VCPU_SPE_CTRL = 3;
export const KVM_ARM_VCPU_SPE_IRQ = 0;
export const KVM_ARM_VCPU_SPE_INIT = 1;
export const KVM_ARM_VCPU_SPE_STOP = 2;
/** STOP flags: exactly one per call. */
export const KVM_ARM_VCPU_SPE_STOP_TRAP = 1 << 0;
export const KVM_ARM_VCPU_SPE_STOP_EXIT = 1 << 1;
export const KVM_ARM_VCPU_SPE_RESUME = 1 << 2;

// arch/arm64/tools/sysreg fields.
export const PMSCR_EL1_E0SPE = 1n << 0n;
export const PMSCR_EL1_E1SPE = 1n << 1n;
export const PMBLIMITR_EL1_E = 1n << 0n;
const PMBLIMITR_EL1_FM = 0x3n << 1n;
const PMBLIMITR_EL1_LIMIT = ~0xfffn & ((1n << 64n) - 1n);
export const PMBSR_EL1_S = 1n << 17n;
const PMBSR_EL1_EC_SHIFT = 26n;
const PMBSR_EL1_EC = 0x3fn << PMBSR_EL1_EC_SHIFT;
const PMBSR_EL1_MSS = 0xffffn;
/** EC = 0 (buffer management event), BSC = 1: the buffer filled. */
export const PMBSR_EL1_BSC_BUF_FULL = 0x1n;
const PMBIDR_EL1_ALIGN = 0xfn;
export const PMBIDR_EL1_P = 1n << 4n;
/** arm_spe_pmu refuses alignments above 2KB (PMBIDR.Align 11). */
const SPE_PMU_ALIGN_MAX = 11n;

export type SpeRecordResult = 'written' | 'discarded' | 'full' | 'off';

/** One vCPU's profiling buffer: the guest's PMSCR/PMBLIMITR/PMBPTR/PMBSR. */
export class SpeBuffer {
  readonly regs = { PMSCR_EL1: 0n, PMBLIMITR_EL1: 0n, PMBPTR_EL1: 0n, PMBSR_EL1: 0n };

  /** Sampling enabled at some EL, the buffer enabled, and no service request pending (S stops collection). */
  profilingEnabled(): boolean {
    const r = this.regs;
    if (!(r.PMSCR_EL1 & (PMSCR_EL1_E0SPE | PMSCR_EL1_E1SPE))) return false;
    return (r.PMBLIMITR_EL1 & PMBLIMITR_EL1_E) !== 0n && !(r.PMBSR_EL1 & PMBSR_EL1_S);
  }

  /**
   * The unit writes one record of `size` bytes at PMBPTR. In fill mode a
   * record that would not fit below LIMIT (the first byte past the buffer)
   * is a buffer-full event: PMBSR.S=1, EC=0, BSC=buffer filled, collection
   * stops and the management interrupt is asserted. Non-zero FM is a discard
   * mode: records are dropped and nothing is signalled.
   */
  writeRecord(size: number): SpeRecordResult {
    const r = this.regs;
    if (!this.profilingEnabled()) return 'off';
    if (r.PMBLIMITR_EL1 & PMBLIMITR_EL1_FM) return 'discarded';
    if (r.PMBPTR_EL1 + BigInt(size) > (r.PMBLIMITR_EL1 & PMBLIMITR_EL1_LIMIT)) {
      r.PMBSR_EL1 = (r.PMBSR_EL1 & ~(PMBSR_EL1_EC | PMBSR_EL1_MSS)) | PMBSR_EL1_S | PMBSR_EL1_BSC_BUF_FULL;
      return 'full';
    }
    r.PMBPTR_EL1 += BigInt(size);
    return 'written';
  }

  /** The buffer management interrupt is a level PPI, held while PMBSR.S is set. */
  irqLevel(): boolean {
    return (this.regs.PMBSR_EL1 & PMBSR_EL1_S) !== 0n;
  }
}

/**
 * PMBIDR_EL1 as the guest reads it: the host's, with P=1 when the host owns
 * the buffer — it profiles the guest itself, so the owning regime is EL2.
 */
export function guestPmbidr(hostPmbidr: bigint, hostOwnsBuffer: boolean): bigint {
  return hostOwnsBuffer ? hostPmbidr | PMBIDR_EL1_P : hostPmbidr & ~PMBIDR_EL1_P;
}

/**
 * Checklist 77: the guest's arm_spe_pmu probe. P=1 means the buffer belongs
 * to a higher exception level ("profiling buffer owned by higher exception
 * level") and the driver gives up, as it does for an alignment above 2KB.
 */
export function guestSpeProbe(pmbidr: bigint): 'ok' | 'refused' {
  if (pmbidr & PMBIDR_EL1_P) return 'refused';
  return (pmbidr & PMBIDR_EL1_ALIGN) > SPE_PMU_ALIGN_MAX ? 'refused' : 'ok';
}

export interface ArmVmSpeConfig {
  /** KVM_ARM_VCPU_SPE in each vCPU's features, by vCPU index. */
  vcpuHasSpe: readonly boolean[];
  inKernelIrqchip: boolean;
}

interface VcpuSpeState {
  hasSpe: boolean;
  irq: number | null;
  initialized: boolean;
  /** The last STOP flag; RESUME clears it. */
  stop: 0 | typeof KVM_ARM_VCPU_SPE_STOP_TRAP | typeof KVM_ARM_VCPU_SPE_STOP_EXIT;
  buffer: SpeBuffer;
}

export class ArmVmSpeCtl {
  private readonly vcpus: VcpuSpeState[];
  private vgicInitialized = false;

  constructor(private readonly config: ArmVmSpeConfig) {
    this.vcpus = config.vcpuHasSpe.map((hasSpe) => ({ hasSpe, irq: null, initialized: false, stop: 0, buffer: new SpeBuffer() }));
  }

  vgicInit(): void {
    if (!this.config.inKernelIrqchip) throw new Error('no in-kernel vGIC to initialize');
    this.vgicInitialized = true;
  }

  buffer(vcpuIdx: number): SpeBuffer {
    return this.vcpu(vcpuIdx).buffer;
  }

  hasAttr(vcpuIdx: number, attr: number): number {
    const known = attr >= KVM_ARM_VCPU_SPE_IRQ && attr <= KVM_ARM_VCPU_SPE_STOP;
    return known && this.supportsSpe(this.vcpu(vcpuIdx)) ? 0 : -Errno.ENXIO;
  }

  /** kvm_arm_spe_set_attr (v4): 0 or -errno. */
  setAttr(vcpuIdx: number, attr: number, value?: number): number {
    const v = this.vcpu(vcpuIdx);
    if (!this.supportsSpe(v)) return -Errno.ENXIO;
    switch (attr) {
      case KVM_ARM_VCPU_SPE_IRQ:
        return this.setIrq(v, value);
      case KVM_ARM_VCPU_SPE_INIT:
        return this.init(v);
      case KVM_ARM_VCPU_SPE_STOP:
        return this.setStop(v, value);
      default:
        return -Errno.ENXIO;
    }
  }

  /**
   * Whether KVM_RUN may enter the guest on `hostCpu`, whose SPE-capable CPUs
   * are `speCpus`. A vCPU with SPE on a CPU without it cannot run: the same
   * failed entry as an unsupported PMU CPU. With STOP_EXIT, a guest that
   * would run with profiling enabled is not entered and fail_entry is zeroed
   * (checklist 76).
   */
  checkRun(vcpuIdx: number, hostCpu: number, speCpus: readonly number[]): KvmExitFailEntry | null {
    const v = this.vcpu(vcpuIdx);
    if (!v.hasSpe) return null;
    if (!speCpus.includes(hostCpu)) return failEntryCpuUnsupported(hostCpu);
    if (v.stop === KVM_ARM_VCPU_SPE_STOP_EXIT && v.buffer.profilingEnabled()) {
      return { exit: 'FAIL_ENTRY', reason: null, hardware_entry_failure_reason: 0n, cpu: 0 };
    }
    return null;
  }

  /** Whether the hardware samples for the guest while it runs: STOP_TRAP ignores its enables. */
  hwProfiling(vcpuIdx: number): boolean {
    const v = this.vcpu(vcpuIdx);
    return v.initialized && v.stop === 0 && v.buffer.profilingEnabled();
  }

  /** kvm_arm_vcpu_supports_spe: the feature and an in-kernel irqchip, else ENXIO. */
  private supportsSpe(v: VcpuSpeState): boolean {
    return v.hasSpe && this.config.inKernelIrqchip;
  }

  /** Checklist 75: a PPI, the same on every vCPU; once only, and not after INIT. */
  private setIrq(v: VcpuSpeState, irq: number | undefined): number {
    if (v.initialized) return -Errno.EBUSY;
    if (irq === undefined || !Number.isInteger(irq)) return -Errno.EFAULT;
    if (!irqIsPpi(irq)) return -Errno.EINVAL;
    if (this.vcpus.some((o) => o.irq !== null && o.irq !== irq)) return -Errno.EINVAL;
    if (v.irq !== null) return -Errno.EBUSY;
    v.irq = irq;
    return 0;
  }

  /** v4 INIT: the IRQ and the vGIC first (ENXIO either way), once (EBUSY). */
  private init(v: VcpuSpeState): number {
    if (v.irq === null || !this.vgicInitialized) return -Errno.ENXIO;
    if (v.initialized) return -Errno.EBUSY;
    v.initialized = true;
    return 0;
  }

  /** Checklist 75: STOP needs INIT first (EAGAIN); the flag must be exactly one of the three. */
  private setStop(v: VcpuSpeState, flags: number | undefined): number {
    if (!v.initialized) return -Errno.EAGAIN;
    if (flags === undefined) return -Errno.EFAULT;
    if (flags === KVM_ARM_VCPU_SPE_RESUME) v.stop = 0;
    else if (flags === KVM_ARM_VCPU_SPE_STOP_TRAP || flags === KVM_ARM_VCPU_SPE_STOP_EXIT) v.stop = flags;
    else return -Errno.EINVAL;
    return 0;
  }

  private vcpu(idx: number): VcpuSpeState {
    const v = this.vcpus[idx];
    if (!v) throw new RangeError(`no vCPU ${idx}`);
    return v;
  }
}
