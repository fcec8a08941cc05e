/**
 * What perf stat derives from the raw counters before printing them: the
 * multiplexing scale (tools/lib/perf/evsel.c perf_counts_values__scale) and the
 * shadow metric of the `# ...` column (tools/perf/util/stat-shadow.c).
 *
 * The metrics are those of stat-shadow.c from Linux v6.13 up to the series
 * "perf stat: Remove hard coded shadow metrics" (Nov 2025), which replaced them
 * with JSON metric groups and a different layout. Only the ones the emulated
 * PMUs can produce are kept: CPUs utilized, GHz, insn per cycle, of all
 * branches, of all cache refs and the K/M/G/sec rates. Stalled-cycles and
 * cache-level events have no counterpart in emulator/hw/events.ts.
 */
import { formatFixed } from './stat-printf';
import type { StatCounter } from './stat-types';

/** evsel__stat_type(): which hard-coded metric an event gets or feeds. */
type StatKind = 'nsecs' | 'cycles' | 'instructions' | 'branches' | 'branch-misses' | 'cache-refs' | 'cache-misses' | 'none';

const KIND_BY_NAME: Record<string, StatKind> = {
  'task-clock': 'nsecs',
  'cpu-clock': 'nsecs',
  cycles: 'cycles',
  'cpu-cycles': 'cycles',
  instructions: 'instructions',
  branches: 'branches',
  'branch-instructions': 'branches',
  'branch-misses': 'branch-misses',
  'cache-references': 'cache-refs',
  'cache-misses': 'cache-misses',
};

/** evsel_context() bits: metrics only pair events counting the same privilege levels. */
const CTX_USER = 1;
const CTX_KERNEL = 2;
const CTX_HV = 4;
const CTX_HOST = 8;
const CTX_IDLE = 16;

/** One counter as perf holds it at print time. */
export interface Reading {
  counter: StatCounter;
  /** False when run == 0 or ena == 0: perf prints <not counted>/<not supported>. */
  ok: boolean;
  /** The count after multiplexing scaling, 0 when not ok (perf zeroes it). */
  count: number;
  /** evsel->scale: the clocks count ns and print msec; other events print as counted. */
  scale: number;
  kind: StatKind;
  pmu: string;
  context: number;
}

/**
 * Splits `cycles:u`, `cpu_core/cycles/k` or `r003c` into what evsel__match and
 * evsel_context see: the event, its PMU (legacy names are the core PMU `cpu`)
 * and the exclude_* bits its modifiers set (see kernel-semantics §2).
 */
function identify(name: string): Pick<Reading, 'kind' | 'pmu' | 'context'> {
  const pmuForm = /^([^/]+)\/([^/]*)\/(.*)$/.exec(name);
  const colon = name.indexOf(':');
  const [pmu, event, modifiers] = pmuForm
    ? [pmuForm[1], pmuForm[2], pmuForm[3]]
    : ['cpu', colon < 0 ? name : name.slice(0, colon), colon < 0 ? '' : name.slice(colon + 1)];
  const has = (m: string): boolean => modifiers.includes(m);
  let context = 0;
  if (has('u') || has('k') || has('h')) {
    if (!has('u')) context |= CTX_USER;
    if (!has('k')) context |= CTX_KERNEL;
    if (!has('h')) context |= CTX_HV;
  }
  if (has('G') && !has('H')) context |= CTX_HOST;
  if (has('I')) context |= CTX_IDLE;
  return { kind: KIND_BY_NAME[event] ?? 'none', pmu, context };
}

export function readCounter(counter: StatCounter): Reading {
  const { value, enabled, running } = counter;
  // Scaled in double and truncated back to u64, as libperf does when the
  // counter ran for only part of the time it was enabled.
  let count = value;
  if (running === 0) count = 0;
  else if (running < enabled && !counter.scaled) count = Math.trunc((value * enabled) / running);
  return {
    counter,
    ok: running !== 0 && enabled !== 0,
    count,
    scale: counter.unit === 'msec' ? 1e-6 : 1,
    ...identify(counter.name),
  };
}

