/**
 * perf stat's three output layouts — human (std), `-x SEP` CSV and `-j` JSON
 * lines — with and without `-I`, as tools/perf/util/stat-display.c prints them
 * for the default aggregation (AGGR_GLOBAL, one line per event) and one run.
 *
 * Matched version: Linux v6.13 onwards (json_out() field separators, metric
 * thresholds, no metric fields for counters without a metric) up to the Nov
 * 2025 removal of the hard-coded shadow metrics (see stat-metrics.ts). The
 * text is what perf writes with colour off, as with `-o FILE` or when the
 * output is not a terminal.
 *
 * Ground truth (`--truth`, a guestperf addition) is appended only to counters
 * that carry one, so output without it is exactly perf's:
 *   std   after the line: `  [truth <count>  error <±x.xx>%]`, the count in the
 *         same format as the counts column without padding, the error signed;
 *   CSV   two more fields: `<sep>truth-value<sep>error-pct` (printf %.2f);
 *   JSON  two more keys: `"truth-value" : "%f"` like counter-value and
 *         `"error-pct" : %.2f` like pcnt-running.
 * The error is (shown count − truth) / truth in percent, on the multiplex-scaled
 * count; it is `n/a` (CSV empty, JSON null) when the counter did not count or
 * the truth is 0 while the count is not.
 */
import { NO_METRIC, type Metric, type Reading, readCounter, shadowMetric } from './stat-metrics';
import { formatFixed, formatU64, groupThousands } from './stat-printf';
import type { StatInterval, StatRun } from './stat-types';

const COUNTS_LEN = 18;
const EVNAME_LEN = 32;
const METRIC_LEN = 38;
const INTERVAL_LEN = 16;
/** stat_config.unit_width starts at strlen("unit") and grows to the longest unit of an opened counter. */
const UNIT_MIN_WIDTH = 4;
/** print_header() repeats the -I column header when its print counter wraps after 25. */
const INTERVAL_HEADER_EVERY = 26;

const NOT_COUNTED = '<not counted>';
const NOT_SUPPORTED = '<not supported>';

const NMI_WATCHDOG_HINT =
  "Some events weren't counted. Try disabling the NMI watchdog:\n" +
  '\techo 0 > /proc/sys/kernel/nmi_watchdog\n' +
  '\tperf stat ...\n' +
  '\techo 1 > /proc/sys/kernel/nmi_watchdog\n';

export interface StdOptions {
  /** False for perf's --no-big-num: no thousands grouping in the counts column. */
  bigNum?: boolean;
}

export interface IntervalStdOptions extends StdOptions {
  /** Intervals already printed before these, so a caller can print them one at a time. */
  printedBefore?: number;
}

/** What a counter line needs beyond the counter itself. */
interface LineContext {
  readings: Reading[];
  wallNs: number;
  /** The -I timestamp as the layout prints it, '' without -I. */
  timestamp: string;
}

function badCount(r: Reading): string {
  return r.counter.supported ? NOT_COUNTED : NOT_SUPPORTED;
}

/** Clocks print in msec with two decimals (their scale is not an integer), the rest as integers. */
function precisionOf(r: Reading): number {
  return Number.isInteger(r.scale) ? 0 : 2;
}

function metricOf(r: Reading, ctx: LineContext): Metric {
  return r.ok ? shadowMetric(r, ctx.readings, ctx.wallNs) : NO_METRIC;
}

/** CSV and JSON print an integer-divided percentage, 100 when the counter always ran. */
function runningPercent(run: number, ena: number): string {
  if (run === ena) return '100.00';
  return formatFixed(Number((100n * BigInt(Math.trunc(run))) / BigInt(Math.trunc(ena))), 2);
}

function truthError(r: Reading): number | undefined {
  const truth = r.counter.truth ?? 0;
  if (!r.ok) return undefined;
  if (truth === 0) return r.count === 0 ? 0 : undefined;
  return ((r.count - truth) / truth) * 100;
}

function unitWidth(readings: readonly Reading[]): number {
  return readings.reduce((w, r) => (r.counter.supported ? Math.max(w, r.counter.unit.length) : w), UNIT_MIN_WIDTH);
}

function timespec(seconds: number, secondsWidth: number): string {
  const ns = Math.round(seconds * 1e9);
  const whole = Math.floor(ns / 1e9);
  return `${String(whole).padStart(secondsWidth)}.${String(ns - whole * 1e9).padStart(9, '0')}`;
}

