/**
 * The partitioned arm64 PMU (Colton Lewis's series, v1 Jun 2025 → v6 Feb
 * 2026, not merged): MDCR_EL2.HPMN splits the event counters. Counters
 * [0, HPMN) are accessible to EL1/EL0 — the guest's, programmed directly
 * on hardware — and [HPMN, N) are EL2-only, the host's. The host picks its
 * share with the `arm_pmuv3.reserved_host_counters` module parameter, so
 * HPMN = N − reserved. The cycle counter (and FEAT_PMUv3_ICNTR's instruction
 * counter) cannot be split by HPMN and go to the guest: host cycles events
 * must run on a general counter.
 */

/**
 * Checklist 74: the guest's PMU registers are swapped when the vCPU thread is
 * loaded on and put off a CPU (lazily, per the series' "Implement lazy PMU
 * context swaps"), not at every guest entry/exit.
 */
export const SWITCH_POINT = 'vcpu_load/vcpu_put';
/** x86's mediated vPMU switches around the inner run loop, at every VM-entry/exit. */
export const MEDIATED_SWITCH_POINT = 'inner run loop';

export interface CounterPartition {
  /** MDCR_EL2.HPMN: the guest's event counters are [0, hpmn). */
  hpmn: number;
  /** Counter indices host perf may schedule on. */
  host: number[];
  /** Event counter indices the guest owns (the cycle counter comes on top). */
  guest: number[];
  cycleCounterToGuest: true;
}

/**
 * Checklist 73: which counters host perf may use once `hostCounters` of the
 * `nr` event counters are reserved for it: never one below HPMN, never the
 * cycle counter. HPMN = 0 (every event counter to the host) is CONSTRAINED
 * UNPREDICTABLE without FEAT_HPMN0, so it needs `hpmn0`.
 */
export function partitionCounters(nr: number, hostCounters: number, opts: { hpmn0?: boolean } = {}): CounterPartition {
  if (!Number.isInteger(nr) || nr < 0 || nr > 31) throw new RangeError(`PMCR_EL0.N must be 0..31, not ${nr}`);
  if (hostCounters === -1) throw new RangeError('reserved_host_counters=-1 means no partition');
  if (!Number.isInteger(hostCounters) || hostCounters < 0 || hostCounters > nr) {
    throw new RangeError(`reserved_host_counters must be 0..${nr} (PMCR_EL0.N), not ${hostCounters}`);
  }
  const hpmn = nr - hostCounters;
  if (hpmn === 0 && !opts.hpmn0) throw new RangeError('HPMN=0 (every counter to the host) needs FEAT_HPMN0');
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  return { hpmn, host: range(hpmn, nr), guest: range(0, hpmn), cycleCounterToGuest: true };
}
