/**
 * VM-exit reasons (the VMX exit-reason names perf kvm stat prints), what
 * handling one costs the host, and the host code it runs: the vCPU thread
 * sits in KVM_RUN (QEMU's kvm_cpu_exec → ioctl → kvm_arch_vcpu_ioctl_run →
 * vcpu_enter_guest) and the exit handler runs on top. I/O exits go out to
 * the VMM in user space. Costs are typical of a recent x86 host.
 *
 * The host frames are the architecture's: one ExitFrames table each, x86's
 * here and arm64's in arm64/exit-frames.ts, chosen when the VM is created.
 */
import { ExecContext } from '../../profile/model';
import type { ExecTag } from '../os/burst-source';
import type { SymbolTable } from '../os/symbols';

export const EXIT_REASONS = [
  'EXTERNAL_INTERRUPT',
  'MSR_WRITE',
  'MSR_READ',
  'RDPMC',
  'HLT',
  'IO_INSTRUCTION',
  'EPT_VIOLATION',
  'VMCALL',
  'EXCEPTION_NMI',
] as const;
export type ExitReason = (typeof EXIT_REASONS)[number];

interface ExitKind {
  /** Host time to handle one, ns. */
  costNs: number;
  /** Handler frames above vmx_handle_exit, outermost first. */
  handler: readonly string[];
  /** Handled in the VMM's user space (the ioctl returns to QEMU). */
  user?: boolean;
  /** Handled before vmx_handle_exit, inside the entry/exit path itself (NMIs): these frames instead. */
  irqoff?: readonly string[];
}

const EXITS: Record<ExitReason, ExitKind> = {
  EXTERNAL_INTERRUPT: { costNs: 1_200, handler: ['vmx_handle_external_intr', 'asm_sysvec_apic_timer_interrupt'] },
  MSR_WRITE: { costNs: 1_500, handler: ['handle_wrmsr', 'kvm_emulate_wrmsr', 'kvm_set_msr_common', 'kvm_pmu_set_msr'] },
  MSR_READ: { costNs: 1_200, handler: ['handle_rdmsr', 'kvm_emulate_rdmsr', 'kvm_get_msr_common', 'kvm_pmu_get_msr'] },
  RDPMC: { costNs: 1_100, handler: ['handle_rdpmc', 'kvm_emulate_rdpmc', 'kvm_pmu_rdpmc'] },
  HLT: { costNs: 2_000, handler: ['kvm_emulate_halt', 'kvm_vcpu_halt', 'kvm_vcpu_block', 'schedule'] },
  IO_INSTRUCTION: {
    costNs: 9_000,
    handler: ['kvm_cpu_exec', 'address_space_write', 'virtio_pci_notify_write', 'virtio_queue_notify'],
    user: true,
  },
  EPT_VIOLATION: { costNs: 2_500, handler: ['handle_ept_violation', 'kvm_mmu_page_fault', 'kvm_tdp_page_fault'] },
  VMCALL: { costNs: 1_300, handler: ['handle_vmcall', 'kvm_emulate_hypercall'] },
  // A host PMI (NMI) in guest mode: for the emulated vPMU, perf's NMI handler
  // finds KVM's backing event overflowed (kvm_perf_overflow), and KVM_REQ_PMU
  // reprograms that counter (pause, new period, enable) before the entry.
  EXCEPTION_NMI: {
    costNs: 3_500,
    handler: ['handle_exception_nmi', 'kvm_handle_nmi'],
    irqoff: [
      'vmx_vcpu_run',
      'vmx_vcpu_enter_exit',
      'vmx_do_nmi_irqoff',
      'asm_exc_nmi_kvm_vmx',
      'exc_nmi',
      'perf_event_nmi_handler',
      'intel_pmu_handle_irq',
      'perf_event_overflow',
      'kvm_perf_overflow',
    ],
  },
};

export function exitCost(reason: ExitReason): number {
  return EXITS[reason].costNs;
}

export function exitInUser(reason: ExitReason): boolean {
  return EXITS[reason].user === true;
}

