/**
 * struct pmu: how the perf core talks to whatever counts. The host's hardware
 * driver (perf/cpu-pmu.ts), the software PMU (perf/sw-pmu.ts) and, inside a
 * guest, the vPMU a design exposes all implement this one ops table, so the
 * core never asks which one it has.
 */
import type { PerfEvent } from './event';

/** PERF_EF_* flags of add/start/stop. */
export const PERF_EF_START = 0x01;
export const PERF_EF_RELOAD = 0x02;
export const PERF_EF_UPDATE = 0x04;

export interface PmuCapabilities {
  /** PERF_PMU_CAP_NO_INTERRUPT: sampling is refused with EOPNOTSUPP. */
  noInterrupt: boolean;
  /** PERF_PMU_CAP_NO_EXCLUDE: any exclude_* bit is refused with EINVAL. */
  noExclude: boolean;
  /** Software PMUs' groups always fit and never rotate. */
  software: boolean;
  maxPrecise: number;
}

export interface Pmu {
  readonly name: string;
  /** attr.type values this PMU accepts (its own dynamic type, and generic ones). */
  readonly types: readonly number[];
  readonly capabilities: PmuCapabilities;
  /** Per-PMU multiplexing interval (perf_event_mux_interval_ms). */
  muxIntervalMs: number;
  /** 0, -ENOENT (not mine / unmapped), or another -errno. Sets event.hw fields. */
  eventInit(event: PerfEvent): number;
  /** Can the group (leader + siblings + candidate) ever fit on an empty PMU? (validate_group) */
  validateGroup(members: readonly PerfEvent[]): boolean;
  /** Transaction around a group's add()s: commit fails if the set cannot be scheduled. */
  startTxn(cpu: number): void;
  commitTxn(cpu: number): number;
  cancelTxn(cpu: number): void;
  add(event: PerfEvent, flags: number): number;
  del(event: PerfEvent, flags: number): void;
  start(event: PerfEvent, flags: number): void;
  stop(event: PerfEvent, flags: number): void;
  /** Fold the hardware's count into event.count. */
  read(event: PerfEvent): void;
}
