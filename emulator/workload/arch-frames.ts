/**
 * Kernel frames differ by architecture. Programs are written with x86_64
 * names (the built-in catalog and, most likely, scenario files); on arm64 the
 * walker shows what an arm64 kernel would have on the stack instead, so a
 * flame graph of an arm64 guest does not show entry_SYSCALL_64.
 *
 * A name maps to one or more frames, outermost first: the last one stands for
 * the original function (its own code and its calls), the ones before it are
 * frames arm64 has and x86_64 has not (el0t_64_sync → ... → el0_svc above a
 * syscall). Names that are the same on both architectures are not listed.
 */
const ARM64_FRAMES: Readonly<Record<string, readonly string[]>> = {
  // Syscalls: el0t_64_sync → el0t_64_sync_handler → el0_svc → do_el0_svc → invoke_syscall → __arm64_sys_*.
  entry_SYSCALL_64_after_hwframe: ['el0t_64_sync', 'el0t_64_sync_handler', 'el0_svc', 'do_el0_svc'],
  do_syscall_64: ['invoke_syscall'],
  // User page faults arrive as data aborts from EL0.
  asm_exc_page_fault: ['el0t_64_sync', 'el0t_64_sync_handler', 'el0_da'],
  exc_page_fault: ['do_mem_abort', 'do_translation_fault'],
  do_user_addr_fault: ['do_page_fault'],
  clear_page_erms: ['clear_page'],
  // x86 copies with an inlined `rep movsb`; arm64 calls out to its copy routines.
  _copy_to_iter: ['_copy_to_iter', '__arch_copy_to_user'],
  _copy_from_iter: ['_copy_from_iter', '__arch_copy_from_user'],
  copy_page_from_iter_atomic: ['copy_page_from_iter_atomic', '__arch_copy_from_user'],
  native_queued_spin_lock_slowpath: ['queued_spin_lock_slowpath'],
  __vdso_clock_gettime: ['__kernel_clock_gettime'],
  // The perf core's read of a hardware counter.
  x86_pmu_read: ['armpmu_read'],
  x86_perf_event_update: ['armpmu_event_update', 'armv8pmu_read_counter'],
};

const X86_SYSCALL_PREFIX = '__x64_sys_';

/** The frames an arm64 kernel shows for the x86_64 function `name`, outermost first. */
export function arm64Frames(name: string): readonly string[] {
  if (Object.hasOwn(ARM64_FRAMES, name)) return ARM64_FRAMES[name];
  if (name.startsWith(X86_SYSCALL_PREFIX)) return [`__arm64_sys_${name.slice(X86_SYSCALL_PREFIX.length)}`];
  return [name];
}