// ---- std ------------------------------------------------------------------

function stdCount(value: number, precision: number, bigNum: boolean): string {
  const text = formatFixed(value, precision);
  return bigNum ? groupThousands(text) : text;
}

/** print_metric_std(): ` # ` + value + unit padded so the column is METRIC_LEN wide. */
function stdMetric(m: Metric): string {
  if (m.unit === undefined || m.text === undefined) return ''.padEnd(METRIC_LEN);
  const lead = ` # ${m.text}`;
  return `${lead} ${m.unit.padEnd(Math.abs(METRIC_LEN - lead.length - 1))}`;
}

function stdLine(r: Reading, ctx: LineContext, width: number, bigNum: boolean): string {
  const c = r.counter;
  const precision = precisionOf(r);
  const counts = r.ok ? stdCount(r.count * r.scale, precision, bigNum) : badCount(r);
  let line = `${ctx.timestamp}${counts.padStart(COUNTS_LEN)} ${c.unit.padEnd(width)} ${c.name.padEnd(EVNAME_LEN)}`;
  line += stdMetric(metricOf(r, ctx));
  if (c.running !== c.enabled) line += `  (${formatFixed((100.0 * c.running) / c.enabled, 2)}%)`;
  if (c.truth !== undefined) {
    const error = truthError(r);
    const shown = error === undefined ? 'n/a' : `${error < 0 ? '-' : '+'}${formatFixed(Math.abs(error), 2)}%`;
    line += `  [truth ${stdCount(c.truth * r.scale, precision, bigNum)}  error ${shown}]`;
  }
  return `${line}\n`;
}

function stdTarget(target: string, argv: string): string {
  // -p/-t targets arrive with their own quotes: process id '1234'.
  if (target.startsWith('process id ') || target.startsWith('thread id ')) return target;
  return `'${target || argv}'`;
}

/** rusage times are timevals: whole microseconds. */
function rusageSeconds(ns: number): number {
  const seconds = Math.floor(ns / 1e9);
  return seconds + Math.floor((ns - seconds * 1e9) / 1000) / 1e6;
}

function stdFooter(run: StatRun, readings: readonly Reading[]): string {
  let out = `\n ${formatFixed(run.elapsedNs / 1e9, 9).padStart(17)} seconds time elapsed`;
  if (run.forked) {
    out += `\n\n ${formatFixed(rusageSeconds(run.userNs), 9).padStart(17)} seconds user\n`;
    out += ` ${formatFixed(rusageSeconds(run.sysNs), 9).padStart(17)} seconds sys\n`;
  }
  out += '\n\n';
  if (run.nmiWatchdog && readings.some((r) => !r.ok && r.counter.supported)) out += NMI_WATCHDOG_HINT;
  return out;
}

/**
 * The human layout of a whole run. `run.target` names -a/-C/-p/-t targets;
 * when it is empty the header quotes `argv`, the forked workload's command line.
 */
export function formatStatStd(run: StatRun, argv: string, options: StdOptions = {}): string {
  const readings = run.counters.map(readCounter);
  const ctx: LineContext = { readings, wallNs: run.elapsedNs, timestamp: '' };
  const width = unitWidth(readings);
  let out = `\n Performance counter stats for ${stdTarget(run.target, argv)}:\n\n`;
  for (const r of readings) out += stdLine(r, ctx, width, options.bigNum ?? true);
  return out + stdFooter(run, readings);
}

/**
 * `-I MS` in the human layout: one block per interval, each line prefixed by
 * its time, the column header before the first block and every 26th after.
 * perf prints no footer in interval mode.
 */
export function formatIntervalStd(
  intervals: readonly StatInterval[],
  intervalMs: number,
  options: IntervalStdOptions = {},
): string {
  const printedBefore = options.printedBefore ?? 0;
  let out = '';
  intervals.forEach((interval, i) => {
    const readings = interval.counters.map(readCounter);
    const width = unitWidth(readings);
    if ((printedBefore + i) % INTERVAL_HEADER_EVERY === 0) {
      out += `#${'time'.padStart(INTERVAL_LEN - 1)} ${'counts'.padStart(COUNTS_LEN)} ${'unit'.padStart(width)} events\n`;
    }
    const ctx: LineContext = { readings, wallNs: intervalMs * 1e6, timestamp: `${timespec(interval.time, 6)} ` };
    for (const r of readings) out += stdLine(r, ctx, width, options.bigNum ?? true);
  });
  return out;
}

