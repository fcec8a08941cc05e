/**
 * What `perf stat` has in hand when it prints: one entry per evsel with its
 * counts aggregated (summed over CPUs for -a, as perf's default AGGR_GLOBAL),
 * and the run's context. stat-display.ts turns it into perf's layouts.
 */
export interface StatCounter {
  /** The evsel's name as perf prints it (`cycles`, `cycles:H`, `r003c`, ...). */
  name: string;
  /** False when perf_event_open failed for it: printed `<not supported>`. */
  supported: boolean;
  /** Summed count; raw unless `scaled`. */
  value: number;
  /**
   * The value is already scaled CPU by CPU before summing, as perf's
   * AGGR_GLOBAL does (process_counter_values); the display must not scale it again.
   */
  scaled?: boolean;
  /** Summed time_enabled / time_running, ns. */
  enabled: number;
  running: number;
  /** perf's unit column ('msec' for task-clock and cpu-clock, '' otherwise). */
  unit: string;
  /** The emulator's ground truth for the same event and interval, when --truth. */
  truth?: number;
}

export interface StatRun {
  /** 'system wide', 'CPU(s) 0-3', "process id '1234'", ... (without quotes for -a/-C). */
  target: string;
  /** True when perf stat ran a command (footer then adds user/sys lines). */
  forked: boolean;
  counters: StatCounter[];
  /** Wall time of the run, ns. */
  elapsedNs: number;
  userNs: number;
  sysNs: number;
  /** Whether /proc/sys/kernel/nmi_watchdog is on (the hint after <not counted>). */
  nmiWatchdog: boolean;
  /** Number of CPUs aggregated (task-clock's "CPUs utilized" metric needs it). */
  cpus: number;
}

/** One interval of `perf stat -I`: counts are deltas over (time - interval, time]. */
export interface StatInterval {
  /** Seconds since the start, as the first column prints it. */
  time: number;
  counters: StatCounter[];
}
