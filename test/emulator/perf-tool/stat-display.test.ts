/**
 * perf stat's layouts, character for character. The expected text is written
 * out from stat-display.c's formats (COUNTS_LEN 18, unit width 4, EVNAME_LEN
 * 32, METRIC_LEN 38) and checked against the shape of real perf output: a
 * counter without a metric is followed by 38 blanks, the rusage lines are
 * followed by two empty lines, <not counted> keeps its unit.
 */
import { describe, expect, it } from 'vitest';
import {
  formatIntervalCsv,
  formatIntervalJson,
  formatIntervalStd,
  formatStatCsv,
  formatStatJson,
  formatStatStd,
} from '../../../emulator/perf-tool/stat-display';
import { formatFixed, groupThousands } from '../../../emulator/perf-tool/stat-printf';
import type { StatCounter, StatInterval, StatRun } from '../../../emulator/perf-tool/stat-types';

const T = 998_123_456;

function counter(name: string, value: number, enabled = T, running = enabled, extra: Partial<StatCounter> = {}): StatCounter {
  const unit = name === 'task-clock' || name === 'cpu-clock' ? 'msec' : '';
  return { name, supported: true, value, enabled, running, unit, ...extra };
}

function statRun(counters: StatCounter[], extra: Partial<StatRun> = {}): StatRun {
  return {
    target: '',
    forked: true,
    counters,
    elapsedNs: 1_002_492_480,
    userNs: 1_180_123,
    sysNs: 2_301_999,
    nmiWatchdog: false,
    cpus: 1,
    ...extra,
  };
}

/** The output split at newlines, so a failure shows the line that differs. */
function lines(text: string): string[] {
  return text.split('\n');
}

const small = statRun([
  counter('task-clock', T),
  counter('context-switches', 124),
  counter('cycles', 2_510_443_185),
  counter('instructions', 3_612_345_678),
  counter('branches', 512_000_000),
  counter('branch-misses', 3_753_000),
]);

const SMALL_STD_COUNTERS = [
  '            998.12 msec task-clock                       #    0.996 CPUs utilized             ',
  '               124      context-switches                 #  124.233 /sec                      ',
  '     2,510,443,185      cycles                           #    2.515 GHz                       ',
  '     3,612,345,678      instructions                     #    1.44  insn per cycle            ',
  '       512,000,000      branches                         #  512.963 M/sec                     ',
  '         3,753,000      branch-misses                    #    0.73% of all branches           ',
];

const NO_METRIC = ' '.repeat(38);