export type Threshold = 'good' | 'less good' | 'nearly bad' | 'bad';

/** One print_metric() call: perf passes a NULL format and/or unit when it has nothing to show. */
export interface Metric {
  value: number;
  /** The value through perf's printf format (`%8.3f`, `%7.2f `, `%7.2f%%`); absent for a NULL format. */
  text?: string;
  /** Absent for a NULL unit: no metric at all. */
  unit?: string;
  threshold?: Threshold;
}

export const NO_METRIC: Metric = { value: 0 };

/**
 * find_stat(): the first other counter of the wanted kind with the same
 * modifiers and, except for the clocks, the same PMU. perf also requires the
 * same group when the event is in one; StatCounter carries no groups, so every
 * counter is treated as ungrouped.
 */
function findStat(self: Reading, all: readonly Reading[], kind: StatKind): number {
  for (const other of all) {
    if (other === self || other.context !== self.context || other.kind !== kind) continue;
    if (kind !== 'nsecs' && other.pmu !== self.pmu) continue;
    return kind === 'nsecs' ? other.count : other.count * other.scale;
  }
  return 0;
}

function fixed(value: number, width: number, precision: number): string {
  return formatFixed(value, precision).padStart(width);
}

/** get_ratio_thresh() with the miss-ratio limits {20, 10, 5} percent. */
function missThreshold(percent: number): Threshold {
  if (percent > 10) return percent > 20 ? 'bad' : 'nearly bad';
  return percent > 5 ? 'less good' : 'good';
}

function missRatio(misses: number, total: number, unit: string): Metric {
  if (!misses || !total) return NO_METRIC;
  const percent = (misses / total) * 100.0;
  return { value: percent, text: `${fixed(percent, 7, 2)}%`, unit, threshold: missThreshold(percent) };
}

/** K/M/G scaling of convert_unit_double(): strictly above 1000 moves up a prefix. */
function perSecond(rate: number): Metric {
  let value = rate;
  let prefix = '';
  for (const next of ['K', 'M', 'G']) {
    if (value > 1000.0) {
      value /= 1000.0;
      prefix = next;
    }
  }
  return { value, text: fixed(value, 8, 3), unit: `${prefix}/sec` };
}

/**
 * perf_stat__print_shadow_stats() for one counter (only called for counters
 * that counted). `wallNs` is walltime_nsecs_stats: the elapsed time of the
 * run, or the interval length with -I.
 */
export function shadowMetric(self: Reading, all: readonly Reading[], wallNs: number): Metric {
  const avg = self.count * self.scale;
  switch (self.kind) {
    case 'nsecs': {
      if (!wallNs) return { value: 0, unit: 'CPUs utilized' };
      const ratio = avg / (wallNs * self.scale);
      return { value: ratio, text: fixed(ratio, 8, 3), unit: 'CPUs utilized' };
    }
    case 'cycles': {
      const nsecs = findStat(self, all, 'nsecs');
      if (!avg || !nsecs) return { value: 0, unit: 'GHz' };
      const ratio = avg / nsecs;
      return { value: ratio, text: fixed(ratio, 8, 3), unit: 'GHz' };
    }
    case 'instructions': {
      const cycles = findStat(self, all, 'cycles');
      if (!cycles) return { value: 0, unit: 'insn per cycle' };
      const ratio = avg / cycles;
      return { value: ratio, text: `${fixed(ratio, 7, 2)} `, unit: 'insn per cycle' };
    }
    case 'branch-misses':
      return missRatio(avg, findStat(self, all, 'branches'), 'of all branches');
    case 'cache-misses':
      return missRatio(avg, findStat(self, all, 'cache-refs'), 'of all cache refs');
    default: {
      const nsecs = findStat(self, all, 'nsecs');
      return nsecs ? perSecond((1000000000.0 * avg) / nsecs) : NO_METRIC;
    }
  }
}
