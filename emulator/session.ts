/**
 * Running a scenario with a perf session on it: the one entry point the
 * command line, the window and tests share. Builds the machine, lets it run
 * to the session's start, opens the perf tool's events as perf does, runs to
 * the end of the scenario and returns what the tool would print or write.
 */
import type { Profile } from '../profile/model';
import { Machine } from './machine';
import type { RecordOptions, StatOptions } from './perf-tool/cmdline';
import { PerfUsageError } from './perf-tool/cmdline';
import type { Evsel } from './perf-tool/evsel';
import { parseEvents } from './perf-tool/parse-events';
import { pmusFor } from './perf-tool/pmu-sysfs';
import { DEFAULT_RECORD_EVENT, PerfRecordSession } from './perf-tool/record';
import { DEFAULT_STAT_EVENTS, PerfStat, statTarget } from './perf-tool/stat';
import type { StatInterval, StatRun } from './perf-tool/stat-types';
import type { Scenario, VpmuDesign } from './scenario/types';

/** The scenario options every emulator command takes (shared reference cli.md). */
export interface ScenarioOverrides {
  seed?: number;
  duration?: number;
  vpmu?: VpmuDesign;
  /** 'host' or a VM's name: whose perf runs the session. */
  on?: string;
}

export function applyOverrides(scenario: Scenario, o: ScenarioOverrides): Scenario {
  const s = JSON.parse(JSON.stringify(scenario)) as Scenario;
  if (o.seed !== undefined) s.seed = o.seed;
  if (o.duration !== undefined) s.duration = o.duration;
  if (o.vpmu !== undefined) {
    s.kvm.vpmu = o.vpmu;
    for (const vm of s.vms) vm.vpmu = o.vpmu;
  }
  return s;
}

function checkTarget(machine: Machine, on: string | undefined, cpus: number[] | null): void {
  if (on !== undefined && on !== 'host') {
    const known = machine.scenario.vms.map((v) => v.name);
    throw new PerfUsageError(
      known.includes(on)
        ? `--on ${on}: sessions inside guests need the KVM model, which this build does not have yet`
        : `--on ${on}: no such VM (expected host${known.map((k) => `, ${k}`).join('')})`,
    );
  }
  const max = machine.cpus.length;
  for (const c of cpus ?? [])
    if (c >= max) throw new PerfUsageError(`-C ${c}: the machine has CPUs 0-${max - 1}`);
}

function evlistFor(machine: Machine, events: readonly string[], fallback: string): Evsel[] {
  const m = machine.scenario.machine;
  return parseEvents(events.length ? events.join(',') : fallback, { pmus: pmusFor(m.arch, m.vendor), mode: 'perf' });
}

export interface StatResult {
  run: StatRun;
  intervals: StatInterval[];
  /** Fallback notices perf prints (with -v) on the way. */
  messages: string[];
}

/** perf stat over the whole scenario (from time 0 to its duration). */
export function runStat(scenario: Scenario, options: StatOptions, on?: string, cpuListText: string | null = null): StatResult {
  const machine = new Machine(scenario);
  checkTarget(machine, on, options.cpus);
  const evlist = evlistFor(machine, options.events, DEFAULT_STAT_EVENTS);
  const stat = new PerfStat(
    { perf: machine.perf, cpus: machine.cpus, nmiWatchdog: scenario.machine.nmi_watchdog, now: () => machine.now },
    options,
    evlist,
  );
  stat.start();
  const intervals: StatInterval[] = [];
  if (options.intervalMs !== null) {
    const step = options.intervalMs * 1_000_000;
    for (let t = step; t <= scenario.duration; t += step) {
      machine.runUntil(t);
      intervals.push(stat.interval());
    }
  }
  machine.runUntil(scenario.duration);
  return { run: stat.finish(statTarget(options, cpuListText)), intervals, messages: stat.opened.messages };
}

export interface RecordResult {
  profile: Profile;
  samples: number;
  lost: number;
  messages: string[];
}

/** perf record over the whole scenario; the profile carries the scenario text it ran. */
export function runRecord(scenario: Scenario, options: RecordOptions, scenarioText: string, on?: string): RecordResult {
  const machine = new Machine(scenario);
  checkTarget(machine, on, options.cpus);
  const evlist = evlistFor(machine, options.events, DEFAULT_RECORD_EVENT);
  const session = new PerfRecordSession(
    {
      perf: machine.perf,
      cpus: machine.cpus,
      queue: machine.queue,
      symbols: machine.symbols,
      now: () => machine.now,
      comm: (pid, tid) => machine.kernel.tasks.get(tid)?.comm ?? (pid === 0 ? 'swapper' : `:${tid}`),
    },
    options,
    evlist,
  );
  session.start();
  machine.runUntil(scenario.duration);
  const profile = session.finish({ name: scenario.name, scenario: scenarioText });
  return { profile, samples: session.sampleCount, lost: session.lostRecords, messages: session.opened.messages };
}
