/**
 * The host code of an arm64 vCPU thread (a VHE host, KVM built into the
 * kernel): QEMU's KVM_RUN ioctl enters through el0_svc, KVM's run loop is
 * kvm_arch_vcpu_ioctl_run around kvm_arm_vcpu_enter_exit, and an exit is
 * dispatched by handle_exit on the exception class of ESR_EL2
 * (arch/arm64/kvm/handle_exit.c): system-register traps to
 * kvm_handle_sys_reg, WFI to kvm_handle_wfx, HVC to handle_hvc, aborts to
 * kvm_handle_guest_abort. An IRQ exit is not handled by handle_exit at all:
 * the interrupt is taken in the run loop once it enables interrupts again.
 * There is no NMI exit: the host PMU's overflow is that IRQ too.
 */
import type { ExitFrames, ExitReason } from '../exits';

const TRAP = ['handle_exit', 'handle_trap_exceptions'];
/** Taken on the host once kvm_arch_vcpu_ioctl_run re-enables interrupts after the exit. */
const IRQ = ['el1h_64_irq', 'el1h_64_irq_handler', 'el1_interrupt', 'gic_handle_irq', 'generic_handle_domain_irq', 'handle_percpu_devid_irq'];

const HANDLERS: Record<ExitReason, readonly string[]> = {
  EXTERNAL_INTERRUPT: IRQ,
  // The guest's PMU registers: sys_regs.c's accessors, each a trap (ESR_ELx_EC_SYS64).
  MSR_WRITE: [...TRAP, 'kvm_handle_sys_reg', 'perform_access', 'access_pmu_evtyper', 'kvm_pmu_set_counter_event_type'],
  MSR_READ: [...TRAP, 'kvm_handle_sys_reg', 'perform_access', 'access_pmovs'],
  RDPMC: [...TRAP, 'kvm_handle_sys_reg', 'perform_access', 'access_pmu_evcntr', 'kvm_pmu_get_counter_value'],
  HLT: [...TRAP, 'kvm_handle_wfx', 'kvm_vcpu_wfi', 'kvm_vcpu_halt', 'kvm_vcpu_block', 'schedule'],
  // An MMIO write to a virtio device: KVM returns to QEMU (io_mem_abort → KVM_EXIT_MMIO).
  IO_INSTRUCTION: ['kvm_cpu_exec', 'address_space_write', 'virtio_pci_notify_write', 'virtio_queue_notify'],
  EPT_VIOLATION: [...TRAP, 'kvm_handle_guest_abort', 'user_mem_abort', 'kvm_pgtable_stage2_map'],
  VMCALL: [...TRAP, 'handle_hvc', 'kvm_smccc_call_handler'],
  EXCEPTION_NMI: [...IRQ, 'armv8pmu_handle_irq'],
};

/**
 * perf kvm stat on arm64 (tools/perf/arch/arm64/util/kvm-stat.c) keys an exit
 * by kvm_exit's `ret`: IRQ for an interrupt (kvm_arm_exception_type), and for
 * a TRAP its ESR_ELx exception class (kvm_arm_exception_class, ECN(x) = "x").
 * A PMU overflow is an IRQ like any other; a guest MMIO access or stage-2
 * fault is a data abort from a lower EL.
 */
const EXIT_NAMES: Record<ExitReason, string> = {
  EXTERNAL_INTERRUPT: 'IRQ',
  MSR_WRITE: 'SYS64',
  MSR_READ: 'SYS64',
  RDPMC: 'SYS64',
  HLT: 'WFx',
  IO_INSTRUCTION: 'DABT_LOW',
  EPT_VIOLATION: 'DABT_LOW',
  VMCALL: 'HVC64',
  EXCEPTION_NMI: 'IRQ',
};

export const ARM64_EXIT_FRAMES: ExitFrames = {
  vmmBinary: 'qemu-system-aarch64',
  syscall: ['el0t_64_sync', 'el0t_64_sync_handler', 'el0_svc', 'do_el0_svc', 'invoke_syscall', '__arm64_sys_ioctl'],
  runLoop: ['kvm_vcpu_ioctl', 'kvm_arch_vcpu_ioctl_run'],
  inGuest: ['kvm_arm_vcpu_enter_exit', '__kvm_vcpu_run', '__kvm_vcpu_run_vhe', '__guest_enter'],
  handler: (reason) => HANDLERS[reason],
  // KVM/arm64 cannot be a module.
  dso: () => '[kernel.kallsyms]',
  // The guest's virtual timer needs no trap to program; its expiry is a host interrupt (kvm_arch_timer_handler).
  timerExit: 'EXTERNAL_INTERRUPT',
  exitName: (reason) => EXIT_NAMES[reason],
};
