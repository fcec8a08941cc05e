/**
 * KVM_SET_PMU_EVENT_FILTER (x86 VM ioctl): which guest events the vPMU may
 * count (kvm_vm_ioctl_set_pmu_event_filter and the filter checks in
 * arch/x86/kvm/pmu.c; Documentation/virt/kvm/api.rst; shared reference
 * §5.4). A denied counter does not #GP: it simply is not programmed, so it
 * keeps its frozen value.
 *
 * Masked entries use the uapi layout (KVM_PMU_ENCODE_MASKED_ENTRY): event
 * select 7:0 and 35:32, umask match 15:8, exclude bit 55, umask mask 63:56.
 */
import { Errno } from '../../perf/errno';
import { AMD64_EVENTSEL_EVENT, ARCH_PERFMON_EVENTSEL_EVENT, ARCH_PERFMON_EVENTSEL_UMASK } from './msr';
import type { KvmPmc } from './pmc';
import { KVM_FIXED_PMC_BASE_IDX, type X86Vendor } from './pmu-refresh';
import type { KvmPmu } from './vpmu-regs';

export const KVM_PMU_EVENT_ALLOW = 0;
export const KVM_PMU_EVENT_DENY = 1;
export const KVM_PMU_EVENT_FLAG_MASKED_EVENTS = 1 << 0;
const KVM_PMU_EVENT_FLAGS_VALID_MASK = KVM_PMU_EVENT_FLAG_MASKED_EVENTS;
export const KVM_PMU_EVENT_FILTER_MAX_EVENTS = 300;

export const KVM_PMU_MASKED_ENTRY_EVENT_SELECT = 0xffn | (0xfn << 32n);
export const KVM_PMU_MASKED_ENTRY_UMASK_MATCH = 0xffn << 8n;
export const KVM_PMU_MASKED_ENTRY_EXCLUDE = 1n << 55n;
export const KVM_PMU_MASKED_ENTRY_UMASK_MASK = 0xffn << 56n;
const KVM_PMU_MASKED_ENTRY_UMASK_MASK_SHIFT = 56n;

/** KVM_PMU_ENCODE_MASKED_ENTRY(event_select, mask, match, exclude). */
export function KVM_PMU_ENCODE_MASKED_ENTRY(event_select: bigint, mask: bigint, match: bigint, exclude: boolean): bigint {
  return (
    (event_select & 0xffn) |
    ((event_select & 0xf00n) << 24n) |
    ((mask & 0xffn) << KVM_PMU_MASKED_ENTRY_UMASK_MASK_SHIFT) |
    ((match & 0xffn) << 8n) |
    (exclude ? KVM_PMU_MASKED_ENTRY_EXCLUDE : 0n)
  );
}

/** struct kvm_pmu_event_filter as userspace passes it (pad omitted). */
export interface KvmPmuEventFilterArg {
  action: number;
  nevents: number;
  fixed_counter_bitmap: number;
  flags: number;
  /** The trailing events[]; fewer than `nevents` entries is a fault copying them in. */
  events: readonly bigint[];
}

/** struct kvm_x86_pmu_event_filter: every entry in masked form, split into includes and excludes. */
export interface KvmX86PmuEventFilter {
  readonly action: number;
  readonly fixed_counter_bitmap: number;
  readonly flags: number;
  readonly includes: readonly bigint[];
  readonly excludes: readonly bigint[];
}

/** kvm_pmu_ops.EVENTSEL_EVENT: Intel's event select is 8 bits, AMD's 12 (7:0 and 35:32). */
function eventselEvent(vendor: X86Vendor): bigint {
  return vendor === 'amd' ? AMD64_EVENTSEL_EVENT : ARCH_PERFMON_EVENTSEL_EVENT;
}

/**
 * The ioctl, in the kernel's check order: action (EINVAL), flags (EINVAL),
 * nevents > 300 (E2BIG), copying the entries (EFAULT), then masked-entry
 * validation (EINVAL). Returns the filter to install or -errno.
 */
