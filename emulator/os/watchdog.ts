/**
 * The hard-lockup detector as kernel/watchdog_perf.c makes it: one pinned,
 * CPU-bound cycles event per CPU, created by the kernel with exclude_guest=0
 * (it counts in guests too), sampling every watchdog_thresh seconds of
 * cycles. It holds a counter for as long as the machine runs, which is why
 * perf users see fewer free counters than the PMU has, and why a mediated
 * vPMU cannot be created while it exists.
 */
import type { PmuModel } from '../hw/pmu-model';
import { makeAttr, PERF_TYPE_HARDWARE, PerfHwId } from '../perf/attr';
import type { PerfCore } from '../perf/core';
import type { PerfEvent } from '../perf/event';

/** /proc/sys/kernel/watchdog_thresh */
export const WATCHDOG_THRESH_S = 10;

export function startNmiWatchdog(perf: PerfCore, model: PmuModel, nrCpus: number): PerfEvent[] {
  const events: PerfEvent[] = [];
  for (let cpu = 0; cpu < nrCpus; cpu++) {
    // hw_nmi_get_sample_period: cpu_khz * 1000 * watchdog_thresh.
    const period = BigInt(Math.round(model.cyclesPerNs * 1e9 * WATCHDOG_THRESH_S));
    const attr = makeAttr({ type: PERF_TYPE_HARDWARE, config: BigInt(PerfHwId.CPU_CYCLES), pinned: true, sample_period: period });
    const event = perf.perf_event_create_kernel_counter(attr, cpu, -1, () => {
      // watchdog_overflow_callback: a CPU that took no timer interrupt in a whole period is locked up.
    });
    if (typeof event === 'number') throw new Error(`NMI watchdog: perf_event_create_kernel_counter failed on CPU ${cpu}`);
    events.push(event);
  }
  return events;
}