describe('perf stat std layout', () => {
  it('prints a forked run exactly: header, counters with their metrics, elapsed, user and sys', () => {
    expect(lines(formatStatStd(small, 'sleep 1'))).toEqual([
      '',
      " Performance counter stats for 'sleep 1':",
      '',
      ...SMALL_STD_COUNTERS,
      '',
      '       1.002492480 seconds time elapsed',
      '',
      '       0.001180000 seconds user',
      '       0.002301000 seconds sys',
      '',
      '',
      '',
    ]);
  });

  it('checklist 22: the footer is " %17.9f seconds time elapsed", user/sys only for a forked workload', () => {
    const text = formatStatStd({ ...small, target: 'system wide', forked: false }, 'sleep 1');
    expect(lines(text).slice(-4)).toEqual(['', '       1.002492480 seconds time elapsed', '', '']);
    expect(text).not.toContain('seconds user');
    expect(text).not.toContain('seconds sys');
    // rusage times are whole microseconds; 12.5 s of wall time needs the wider field.
    const long = formatStatStd(statRun([], { elapsedNs: 12_500_000_001, userNs: 3_000_000_999, sysNs: 0 }), 'make');
    expect(lines(long)).toContain('      12.500000001 seconds time elapsed');
    expect(lines(long)).toContain('       3.000000000 seconds user');
    expect(lines(long)).toContain('       0.000000000 seconds sys');
  });

  it("checklist 23: the header target is 'system wide' for -a, 'CPU(s) <list>' for -C, the pid or the command", () => {
    const header = (target: string, argv: string): string => lines(formatStatStd({ ...small, target }, argv))[1];
    expect(header('system wide', 'sleep 1')).toBe(" Performance counter stats for 'system wide':");
    expect(header('CPU(s) 0-3', 'sleep 1')).toBe(" Performance counter stats for 'CPU(s) 0-3':");
    expect(header("process id '1234'", '')).toBe(" Performance counter stats for process id '1234':");
    expect(header("thread id '99'", '')).toBe(" Performance counter stats for thread id '99':");
    expect(header('', './a.out --fast x')).toBe(" Performance counter stats for './a.out --fast x':");
  });

  it('checklist 19: a multiplexed count is scaled by ena/run, truncated, with "  (%.2f%%)" of run/ena', () => {
    // 1001 × 3 / 2 = 1501.5 → 1501; 2/3 ran → 66.67%.
    const text = formatStatStd(statRun([counter('r003c', 1001, 3, 2), counter('r00c0', 7, 10, 3)]), 'x');
    expect(lines(text)[3]).toBe(`             1,501      r003c                           ${NO_METRIC}  (66.67%)`);
    // 7 × 10 / 3 = 23.33 → 23.
    expect(lines(text)[4]).toBe(`                23      r00c0                           ${NO_METRIC}  (30.00%)`);
    // No percentage at all when the counter ran the whole time.
    expect(lines(formatStatStd(small, 'x'))[3]).not.toContain('%)');
  });

  it('checklist 19: scaling happens in double before truncation, beyond 2^32', () => {
    // 5,000,000,007 × 1,000,000,000 / 999,999,999 = 5,000,000,012.000000012 → 5,000,000,012.
    const text = formatStatCsv(statRun([counter('cycles', 5_000_000_007, 1_000_000_000, 999_999_999)]));
    expect(text.split(',')[0]).toBe('5000000012');
  });

  it('checklist 20: <not counted> and <not supported> are right-aligned in 18 columns', () => {
    const text = formatStatStd(
      statRun([
        counter('cycles', 0, 5_000, 0),
        counter('instructions', 0, 0, 0, { supported: false }),
        counter('task-clock', 0, 0, 0),
      ]),
      'x',
    );
    expect(lines(text).slice(3, 6)).toEqual([
      `     <not counted>      cycles                          ${NO_METRIC}  (0.00%)`,
      `   <not supported>      instructions                    ${NO_METRIC}`,
      `     <not counted> msec task-clock                      ${NO_METRIC}`,
    ]);
  });

  it('checklist 20: the NMI watchdog hint follows the footer only for a supported counter that did not count', () => {
    const hint = [
      "Some events weren't counted. Try disabling the NMI watchdog:",
      '\techo 0 > /proc/sys/kernel/nmi_watchdog',
      '\tperf stat ...',
      '\techo 1 > /proc/sys/kernel/nmi_watchdog',
      '',
    ];
    const notCounted = [counter('task-clock', T), counter('cycles', 0, T, 0)];
    const text = formatStatStd(statRun(notCounted, { nmiWatchdog: true, forked: false }), 'x');
    expect(lines(text).slice(-8)).toEqual(['', '       1.002492480 seconds time elapsed', '', ...hint]);
    expect(formatStatStd(statRun(notCounted, { nmiWatchdog: false }), 'x')).not.toContain('NMI');
    const unsupported = [counter('cycles', 0, 0, 0, { supported: false })];
    expect(formatStatStd(statRun(unsupported, { nmiWatchdog: true }), 'x')).not.toContain('NMI');
  });

  it('groups big counts by thousands, and not with --no-big-num', () => {
    const big = statRun([counter('instructions', 12_345_678_901_234), counter('branches', 999), counter('cycles', 1000)]);
    expect(lines(formatStatStd(big, 'x')).slice(3, 6).map((l) => l.slice(0, 18))).toEqual([
      '12,345,678,901,234',
      '               999',
      '             1,000',
    ]);
    expect(lines(formatStatStd(big, 'x', { bigNum: false }))[3].slice(0, 18)).toBe('    12345678901234');
  });

  it('prints the clocks as "%\'18.2f msec", rounding an exact tie to even as glibc does', () => {
    // 125,000 ns is exactly 0.125 msec: glibc prints 0.12 where toFixed would say 0.13.
    const tie = statRun([counter('task-clock', 125_000)], { elapsedNs: 125_000 });
    expect(lines(formatStatStd(tie, 'x'))[3]).toBe(
      '              0.12 msec task-clock                       #    1.000 CPUs utilized             ',
    );
    const long = statRun([counter('cpu-clock', 1_234_567_891_000)]);
    expect(lines(formatStatStd(long, 'x'))[3].slice(0, 33)).toBe('      1,234,567.89 msec cpu-clock');
  });

  it('widens the unit column to the longest unit of an opened counter', () => {
    const energy = statRun([counter('power/energy-pkg/', 42, T, T, { unit: 'Joules' }), counter('task-clock', T)]);
    expect(lines(formatStatStd(energy, 'x')).slice(3, 5).map((l) => l.slice(0, 34))).toEqual([
      '                42 Joules power/en',
      '            998.12 msec   task-clo',
    ]);
  });

  it('pairs metrics only between events with the same modifiers', () => {
    const mixed = statRun([counter('cycles:u', 2_000_000, T), counter('task-clock', T), counter('instructions:u', 1_000_000)]);
    const text = lines(formatStatStd(mixed, 'x'));
    expect(text[3]).toBe(`         2,000,000      cycles:u                        ${NO_METRIC}`);
    expect(text[5]).toContain('#    0.50  insn per cycle');
  });
});