// ---- CSV ------------------------------------------------------------------

/** print_metric_csv(): the number is cut to its leading digits and dots (`3.64%` → `3.64`). */
function csvMetric(m: Metric, sep: string): string {
  if (m.unit === undefined || m.text === undefined) return sep + sep;
  const number = /^[0-9.]*/.exec(m.text.trimStart())?.[0] ?? '';
  return `${sep}${number}${sep}${m.unit.trimStart()}`;
}

function csvLine(r: Reading, ctx: LineContext, sep: string): string {
  const c = r.counter;
  const precision = precisionOf(r);
  const value = r.ok ? formatFixed(r.count * r.scale, precision) : badCount(r);
  let line = `${ctx.timestamp}${value}${sep}${c.unit}${sep}${c.name}`;
  line += `${sep}${formatU64(c.running)}${sep}${runningPercent(c.running, c.enabled)}`;
  line += csvMetric(metricOf(r, ctx), sep);
  if (c.truth !== undefined) {
    const error = truthError(r);
    line += `${sep}${formatFixed(c.truth * r.scale, precision)}${sep}${error === undefined ? '' : formatFixed(error, 2)}`;
  }
  return `${line}\n`;
}

/** `-x SEP`: value, unit, event, run time, percent running, metric value, metric unit. */
export function formatStatCsv(run: StatRun, sep = ','): string {
  const readings = run.counters.map(readCounter);
  const ctx: LineContext = { readings, wallNs: run.elapsedNs, timestamp: '' };
  return readings.map((r) => csvLine(r, ctx, sep)).join('');
}

/** `-I MS -x SEP`: each line starts with the interval's time and a separator; no header. */
export function formatIntervalCsv(intervals: readonly StatInterval[], intervalMs: number, sep = ','): string {
  let out = '';
  for (const interval of intervals) {
    const readings = interval.counters.map(readCounter);
    const ctx: LineContext = { readings, wallNs: intervalMs * 1e6, timestamp: `${timespec(interval.time, 1)}${sep}` };
    for (const r of readings) out += csvLine(r, ctx, sep);
  }
  return out;
}

// ---- JSON -----------------------------------------------------------------

function jsonLine(r: Reading, ctx: LineContext): string {
  const c = r.counter;
  const fields: string[] = [];
  if (ctx.timestamp) fields.push(`"interval" : ${ctx.timestamp}`);
  fields.push(`"counter-value" : "${r.ok ? formatFixed(r.count * r.scale, 6) : badCount(r)}"`);
  fields.push(`"unit" : "${c.unit}"`, `"event" : "${c.name}"`);
  fields.push(`"event-runtime" : ${formatU64(c.running)}`, `"pcnt-running" : ${runningPercent(c.running, c.enabled)}`);
  const m = metricOf(r, ctx);
  if (m.unit !== undefined) {
    fields.push(`"metric-value" : "${formatFixed(m.value, 6)}"`, `"metric-unit" : "${m.unit}"`);
    if (m.threshold) fields.push(`"metric-threshold" : "${m.threshold}"`);
  }
  if (c.truth !== undefined) {
    const error = truthError(r);
    fields.push(`"truth-value" : "${formatFixed(c.truth * r.scale, 6)}"`);
    fields.push(`"error-pct" : ${error === undefined ? 'null' : formatFixed(error, 2)}`);
  }
  return `{${fields.join(', ')}}\n`;
}

/** `-j`: one JSON object per line and event. */
export function formatStatJson(run: StatRun): string {
  const readings = run.counters.map(readCounter);
  const ctx: LineContext = { readings, wallNs: run.elapsedNs, timestamp: '' };
  return readings.map((r) => jsonLine(r, ctx)).join('');
}

/** `-I MS -j`: each object starts with `"interval" : <seconds>`. */
export function formatIntervalJson(intervals: readonly StatInterval[], intervalMs: number): string {
  let out = '';
  for (const interval of intervals) {
    const readings = interval.counters.map(readCounter);
    const ctx: LineContext = { readings, wallNs: intervalMs * 1e6, timestamp: timespec(interval.time, 1) };
    for (const r of readings) out += jsonLine(r, ctx);
  }
  return out;
}
