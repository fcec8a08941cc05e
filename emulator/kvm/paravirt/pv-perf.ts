/**
 * The 2010 paravirtual perf interface (Zhang Yanmin, "para virt interface of
 * perf to support kvm guest os statistics collection in guest os", RFC and
 * V2, June 2010; never merged). The guest's perf core registers a PMU whose
 * callbacks are hypercalls: the host opens one host perf event per guest
 * event, keeps its count and overflows in a structure the guest shares with
 * it, and on a host overflow injects an NMI into the guest.
 *
 * Its reviewers (Avi Kivity) wanted a stable, documented interface that
 * migrates, like registers do; this one keeps the state in host perf events
 * the guest only names, and the ABI never said what migration does — so a
 * VM exposing it must not be migratable (checklist 80).
 */
import { makeAttr, type PerfEventAttr } from '../../perf/attr';
import { Errno } from '../../perf/errno';

/** KVM_CPUID_FEATURES bit advertising the interface. */
export const KVM_FEATURE_PV_PERF = 4;
/** kvm_hypercall3(KVM_PERF_OP, op, param_lo32, param_hi32). */
export const KVM_PERF_OP = 3;
export const KVM_PERF_OP_OPEN = 1;
export const KVM_PERF_OP_CLOSE = 2;
export const KVM_PERF_OP_ENABLE = 3;
export const KVM_PERF_OP_DISABLE = 4;
export const KVM_PERF_OP_READ = 5;

// perf_event_attr flag bits the trimmed attr carries in `flags`.
const FLAG_DISABLED = 1n << 0n;
const FLAG_EXCLUDE_USER = 1n << 4n;
const FLAG_EXCLUDE_KERNEL = 1n << 5n;

/** struct guest_perf_attr: perf_event_attr trimmed to what a guest may ask for. */
export interface GuestPerfAttr {
  type: number;
  config: bigint;
  sample_period: bigint;
  sample_type: bigint;
  read_format: bigint;
  /** perf_event_attr's flag bitfield (disabled, exclude_user, exclude_kernel...). */
  flags: bigint;
  bp_type: number;
  bp_addr: bigint;
  bp_len: bigint;
}

/** struct guest_perf_event: guest memory the host writes into. */
export interface GuestPerfEvent {
  count: bigint;
  overflows: number;
}

/**
 * struct guest_perf_event_param, with the two guest addresses resolved to
 * what they point at; `id` is the guest's name for its event (V2).
 */
export interface PvPerfArgs {
  id: number;
  attr?: GuestPerfAttr;
  event?: GuestPerfEvent;
}

/** The host perf the hypercalls drive: ids of host-side events. */
export interface PvPerfBackend {
  /** A host event id, or -errno. */
  open(attr: PerfEventAttr): number;
  close(hostId: number): void;
  enable(hostId: number): void;
  disable(hostId: number): void;
  read(hostId: number): bigint;
}

/** Whether the guest's KVM_CPUID_FEATURES eax offers the interface. */
export function guestHasPvPerf(kvmCpuidFeatures: number): boolean {
  return (kvmCpuidFeatures & (1 << KVM_FEATURE_PV_PERF)) !== 0;
}

export interface PvPerfVmConfig {
  pvPerf: boolean;
  migratable: boolean;
}

/**
 * Checklist 80: the reason a VM config is refused, or null. The ABI never
 * specified migration: host-side events do not follow the guest, so
 * exposing it on a migratable VM would silently break the guest's counts.
 */
export function pvPerfVmConfigError(config: PvPerfVmConfig): string | null {
  if (config.pvPerf && config.migratable) {
    return 'the paravirtual perf interface cannot be exposed on a migratable VM: its ABI never specified migration';
  }
  return null;
}

interface GuestEvent {
  hostId: number;
  shared: GuestPerfEvent;
}

/** The host side of KVM_PERF_OP for one VM: guest ids → host perf events. */
export class PvPerfHost {
  private readonly events = new Map<number, GuestEvent>();

  /** V2 bounds the events one guest may hold, against a malicious guest exhausting the host. */
  constructor(
    private readonly backend: PvPerfBackend,
    private readonly maxEvents = 64,
  ) {}

  get openEvents(): number {
    return this.events.size;
  }

  /** One KVM_PERF_OP hypercall: 0 or -errno. */
  hypercall(op: number, args: PvPerfArgs): number {
    switch (op) {
      case KVM_PERF_OP_OPEN:
        return this.open(args);
      case KVM_PERF_OP_CLOSE:
        return this.withEvent(args.id, (ev) => {
          this.backend.close(ev.hostId);
          this.events.delete(args.id);
        });
      case KVM_PERF_OP_ENABLE:
        return this.withEvent(args.id, (ev) => this.backend.enable(ev.hostId));
      case KVM_PERF_OP_DISABLE:
        // V2's perf stat fix: DISABLE syncs the count back, as READ does.
        return this.withEvent(args.id, (ev) => {
          this.backend.disable(ev.hostId);
          ev.shared.count = this.backend.read(ev.hostId);
        });
      case KVM_PERF_OP_READ:
        return this.withEvent(args.id, (ev) => {
          ev.shared.count = this.backend.read(ev.hostId);
        });
      default:
        return -Errno.ENOSYS;
    }
  }

  /**
   * A host event overflowed (design step 3): record it in the shared
   * structure and return the guest id whose NMI to inject; the guest then
   * scans its enabled events to find it. Null for an event this host no
   * longer maps.
   */
  hostOverflow(hostId: number): number | null {
    for (const [id, ev] of this.events) {
      if (ev.hostId !== hostId) continue;
      ev.shared.count = this.backend.read(hostId);
      ev.shared.overflows++;
      return id;
    }
    return null;
  }

  /**
   * Live migration: the host-side events stay on the source and nothing in
   * the ABI recreates them, so every guest handle is dangling afterwards
   * (its calls fail EBADF and the shared counts freeze). Returns how many
   * events were lost.
   */
  migrate(): number {
    const lost = this.events.size;
    for (const ev of this.events.values()) this.backend.close(ev.hostId);
    this.events.clear();
    return lost;
  }

  /** A guest id this host does not map is a stale or forged handle. */
  private withEvent(id: number, fn: (ev: GuestEvent) => void): number {
    const ev = this.events.get(id);
    if (!ev) return -Errno.EBADF;
    fn(ev);
    return 0;
  }

  private open(args: PvPerfArgs): number {
    // Unreadable guest addresses.
    if (!args.attr || !args.event) return -Errno.EFAULT;
    if (this.events.has(args.id)) return -Errno.EINVAL;
    if (this.events.size >= this.maxEvents) return -Errno.ENOSPC;
    const a = args.attr;
    const hostId = this.backend.open(
      makeAttr({
        type: a.type,
        config: a.config,
        sample_period: a.sample_period,
        sample_type: a.sample_type,
        read_format: a.read_format,
        disabled: (a.flags & FLAG_DISABLED) !== 0n,
        exclude_user: (a.flags & FLAG_EXCLUDE_USER) !== 0n,
        exclude_kernel: (a.flags & FLAG_EXCLUDE_KERNEL) !== 0n,
        // The host event counts the guest, not the host code running for it.
        exclude_host: true,
      }),
    );
    if (hostId < 0) return hostId;
    this.events.set(args.id, { hostId, shared: args.event });
    return 0;
  }
}
