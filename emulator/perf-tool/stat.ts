/**
 * perf stat on an emulated kernel (tools/perf/builtin-stat.c): open the
 * evlist disabled, enable it at once, read every CPU's count at the end (and
 * at each -I interval), scale each CPU's count by enabled/running before
 * summing (AGGR_GLOBAL), and hand the result to stat-display.ts.
 *
 * Ground truth (--truth) is what the hardware really counted over the same
 * interval in the contexts the event's exclude bits select, on the same CPUs.
 */
import { HW_CONTEXTS } from '../hw/cpu';
import { HW_EVENT_COUNT } from '../hw/events';
import { PERF_FORMAT_TOTAL_TIME_ENABLED, PERF_FORMAT_TOTAL_TIME_RUNNING, PERF_TYPE_SOFTWARE } from '../perf/attr';
import { PerfIoc, type PerfCore } from '../perf/core';
import type { Evsel } from './evsel';
import { evselIsGroupLeader } from './evsel';
import { type OpenedEvlist, openEvlist } from './evlist-open';
import type { StatOptions } from './cmdline';
import type { StatCounter, StatInterval, StatRun } from './stat-types';

/** What perf stat runs against: one kernel's perf core and its CPUs. */
export interface StatHost {
  perf: PerfCore;
  /** The kernel's CPUs (a guest's: its vCPUs), each with the ground truth it keeps. */
  cpus: readonly { truth: Float64Array }[];
  nmiWatchdog: boolean;
  now(): number;
}

/** perf stat's default events (no -e), in its order. */
export const DEFAULT_STAT_EVENTS = 'task-clock,context-switches,cpu-migrations,page-faults,cycles,instructions,branches,branch-misses';

interface Reading {
  value: number;
  enabled: number;
  running: number;
}

export class PerfStat {
  readonly opened: OpenedEvlist;
  private readonly cpus: readonly number[];
  private startTime = 0;
  private truthStart: Float64Array[] = [];
  private last: Reading[][] = [];

  constructor(
    private readonly host: StatHost,
    readonly options: StatOptions,
    evlist: Evsel[],
  ) {
    const taskTarget = options.pid ?? options.tid;
    this.cpus = taskTarget !== null ? [-1] : (options.cpus ?? host.cpus.map((_, i) => i));
    for (const evsel of evlist) {
      evsel.attr.read_format |= PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
      // Leaders start disabled and are enabled together once everything is open.
      if (evselIsGroupLeader(evsel)) evsel.attr.disabled = true;
    }
    this.opened = openEvlist(host.perf, evlist, { cpus: this.cpus, pid: taskTarget ?? -1 });
  }

  /** enable_counters: start counting now. */
  start(): void {
    const now = this.host.now();
    this.startTime = now;
    for (const o of this.opened.evsels)
      if (evselIsGroupLeader(o.evsel)) for (const fd of o.fds) if (fd >= 0) this.host.perf.ioctl(fd, PerfIoc.ENABLE);
    this.truthStart = this.host.cpus.map((c) => c.truth.slice());
    this.last = this.opened.evsels.map((o) => o.fds.map(() => ({ value: 0, enabled: 0, running: 0 })));
  }

  /** One -I interval: the deltas since the previous one. */
  interval(): StatInterval {
    const now = this.host.now();
    const totals = this.readAll();
    const counters = totals.map((perCpu, i) => this.counter(i, perCpu.map((r, c) => delta(r, this.last[i][c]))));
    this.last = totals;
    const time = (now - this.startTime) / 1e9;
    return { time, counters };
  }

  /** The whole run, from start() to now. */
  finish(target: string): StatRun {
    const now = this.host.now();
    const counters = this.readAll().map((perCpu, i) => this.counter(i, perCpu));
    if (this.options.truth) this.addTruth(counters);
    return {
      target,
      forked: false,
      counters,
      elapsedNs: now - this.startTime,
      userNs: 0,
      sysNs: 0,
      nmiWatchdog: this.host.nmiWatchdog,
      cpus: this.cpus[0] === -1 ? 1 : this.cpus.length,
    };
  }

  private readAll(): Reading[][] {
    return this.opened.evsels.map((o) =>
      o.fds.map((fd) => {
        if (fd < 0) return { value: 0, enabled: 0, running: 0 };
        const r = this.host.perf.read(fd, 4096);
        if (typeof r === 'number' || r.bytes === 0) return { value: 0, enabled: 0, running: 0 };
        return { value: r.values[0].value, enabled: r.time_enabled ?? 0, running: r.time_running ?? 0 };
      }),
    );
  }

  /** AGGR_GLOBAL: each CPU scaled by its own enabled/running, then summed. */
  private counter(i: number, perCpu: Reading[]): StatCounter {
    const o = this.opened.evsels[i];
    let value = 0;
    let enabled = 0;
    let running = 0;
    for (const r of perCpu) {
      enabled += r.enabled;
      running += r.running;
      if (r.running === 0) continue;
      value += r.running < r.enabled ? Math.trunc((r.value * r.enabled) / r.running) : r.value;
    }
    const attr = o.evsel.attr;
    const clock = attr.type === PERF_TYPE_SOFTWARE && attr.config <= 1n;
    return { name: o.evsel.name, supported: o.supported, value, enabled, running, unit: clock ? 'msec' : '', scaled: true };
  }

  /** Ground truth of each hardware counter over the run, on the counted CPUs and contexts. */
  private addTruth(counters: StatCounter[]): void {
    // The hardware keeps truth per CPU, not per task: only CPU-wide runs have one.
    if (this.cpus[0] === -1) return;
    this.opened.evsels.forEach((o, i) => {
      const fd = o.fds.find((f) => f >= 0);
      const event = fd === undefined ? undefined : this.host.perf.eventOf(fd);
      if (!event || event.pmu.capabilities.software || event.hw.event < 0) return;
      let truth = 0;
      for (const c of this.cpus) {
        const now = this.host.cpus[c].truth;
        const then = this.truthStart[c];
        for (let ctx = 0; ctx < HW_CONTEXTS; ctx++) {
          if ((event.hw.ctxMask & (1 << ctx)) === 0) continue;
          const k = ctx * HW_EVENT_COUNT + event.hw.event;
          truth += now[k] - then[k];
        }
      }
      counters[i].truth = truth;
    });
  }
}

function delta(now: Reading, then: Reading): Reading {
  return { value: now.value - then.value, enabled: now.enabled - then.enabled, running: now.running - then.running };
}

/** The header's target: 'system wide', 'CPU(s) 0-3', process id '1234'. */
export function statTarget(options: StatOptions, cpuListText: string | null): string {
  if (options.pid !== null) return `process id '${options.pid}'`;
  if (options.tid !== null) return `thread id '${options.tid}'`;
  if (options.cpus !== null && !options.allCpus) return `CPU(s) ${cpuListText ?? options.cpus.join(',')}`;
  return 'system wide';
}
