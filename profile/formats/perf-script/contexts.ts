/**
 * Where a perf script frame ran: host user, host kernel, KVM (hypervisor),
 * guest kernel or guest user. perf script prints no such column, so it is
 * read from the dso, the function name, the address, the sample's own guest
 * markers and the event's exclude bits.
 *
 * Rules (and why):
 * - `[guest.kernel.kallsyms]` / `[guest.kernel.kallsyms.<pid>]` is how perf
 *   names a guest's kernel map (tools/perf/util/machine.c); the `.<pid>` form
 *   names the guest by its VMM's pid.
 * - KVM itself is host code running for a guest: the modules `[kvm]`,
 *   `[kvm_intel]`, `[kvm_amd]` (or `kvm*.ko` paths), and, when KVM is built
 *   into the kernel, kernel functions named `kvm_*`, `vmx_*`, `svm_*`,
 *   `vcpu_*` (vcpu_enter_guest, vmx_vcpu_run, kvm_arch_vcpu_ioctl_run, …).
 *   A function called kvm_* in a file dso (QEMU's own kvm_vcpu_ioctl) is user
 *   code and stays host-user.
 * - `[kernel.kallsyms]`, `*.ko`, `vmlinux*` and `bpf_prog_*` are the host
 *   kernel. Other `[…]` maps are kernel modules (a guest's, in a guest
 *   sample), except the user-space pseudo maps perf also brackets (`[vdso]`,
 *   `[vsyscall]`, `[heap]`, `[stack]`, `[anon…]`, …).
 * - `[unknown]` (or no dso): an address in the x86-64 kernel half
 *   (16 hex digits starting ffff, below the PERF_CONTEXT_* markers) is kernel
 *   code whose symbols were hidden; anything else is unknown.
 * - A guest sample is one with machine_pid, a guest cpumode (`-F +misc` G/g),
 *   a guest kernel frame, or an event that only counts in guests (`:G`,
 *   exclude_host). Walking it from the leaf, frames are the guest's (kernel
 *   modules → guest kernel, files and unknowns → guest user) until a frame
 *   only the host has (`[kernel.kallsyms]`, vmlinux, KVM): a guest callchain
 *   never calls into the host, so what lies rootward of that is the host
 *   process that entered the kernel (QEMU's vCPU thread). perf itself never
 *   mixes the two (it cannot unwind a guest from the host), but merged or
 *   hand-made files might.
 * - A sample merged from the guest's own perf.data (machine_pid set) is all
 *   guest: its kernel-looking frames are the guest kernel's.
 */
import { ExecContext } from '../../model';

/** What a frame's dso (and name) say on their own, before the sample is known. */
export const FrameClass = {
  User: 0,
  /** A bracketed module (`[nf_conntrack]`): the host's, or a guest's in a guest sample. */
  Kernel: 1,
  /** Only the host has these: `[kernel.kallsyms]`, vmlinux, `*.ko` paths, bpf programs. */
  HostKernel: 2,
  Kvm: 3,
  GuestKernel: 4,
  Unknown: 5,
} as const;
export type FrameClass = (typeof FrameClass)[keyof typeof FrameClass];