describe('perf stat -x CSV layout', () => {
  it('prints value, unit, event, run, pcnt, metric value and unit', () => {
    expect(lines(formatStatCsv(small))).toEqual([
      '998.12,msec,task-clock,998123456,100.00,0.996,CPUs utilized',
      '124,,context-switches,998123456,100.00,124.233,/sec',
      '2510443185,,cycles,998123456,100.00,2.515,GHz',
      '3612345678,,instructions,998123456,100.00,1.44,insn per cycle',
      '512000000,,branches,998123456,100.00,512.963,M/sec',
      '3753000,,branch-misses,998123456,100.00,0.73,of all branches',
      '',
    ]);
    expect(formatStatCsv(small, ';').split('\n')[0]).toBe('998.12;msec;task-clock;998123456;100.00;0.996;CPUs utilized');
  });

  it('checklist 21: the running percentage is 100*run/ena in integers, printed %.2f, 100.00 when run == ena', () => {
    const text = formatStatCsv(
      statRun([
        counter('r003c', 1001, 3, 2),
        counter('cycles', 0, 5_000, 0),
        counter('instructions', 0, 0, 0, { supported: false }),
      ]),
    );
    expect(lines(text)).toEqual([
      '1501,,r003c,2,66.00,,',
      '<not counted>,,cycles,0,0.00,,',
      '<not supported>,,instructions,0,100.00,,',
      '',
    ]);
  });
});

