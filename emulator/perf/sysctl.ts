/** The perf sysctls under /proc/sys/kernel, with the kernel's defaults. */
export interface PerfSysctl {
  perf_event_paranoid: number;
  perf_event_max_sample_rate: number;
  perf_cpu_time_max_percent: number;
  perf_event_max_stack: number;
  perf_event_mlock_kb: number;
}

export function defaultSysctl(): PerfSysctl {
  return {
    perf_event_paranoid: 2,
    perf_event_max_sample_rate: 100000,
    perf_cpu_time_max_percent: 25,
    perf_event_max_stack: 127,
    perf_event_mlock_kb: 516,
  };
}

/** CONFIG_HZ of the emulated kernels: the scheduler tick and the default mux interval. */
export const HZ = 250;
export const TICK_NSEC = 1_000_000_000 / HZ;
export const NSEC_PER_SEC = 1_000_000_000;
/** hwc->interrupts value of a throttled event. */
export const MAX_INTERRUPTS = Number.MAX_SAFE_INTEGER;

/** max_samples_per_tick = DIV_ROUND_UP(perf_event_max_sample_rate, HZ). */
export function maxSamplesPerTick(sysctl: PerfSysctl): number {
  return Math.ceil(sysctl.perf_event_max_sample_rate / HZ);
}
