/**
 * How the perf tool names a sample's cpumode (tools/perf/util/event.c
 * thread__find_map, machine.c): the level character perf report prints
 * before a symbol, and the kernel map a kernel-mode address resolves in.
 */
import {
  PERF_RECORD_MISC_GUEST_KERNEL,
  PERF_RECORD_MISC_GUEST_USER,
  PERF_RECORD_MISC_HYPERVISOR,
  PERF_RECORD_MISC_KERNEL,
  PERF_RECORD_MISC_USER,
} from '../perf/attr';

/** perf report's level: `[k]`, `[.]`, `[H]`, `[g]`, `[u]`; anything else is `H` too. */
export function cpumodeLevel(cpumode: number): string {
  switch (cpumode & 7) {
    case PERF_RECORD_MISC_KERNEL:
      return 'k';
    case PERF_RECORD_MISC_USER:
      return '.';
    case PERF_RECORD_MISC_GUEST_KERNEL:
      return 'g';
    case PERF_RECORD_MISC_GUEST_USER:
      return 'u';
    case PERF_RECORD_MISC_HYPERVISOR:
    default:
      return 'H';
  }
}

/**
 * The kernel map of a kernel-mode sample: the host's, the default guest's,
 * or a guest named by its VMM's pid (perf kvm --guestmount, perf inject).
 */
export function kernelMapName(cpumode: number, machinePid = 0): string | null {
  const mode = cpumode & 7;
  if (mode === PERF_RECORD_MISC_KERNEL) return '[kernel.kallsyms]';
  if (mode !== PERF_RECORD_MISC_GUEST_KERNEL) return null;
  return machinePid > 0 ? `[guest.kernel.kallsyms.${machinePid}]` : '[guest.kernel.kallsyms]';
}