describe('perf stat -j JSON layout', () => {
  it('prints one object per line; metric fields only when there is a metric', () => {
    const withBad = statRun([...small.counters, counter('cache-misses', 0, 0, 0, { supported: false })]);
    expect(lines(formatStatJson(withBad))).toEqual([
      '{"counter-value" : "998.123456", "unit" : "msec", "event" : "task-clock", "event-runtime" : 998123456, "pcnt-running" : 100.00, "metric-value" : "0.995642", "metric-unit" : "CPUs utilized"}',
      '{"counter-value" : "124.000000", "unit" : "", "event" : "context-switches", "event-runtime" : 998123456, "pcnt-running" : 100.00, "metric-value" : "124.233129", "metric-unit" : "/sec"}',
      '{"counter-value" : "2510443185.000000", "unit" : "", "event" : "cycles", "event-runtime" : 998123456, "pcnt-running" : 100.00, "metric-value" : "2.515163", "metric-unit" : "GHz"}',
      '{"counter-value" : "3612345678.000000", "unit" : "", "event" : "instructions", "event-runtime" : 998123456, "pcnt-running" : 100.00, "metric-value" : "1.438927", "metric-unit" : "insn per cycle"}',
      '{"counter-value" : "512000000.000000", "unit" : "", "event" : "branches", "event-runtime" : 998123456, "pcnt-running" : 100.00, "metric-value" : "512.962597", "metric-unit" : "M/sec"}',
      '{"counter-value" : "3753000.000000", "unit" : "", "event" : "branch-misses", "event-runtime" : 998123456, "pcnt-running" : 100.00, "metric-value" : "0.733008", "metric-unit" : "of all branches", "metric-threshold" : "good"}',
      '{"counter-value" : "<not supported>", "unit" : "", "event" : "cache-misses", "event-runtime" : 0, "pcnt-running" : 100.00}',
      '',
    ]);
    for (const line of lines(formatStatJson(withBad)).slice(0, -1)) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('keeps a metric unit with a zero value when perf has the unit but no format', () => {
    // instructions without cycles: print_metric(fmt NULL, "insn per cycle") still writes the JSON fields.
    const text = formatStatJson(statRun([counter('instructions', 10, 20, 10)]));
    expect(text).toBe(
      '{"counter-value" : "20.000000", "unit" : "", "event" : "instructions", "event-runtime" : 10, "pcnt-running" : 50.00, "metric-value" : "0.000000", "metric-unit" : "insn per cycle"}\n',
    );
  });
});

describe('ground truth (--truth)', () => {
  const truthful = statRun([
    counter('task-clock', T, T, T, { truth: 1_000_000_000 }),
    counter('cycles', 2_510_443_185, T, T, { truth: 2_500_000_000 }),
    counter('instructions', 0, T, 0, { truth: 5 }),
  ]);

  it('appends "  [truth N  error ±x.xx%]" after the std line', () => {
    expect(lines(formatStatStd(truthful, 'x')).slice(3, 6)).toEqual([
      `${SMALL_STD_COUNTERS[0]}  [truth 1,000.00  error -0.19%]`,
      `${SMALL_STD_COUNTERS[2]}  [truth 2,500,000,000  error +0.42%]`,
      `     <not counted>      instructions                    ${NO_METRIC}  (0.00%)  [truth 5  error n/a]`,
    ]);
  });

  it('appends truth-value and error-pct fields in CSV and JSON', () => {
    expect(lines(formatStatCsv(truthful))).toEqual([
      '998.12,msec,task-clock,998123456,100.00,0.996,CPUs utilized,1000.00,-0.19',
      '2510443185,,cycles,998123456,100.00,2.515,GHz,2500000000,0.42',
      '<not counted>,,instructions,0,0.00,,,5,',
      '',
    ]);
    const json = lines(formatStatJson(truthful)).slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(json.map((o) => [o['truth-value'], o['error-pct']])).toEqual([
      ['1000.000000', -0.19],
      ['2500000000.000000', 0.42],
      ['5.000000', null],
    ]);
  });

  it('leaves the output exactly perf\'s when no counter has a truth', () => {
    expect(formatStatStd(small, 'x')).not.toContain('truth');
    expect(formatStatCsv(small).split('\n')[0].split(',')).toHaveLength(7);
    expect(formatStatJson(small)).not.toContain('truth');
  });
});

describe('perf stat -I interval layouts', () => {
  const intervals: StatInterval[] = [
    { time: 1.001234567, counters: [counter('task-clock', 250_000_000, 250_000_000), counter('context-switches', 3000, 250_000_000)] },
    { time: 2.002469134, counters: [counter('task-clock', 0, 0, 0), counter('context-switches', 0, 7, 7)] },
  ];

  it('prints the column header, then each line prefixed by "%6lu.%09lu "; CPUs utilized is per interval', () => {
    expect(lines(formatIntervalStd(intervals, 1000))).toEqual([
      '#           time             counts unit events',
      '     1.001234567             250.00 msec task-clock                       #    0.250 CPUs utilized             ',
      '     1.001234567              3,000      context-switches                 #   12.000 K/sec                     ',
      `     2.002469134      <not counted> msec task-clock                      ${NO_METRIC}`,
      `     2.002469134                  0      context-switches                ${NO_METRIC}`,
      '',
    ]);
  });

  it('repeats the header on the first print and every 26th after', () => {
    const many = Array.from({ length: 53 }, (_, i) => ({ time: i + 1, counters: [counter('cycles', i, 1, 1)] }));
    const text = lines(formatIntervalStd(many, 1000));
    const headerAt = text.flatMap((l, i) => (l.startsWith('#') ? [i] : []));
    // Header, 26 lines, header, 26 lines, header, 1 line.
    expect(headerAt).toEqual([0, 27, 54]);
    expect(text[1].startsWith('     1.000000000 ')).toBe(true);
    expect(text[28].startsWith('    27.000000000 ')).toBe(true);
    // Printed one at a time, the 26th interval after the first gets the header again.
    expect(formatIntervalStd(many.slice(25, 26), 1000, { printedBefore: 25 })).not.toContain('#');
    expect(formatIntervalStd(many.slice(26, 27), 1000, { printedBefore: 26 })).toMatch(/^# {11}time/);
  });

  it('prefixes CSV lines with "%lu.%09lu<sep>" and JSON objects with "interval"; neither has a header', () => {
    expect(lines(formatIntervalCsv(intervals, 1000))).toEqual([
      '1.001234567,250.00,msec,task-clock,250000000,100.00,0.250,CPUs utilized',
      '1.001234567,3000,,context-switches,250000000,100.00,12.000,K/sec',
      '2.002469134,<not counted>,msec,task-clock,0,100.00,,',
      '2.002469134,0,,context-switches,7,100.00,,',
      '',
    ]);
    expect(lines(formatIntervalJson(intervals, 1000))).toEqual([
      '{"interval" : 1.001234567, "counter-value" : "250.000000", "unit" : "msec", "event" : "task-clock", "event-runtime" : 250000000, "pcnt-running" : 100.00, "metric-value" : "0.250000", "metric-unit" : "CPUs utilized"}',
      '{"interval" : 1.001234567, "counter-value" : "3000.000000", "unit" : "", "event" : "context-switches", "event-runtime" : 250000000, "pcnt-running" : 100.00, "metric-value" : "12.000000", "metric-unit" : "K/sec"}',
      '{"interval" : 2.002469134, "counter-value" : "<not counted>", "unit" : "msec", "event" : "task-clock", "event-runtime" : 0, "pcnt-running" : 100.00}',
      '{"interval" : 2.002469134, "counter-value" : "0.000000", "unit" : "", "event" : "context-switches", "event-runtime" : 7, "pcnt-running" : 100.00}',
      '',
    ]);
  });
});

describe('printf helpers', () => {
  it('formats %.Nf from the exact binary value, ties to even', () => {
    expect(formatFixed(2.5, 0)).toBe('2');
    expect(formatFixed(3.5, 0)).toBe('4');
    expect(formatFixed(0.125, 2)).toBe('0.12');
    expect(formatFixed(0.375, 2)).toBe('0.38');
    expect(formatFixed(1.005, 2)).toBe('1.00'); // 1.005 is just below 1.005 in binary
    expect(formatFixed(1e21, 0)).toBe('1000000000000000000000');
    expect(formatFixed(-0.001, 2)).toBe('-0.00');
    expect(formatFixed(5e-324, 3)).toBe('0.000');
  });

  it("groups the integer digits as %' does in en_US", () => {
    expect(groupThousands('1234567')).toBe('1,234,567');
    expect(groupThousands('1234.50')).toBe('1,234.50');
    expect(groupThousands('123')).toBe('123');
  });
});