export function setPmuEventFilter(
  arg: KvmPmuEventFilterArg,
  vendor: X86Vendor,
): { ok: KvmX86PmuEventFilter } | { errno: number } {
  if (arg.action !== KVM_PMU_EVENT_ALLOW && arg.action !== KVM_PMU_EVENT_DENY) return { errno: -Errno.EINVAL };
  if (arg.flags & ~KVM_PMU_EVENT_FLAGS_VALID_MASK) return { errno: -Errno.EINVAL };
  if (arg.nevents > KVM_PMU_EVENT_FILTER_MAX_EVENTS) return { errno: -Errno.E2BIG };
  if (arg.events.length < arg.nevents) return { errno: -Errno.EFAULT };
  const events = arg.events.slice(0, arg.nevents).map((e) => BigInt.asUintN(64, e));
  const evsel = eventselEvent(vendor);
  let masked: bigint[];
  if (arg.flags & KVM_PMU_EVENT_FLAG_MASKED_EVENTS) {
    // is_masked_filter_valid: on Intel this also rejects event-select bits 35:32.
    const valid = evsel | KVM_PMU_MASKED_ENTRY_UMASK_MASK | KVM_PMU_MASKED_ENTRY_UMASK_MATCH | KVM_PMU_MASKED_ENTRY_EXCLUDE;
    if (events.some((e) => e & ~valid)) return { errno: -Errno.EINVAL };
    masked = events;
  } else {
    // convert_to_masked_filter: an entry with bits beyond event select + umask
    // can never match, but rejecting it would break old VMMs, so it is dropped.
    // The rest match their umask exactly (mask 0xff) and never exclude.
    masked = events
      .filter((e) => (e & ~(evsel | ARCH_PERFMON_EVENTSEL_UMASK)) === 0n)
      .map((e) => e | KVM_PMU_MASKED_ENTRY_UMASK_MASK);
  }
  return {
    ok: {
      action: arg.action,
      fixed_counter_bitmap: arg.fixed_counter_bitmap,
      flags: arg.flags,
      includes: masked.filter((e) => !(e & KVM_PMU_MASKED_ENTRY_EXCLUDE)),
      excludes: masked.filter((e) => e & KVM_PMU_MASKED_ENTRY_EXCLUDE),
    },
  };
}

/** filter_contains_match: an entry for the event select whose (umask & mask) == match. */
function containsMatch(entries: readonly bigint[], eventsel: bigint, vendor: X86Vendor): boolean {
  const eventSelect = eventsel & eventselEvent(vendor);
  const umask = eventsel & ARCH_PERFMON_EVENTSEL_UMASK;
  return entries.some(
    (e) =>
      (e & KVM_PMU_MASKED_ENTRY_EVENT_SELECT) === eventSelect &&
      (umask & (e >> (KVM_PMU_MASKED_ENTRY_UMASK_MASK_SHIFT - 8n))) === (e & KVM_PMU_MASKED_ENTRY_UMASK_MATCH),
  );
}

/**
 * is_gp_event_allowed: an event is "in the filter" if an include entry
 * matches and no exclude entry does; ALLOW lets exactly those count, DENY
 * stops exactly those.
 */
export function filterAllowsGp(filter: KvmX86PmuEventFilter, eventsel: bigint, vendor: X86Vendor): boolean {
  const inFilter = containsMatch(filter.includes, eventsel, vendor) && !containsMatch(filter.excludes, eventsel, vendor);
  return inFilter ? filter.action === KVM_PMU_EVENT_ALLOW : filter.action === KVM_PMU_EVENT_DENY;
}

/**
 * is_fixed_event_allowed, by fixed counter number (0 = fixed counter 0):
 * fixed counters are filtered by the bitmap only — ALLOW with the bit clear
 * or DENY with it set stops the counter.
 */
export function filterAllowsFixed(filter: KvmX86PmuEventFilter, fixedIdx: number): boolean {
  const set = ((filter.fixed_counter_bitmap >>> fixedIdx) & 1) === 1;
  if (filter.action === KVM_PMU_EVENT_DENY && set) return false;
  if (filter.action === KVM_PMU_EVENT_ALLOW && !set) return false;
  return true;
}

/** check_pmu_event_filter: the verdict reprogramCounter() needs; no filter allows everything. */
export function check_pmu_event_filter(filter: KvmX86PmuEventFilter | null, pmc: KvmPmc): boolean {
  if (!filter) return true;
  if (pmc.isFixed) return filterAllowsFixed(filter, pmc.idx - KVM_FIXED_PMC_BASE_IDX);
  return filterAllowsGp(filter, pmc.eventsel, pmc.pmu.vendor);
}

/**
 * After a filter is installed, every vCPU reprograms every counter before its
 * next entry (the ioctl sets all of __reprogram_pmi and raises KVM_REQ_PMU
 * on all vCPUs), so the new verdicts apply to already-running counters too.
 */
export function reprogramAll(pmus: readonly KvmPmu[]): void {
  for (const pmu of pmus) for (const pmc of pmu.pmcs()) pmu.kvm_pmu_request_counter_reprogram(pmc);
}