/** One architecture's host code around the run loop, by exit reason. */
export interface ExitFrames {
  vmmBinary: string;
  /** The host kernel from the syscall entry to the ioctl's handler. */
  syscall: readonly string[];
  /** KVM from the vCPU ioctl into its run loop. */
  runLoop: readonly string[];
  /** On top of runLoop while the vCPU is in guest mode. */
  inGuest: readonly string[];
  /** On top of runLoop for an exit KVM handles; for an exit the VMM handles, on top of its kvm_cpu_exec. */
  handler(reason: ExitReason): readonly string[];
  /** The module a hypervisor frame is in. */
  dso(frame: string): string;
  /** What the guest's timer tick costs: a timer register write (x86) or the timer's host interrupt (arm64). */
  timerExit: ExitReason;
  /**
   * The exit as this architecture's `perf kvm stat` names it: the run loop's
   * reasons are VMX's, so x86 keeps them; arm64 reports exception classes,
   * and several reasons share one (every PMU register trap is SYS64).
   */
  exitName(reason: ExitReason): string;
}

/** Frames of the core kernel that KVM's exit paths call into (the NMI and perf's handler). */
const X86_CORE_KERNEL = new Set(['asm_exc_nmi_kvm_vmx', 'exc_nmi', 'perf_event_nmi_handler', 'intel_pmu_handle_irq', 'perf_event_overflow']);

export const X86_EXIT_FRAMES: ExitFrames = {
  vmmBinary: 'qemu-system-x86_64',
  syscall: ['entry_SYSCALL_64_after_hwframe', 'do_syscall_64', '__x64_sys_ioctl'],
  runLoop: ['kvm_vcpu_ioctl', 'kvm_arch_vcpu_ioctl_run', 'vcpu_run', 'vcpu_enter_guest'],
  inGuest: ['vmx_vcpu_run', 'vmx_vcpu_enter_exit'],
  handler: (reason) => EXITS[reason].irqoff ?? (exitInUser(reason) ? EXITS[reason].handler : ['vmx_handle_exit', ...EXITS[reason].handler]),
  dso: (frame) =>
    X86_CORE_KERNEL.has(frame) ? '[kernel.kallsyms]' : frame.startsWith('vmx_') || frame.startsWith('handle_') ? '[kvm_intel]' : '[kvm]',
  // The guest programs its TSC-deadline timer: an MSR write exit per tick.
  timerExit: 'MSR_WRITE',
  exitName: (reason) => reason,
};

/** The vCPU thread's host stack: QEMU's loop into KVM_RUN and the run loop. */
const VMM_FRAMES = ['start_thread', 'qemu_thread_start', 'kvm_vcpu_thread_fn', 'kvm_cpu_exec', 'ioctl'];

/** Host-side tags of one vCPU thread, interned per exit reason. */
export class ExitTags {
  private readonly byReason = new Map<ExitReason, ExecTag>();
  /** Where the thread is while its vCPU is in guest mode (vmx_vcpu_run). */
  readonly inGuest: ExecTag;
  /** The thread parked in QEMU while the VM is paused or migrating. */
  readonly paused: ExecTag;

  constructor(
    private readonly symbols: SymbolTable,
    private readonly pid: number,
    private readonly tid: number,
    readonly frames: ExitFrames,
  ) {
    this.inGuest = this.make([...frames.runLoop, ...frames.inGuest]);
    this.paused = this.userTag(['qemu_wait_io_event', 'qemu_cond_wait_impl']);
  }

  tag(reason: ExitReason): ExecTag {
    let tag = this.byReason.get(reason);
    if (!tag) {
      const handler = this.frames.handler(reason);
      tag = exitInUser(reason) ? this.userTag(handler) : this.make([...this.frames.runLoop, ...handler]);
      this.byReason.set(reason, tag);
    }
    return tag;
  }

  private make(kvm: readonly string[]): ExecTag {
    const vmm = this.frames.vmmBinary;
    const user = VMM_FRAMES.map((n) => this.symbols.intern(n, n === 'ioctl' || n === 'start_thread' ? 'libc.so.6' : vmm, false));
    const kernel = this.frames.syscall.map((n) => this.symbols.intern(n, '[kernel.kallsyms]', true));
    const hv = kvm.map((n) => this.symbols.intern(n, this.frames.dso(n), true));
    const stack = Int32Array.from([...user, ...kernel, ...hv]);
    return { pid: this.pid, tid: this.tid, ctx: ExecContext.Hypervisor, stack, kernelFrom: user.length };
  }

  /** An exit QEMU handles in user space, after the KVM_RUN ioctl returned. */
  private userTag(handler: readonly string[]): ExecTag {
    const frames = [...VMM_FRAMES.slice(0, 3), ...handler].map((n) =>
      this.symbols.intern(n, n === 'start_thread' ? 'libc.so.6' : this.frames.vmmBinary, false),
    );
    const stack = Int32Array.from(frames);
    return { pid: this.pid, tid: this.tid, ctx: ExecContext.HostUser, stack, kernelFrom: stack.length };
  }
}