const KVM_MODULES = new Set(['[kvm]', '[kvm_intel]', '[kvm_amd]', '[kvm_arm]', '[kvm_hv]', '[kvm_pr]']);
const USER_PSEUDO_MAPS = /^\[(vdso|vdso32|vdsox32|vsyscall|vectors|sigpage|uprobes|heap|stack|anon|jit)/;
const KVM_FUNCTION = /^_*(kvm|vmx|svm|vcpu)_/;
const GUEST_KERNEL_PREFIX = '[guest.kernel.kallsyms';

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function isGuestKernelDso(dso: string): boolean {
  return dso.startsWith(GUEST_KERNEL_PREFIX);
}

/** The VMM pid in `[guest.kernel.kallsyms.<pid>]`, -1 for the default guest. */
export function guestKernelPid(dso: string): number {
  const n = GUEST_KERNEL_PREFIX.length;
  if (dso.length > n + 2 && dso[n] === '.') {
    const pid = Number(dso.slice(n + 1, -1));
    if (Number.isInteger(pid) && pid >= 0) return pid;
  }
  return -1;
}

/** Classifies a frame by its dso and (for built-in KVM) its function name. */
export function classifyFrame(dso: string | null, name: string): FrameClass {
  if (dso === null || dso === '[unknown]' || dso === '') return FrameClass.Unknown;
  if (dso.startsWith('[')) {
    if (isGuestKernelDso(dso)) return FrameClass.GuestKernel;
    if (KVM_MODULES.has(dso)) return FrameClass.Kvm;
    if (USER_PSEUDO_MAPS.test(dso)) return FrameClass.User;
    if (dso.startsWith('[kernel.kallsyms]')) return KVM_FUNCTION.test(name) ? FrameClass.Kvm : FrameClass.HostKernel;
    return FrameClass.Kernel;
  }
  const base = basename(dso);
  if (/\.ko(\.(xz|zst|gz))?$/.test(base)) return base.startsWith('kvm') ? FrameClass.Kvm : FrameClass.HostKernel;
  if (base.startsWith('vmlinux') || dso.startsWith('bpf_prog_')) {
    return KVM_FUNCTION.test(name) ? FrameClass.Kvm : FrameClass.HostKernel;
  }
  return FrameClass.User;
}

/** Is `text[s, e)` an x86-64 kernel-half address (not a PERF_CONTEXT_* marker)? */
export function isKernelAddress(text: string, s: number, e: number): boolean {
  return e - s === 16 && text.startsWith('ffff', s) && !text.startsWith('fffffffffffff', s);
}

/**
 * The context a `-F +misc` cpumode names, or -1. perf tests each letter with
 * `(misc & M) == M` on the 3-bit cpumode, so guest user prints "KGg" and the
 * hypervisor "KUH": the most specific letter decides.
 */
export function cpumodeContext(cpumode: string): number {
  if (cpumode.includes('g')) return ExecContext.GuestUser;
  if (cpumode.includes('G')) return ExecContext.GuestKernel;
  if (cpumode.includes('H')) return ExecContext.Hypervisor;
  if (cpumode.includes('K')) return ExecContext.HostKernel;
  if (cpumode.includes('U')) return ExecContext.HostUser;
  return -1;
}

export interface SampleSide {
  /** The sample ran in a guest (machine_pid, guest cpumode, guest kernel leaf, guest-only event). */
  guest: boolean;
  /** The sample comes from the guest's own perf (machine_pid printed): every frame is the guest's. */
  fromGuestPerf: boolean;
}

/**
 * Fills ctx[0..count) (leaf first) from the frame classes. `kernelAddr[i]`
 * says whether an Unknown-class frame had a kernel-half address.
 */
export function frameContexts(
  cls: Uint8Array,
  kernelAddr: Uint8Array,
  count: number,
  side: SampleSide,
  ctx: Uint8Array,
): void {
  let host = !side.guest;
  for (let i = 0; i < count; i++) {
    const c = cls[i];
    if (c === FrameClass.GuestKernel) {
      ctx[i] = ExecContext.GuestKernel;
      continue;
    }
    const kernelish = c === FrameClass.Kernel || c === FrameClass.HostKernel || c === FrameClass.Kvm;
    if (side.fromGuestPerf) {
      ctx[i] = kernelish || kernelAddr[i] ? ExecContext.GuestKernel : ExecContext.GuestUser;
      continue;
    }
    // Host-only code ends the guest part of a callchain for good.
    if (!host && (c === FrameClass.HostKernel || c === FrameClass.Kvm)) host = true;
    if (!host) {
      ctx[i] = kernelish || kernelAddr[i] ? ExecContext.GuestKernel : ExecContext.GuestUser;
      continue;
    }
    switch (c) {
      case FrameClass.Kvm:
        ctx[i] = ExecContext.Hypervisor;
        break;
      case FrameClass.Kernel:
      case FrameClass.HostKernel:
        ctx[i] = ExecContext.HostKernel;
        break;
      case FrameClass.User:
        ctx[i] = ExecContext.HostUser;
        break;
      default:
        ctx[i] = kernelAddr[i] ? ExecContext.HostKernel : ExecContext.Unknown;
    }
  }
}

/** perf_event_attr bits of the sample's event, as far as they are known. */
export interface EventSide {
  exclude_user: boolean;
  exclude_kernel: boolean;
}

/**
 * The sample's context: its leaf's. An unknown leaf takes the cpumode when
 * perf printed one, then the event's privilege filter (a `:u` event only
 * samples user code), then its caller's context when that is user code
 * (unknown code called from user code is user code, e.g. JIT without a map).
 * Without frames, cpumode or the event's filter decide.
 */
export function sampleContext(
  ctx: Uint8Array,
  count: number,
  cpumode: string,
  event: EventSide,
  guest: boolean,
): ExecContext {
  if (count > 0 && ctx[0] !== ExecContext.Unknown) return ctx[0] as ExecContext;
  const fromMode = cpumodeContext(cpumode);
  if (fromMode >= 0) return fromMode as ExecContext;
  if (event.exclude_kernel && !event.exclude_user) {
    return guest ? ExecContext.GuestUser : ExecContext.HostUser;
  }
  if (event.exclude_user && !event.exclude_kernel) {
    return guest ? ExecContext.GuestKernel : ExecContext.HostKernel;
  }
  for (let i = 1; i < count; i++) {
    const c = ctx[i];
    if (c === ExecContext.Unknown) continue;
    return c === ExecContext.HostUser || c === ExecContext.GuestUser ? (c as ExecContext) : ExecContext.Unknown;
  }
  return ExecContext.Unknown;
}
