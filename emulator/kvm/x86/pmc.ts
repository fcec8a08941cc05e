/**
 * One emulated vPMU counter (struct kvm_pmc) and the rules that tie it to
 * the host perf event backing it (arch/x86/kvm/pmu.c; shared reference §5.1,
 * §5.2): its value, the backing event's attr and period, what an overflow
 * of that event does, and what reprogramming decides before VM-entry.
 */
import { makeAttr, PERF_TYPE_RAW, type PerfEventAttr } from '../../perf/attr';
import {
  ARCH_PERFMON_EVENTSEL_INT,
  ARCH_PERFMON_EVENTSEL_OS,
  ARCH_PERFMON_EVENTSEL_USR,
  INTEL_FIXED_0_ENABLE_PMI,
  INTEL_FIXED_0_KERNEL,
  INTEL_FIXED_0_USER,
} from './msr';
import type { KvmPmu } from './vpmu-regs';

/** struct kvm_pmc. */
export class KvmPmc {
  /** The value KVM keeps; the live value adds the backing event's count (pmcRead). */
  counter = 0n;
  /** The guest's selector; for a fixed counter, the event it counts (intel_get_fixed_pmc_eventsel). */
  eventsel = 0n;
  /** What the backing event was created for: eventsel (GP) or the FIXED_CTR_CTRL field (fixed). */
  current_config = 0n;

  /** BIT_ULL(idx): its bit in GLOBAL_CTRL, GLOBAL_STATUS and reprogram_pmi. */
  readonly bit: bigint;

  constructor(
    readonly pmu: KvmPmu,
    readonly idx: number,
    readonly isFixed: boolean,
    /** pmc_bitmask: 2^width - 1. */
    readonly mask: bigint,
  ) {
    this.bit = 1n << BigInt(idx);
  }
}

/** pmc_read_counter: KVM's value plus the backing event's count, wrapped to the counter's width. */
export function pmcRead(pmc: KvmPmc, perfCount: bigint): bigint {
  return (pmc.counter + perfCount) & pmc.mask;
}

/** get_sample_period: events until the guest counter wraps; a zero counter waits a full lap. */
export function get_sample_period(pmc: KvmPmc, counter: bigint): bigint {
  const period = -counter & pmc.mask;
  return period === 0n ? pmc.mask + 1n : period;
}

/** The selector a counter is programmed from; a fixed counter's OS/USR/INT come from its 4-bit field. */
function effectiveEventsel(pmc: KvmPmc): bigint {
  if (!pmc.isFixed) return pmc.eventsel;
  const field = pmc.pmu.fixedField(pmc);
  let eventsel = pmc.eventsel;
  if (field & INTEL_FIXED_0_KERNEL) eventsel |= ARCH_PERFMON_EVENTSEL_OS;
  if (field & INTEL_FIXED_0_USER) eventsel |= ARCH_PERFMON_EVENTSEL_USR;
  if (field & INTEL_FIXED_0_ENABLE_PMI) eventsel |= ARCH_PERFMON_EVENTSEL_INT;
  return eventsel;
}

/**
 * The host event that backs a counter (pmc_reprogram_counter): RAW, pinned,
 * guest-only, never counting idle, privilege filters from USR/OS, and a
 * period that overflows exactly when the guest counter wraps. Guest PEBS
 * (precise_ip) is not modelled.
 */
export function pmcBackingAttr(pmc: KvmPmc): PerfEventAttr {
  const eventsel = effectiveEventsel(pmc);
  return makeAttr({
    type: PERF_TYPE_RAW,
    config: eventsel & pmc.pmu.raw_event_mask,
    pinned: true,
    exclude_idle: true,
    exclude_host: true,
    exclude_user: (eventsel & ARCH_PERFMON_EVENTSEL_USR) === 0n,
    exclude_kernel: (eventsel & ARCH_PERFMON_EVENTSEL_OS) === 0n,
    sample_period: get_sample_period(pmc, pmc.counter),
  });
}

/**
 * kvm_perf_overflow, the backing event's overflow handler. Ignored while the
 * counter is queued for reprogramming (a stale PMI racing a guest WRMSR);
 * otherwise sets the counter's GLOBAL_STATUS bit, queues the counter so its
 * period is re-armed, and returns whether to raise KVM_REQ_PMI (INT set).
 */
export function pmcOverflow(pmc: KvmPmc): boolean {
  const pmu = pmc.pmu;
  const bit = pmc.bit;
  if (pmu.reprogram_pmi & bit) return false;
  pmu.reprogram_pmi |= bit;
  pmu.global_status |= bit;
  return (effectiveEventsel(pmc) & ARCH_PERFMON_EVENTSEL_INT) !== 0n;
}

export type ReprogramAction =
  /** Disabled (locally, globally) or denied by the event filter: the counter stays paused. */
  | { action: 'pause' }
  /** Same config as the existing backing event: re-arm it with this period and enable it. */
  | { action: 'resume'; sample_period: bigint }
  /** Release any existing backing event and create this one. */
  | { action: 'create'; attr: PerfEventAttr };

/**
 * reprogram_counter for one queued counter. Pausing folds the backing event's
 * count into pmc->counter, so the caller resets that event's count (perf_event_pause
 * with reset). `allowed` is the event filter's verdict (event-filter.ts).
 */
export function reprogramCounter(pmc: KvmPmc, perfCount: bigint, allowed: boolean, hasEvent: boolean): ReprogramAction {
  const pmu = pmc.pmu;
  pmc.counter = pmcRead(pmc, perfCount);
  if (!pmu.pmc_is_globally_enabled(pmc) || !pmu.pmc_speculative_in_use(pmc) || !allowed) return { action: 'pause' };
  const config = pmc.isFixed ? pmu.fixedField(pmc) : pmc.eventsel;
  if (hasEvent && config === pmc.current_config)
    return { action: 'resume', sample_period: get_sample_period(pmc, pmc.counter) };
  pmc.current_config = config;
  return { action: 'create', attr: pmcBackingAttr(pmc) };
}
