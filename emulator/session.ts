/**
 * Running a scenario with a perf session on it: the one entry point the
 * command line, the window and tests share. Builds the machine, lets it run
 * to the session's start, opens the perf tool's events as perf does, runs to
 * the end of the scenario and returns what the tool would print or write.
 */
import type { Profile } from '../profile/model';
import { Machine } from './machine';
import type { RecordOptions, StatOptions } from './perf-tool/cmdline';
import { parsePerfCommand, PerfUsageError, splitCommandLine } from './perf-tool/cmdline';
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
  if (machine.scenario.vms.length > 0)
    throw new PerfUsageError(`${machine.scenario.name}: the scenario has VMs, and this build does not emulate KVM guests yet`);
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
  /** What the scenario's own perf sessions produced. */
  background: BackgroundResult[];
}

/** A scenario `perf:` session that ran beside the command's own. */
export interface BackgroundResult {
  index: number;
  run: string;
  stat?: StatRun;
  profile?: Profile;
}

interface Background {
  finish(): BackgroundResult[];
}

/**
 * The scenario's own `perf:` sessions (shared reference scenario-format.md):
 * each opens at its `at` time, as a perf process started then would, and
 * holds its counters for the rest of the run, so the command's session
 * competes with them as it would on a real host.
 */
function startScenarioSessions(machine: Machine): Background {
  const running: { index: number; run: string; stat?: PerfStat; record?: PerfRecordSession }[] = [];
  machine.scenario.perf.forEach((spec, index) => {
    const command = parsePerfCommand(splitCommandLine(spec.run));
    machine.queue.push(spec.at, () => {
      if (command.command === 'stat') {
        const stat = new PerfStat(statHost(machine), command, evlistFor(machine, command.events, DEFAULT_STAT_EVENTS));
        stat.start();
        running.push({ index, run: spec.run, stat });
      } else {
        const record = new PerfRecordSession(recordHost(machine), command, evlistFor(machine, command.events, DEFAULT_RECORD_EVENT));
        record.start();
        running.push({ index, run: spec.run, record });
      }
    });
  });
  return {
    finish: () =>
      running.map((r) => ({
        index: r.index,
        run: r.run,
        stat: r.stat?.finish(statTarget(r.stat.options, null)),
        profile: r.record?.finish({ name: `${machine.scenario.name} perf[${r.index}]` }),
      })),
  };
}

function statHost(machine: Machine) {
  return { perf: machine.perf, cpus: machine.cpus, nmiWatchdog: machine.scenario.machine.nmi_watchdog, now: () => machine.now };
}

function recordHost(machine: Machine) {
  return {
    perf: machine.perf,
    cpus: machine.cpus,
    queue: machine.queue,
    symbols: machine.symbols,
    now: () => machine.now,
    comm: (pid: number, tid: number) => machine.kernel.tasks.get(tid)?.comm ?? (pid === 0 ? 'swapper' : `:${tid}`),
  };
}

/** perf stat over the whole scenario (from time 0 to its duration). */
export function runStat(scenario: Scenario, options: StatOptions, on?: string, cpuListText: string | null = null): StatResult {
  const machine = new Machine(scenario);
  checkTarget(machine, on, options.cpus);
  const background = startScenarioSessions(machine);
  // The command's session opens at time 0, after the machine booted (and its VMs exist).
  machine.runUntil(0);
  const evlist = evlistFor(machine, options.events, DEFAULT_STAT_EVENTS);
  const stat = new PerfStat(statHost(machine), options, evlist);
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
  return {
    run: stat.finish(statTarget(options, cpuListText)),
    intervals,
    messages: stat.opened.messages,
    background: background.finish(),
  };
}

export interface RecordResult {
  profile: Profile;
  samples: number;
  lost: number;
  messages: string[];
  background: BackgroundResult[];
}

/** perf record over the whole scenario; the profile carries the scenario text it ran. */
export function runRecord(scenario: Scenario, options: RecordOptions, scenarioText: string, on?: string): RecordResult {
  const machine = new Machine(scenario);
  checkTarget(machine, on, options.cpus);
  const background = startScenarioSessions(machine);
  machine.runUntil(0);
  const evlist = evlistFor(machine, options.events, DEFAULT_RECORD_EVENT);
  const session = new PerfRecordSession(recordHost(machine), options, evlist);
  session.start();
  machine.runUntil(scenario.duration);
  const profile = session.finish({ name: scenario.name, scenario: scenarioText });
  return {
    profile,
    samples: session.sampleCount,
    lost: session.lostRecords,
    messages: session.opened.messages,
    background: background.finish(),
  };
}
