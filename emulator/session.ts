/**
 * Running a scenario with a perf session on it: the one entry point the
 * command line, the window and tests share. Builds the machine, lets it run
 * to the session's start, opens the perf tool's events as perf does, runs to
 * the end of the scenario and returns what the tool would print or write.
 */
import type { Profile } from '../profile/model';
import { addGuestReadings } from './guest-readings';
import { ExitTimeline, exitTimelineStep } from './kvm/exit-table';
import { Machine } from './machine';
import type { RecordOptions, StatOptions } from './perf-tool/cmdline';
import { parsePerfCommand, PerfUsageError, splitCommandLine } from './perf-tool/cmdline';
import type { Evsel } from './perf-tool/evsel';
import { parseEvents } from './perf-tool/parse-events';
import { pmusFor } from './perf-tool/pmu-sysfs';
import { DEFAULT_RECORD_EVENT, PerfRecordSession, type RecordHost } from './perf-tool/record';
import type { RecordMachines } from './perf-tool/record-writer';
import { DEFAULT_STAT_EVENTS, PerfStat, type StatHost, statTarget } from './perf-tool/stat';
import type { PerfCore } from './perf/core';
import type { Vm } from './kvm/vm';
import type { StatInterval, StatRun } from './perf-tool/stat-types';
import type { Scenario, VpmuDesign } from './scenario/types';
import { addVmExits, statResults } from './trace-tables';

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
    // Asking every VM for the mediated vPMU is loading the vendor module with it enabled, and
    // for the emulated one loading it without (the parameter is all-or-nothing per KVM instance).
    if (o.vpmu === 'mediated' && s.machine.arch === 'x86_64') s.kvm.enable_mediated_pmu = true;
    if (o.vpmu === 'emulated') s.kvm.enable_mediated_pmu = false;
  }
  return s;
}

/** Whose perf runs the session: the host's, or a guest's own (its CPUs are its vCPUs). */
interface PerfTarget {
  perf: PerfCore;
  /** Per CPU of that kernel, the ground truth it keeps. */
  cpus: readonly { truth: Float64Array }[];
  nmiWatchdog: boolean;
  recordHost: RecordHost;
}

function targetFor(machine: Machine, on: string | undefined, cpus: number[] | null): PerfTarget {
  let target: PerfTarget;
  if (on === undefined || on === 'host') {
    target = { perf: machine.perf, cpus: machine.cpus, nmiWatchdog: machine.scenario.machine.nmi_watchdog, recordHost: recordHost(machine) };
  } else {
    const vm = machine.kvm.vms.find((v) => v.name === on);
    if (!vm) {
      const known = machine.scenario.vms.map((v) => v.name);
      throw new PerfUsageError(`--on ${on}: no such VM (expected host${known.map((k) => `, ${k}`).join('')})`);
    }
    target = {
      perf: vm.guest.perf,
      cpus: vm.vcpus,
      nmiWatchdog: false,
      recordHost: guestRecordHost(machine, vm),
    };
  }
  for (const c of cpus ?? [])
    if (c >= target.cpus.length) throw new PerfUsageError(`-C ${c}: ${on ?? 'host'} has CPUs 0-${target.cpus.length - 1}`);
  return target;
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
  /** The machine as the run left it (exits, truth), for comparisons. */
  machine: Machine;
}

/** A scenario `perf:` session that ran beside the command's own. */
export interface BackgroundResult {
  index: number;
  /** 'host' or the VM whose perf ran it. */
  on: string;
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
  const running: { index: number; on: string; run: string; stat?: PerfStat; record?: PerfRecordSession }[] = [];
  machine.scenario.perf.forEach((spec, index) => {
    const command = parsePerfCommand(splitCommandLine(spec.run));
    machine.queue.push(spec.at, () => {
      if (command.command === 'stat') {
        const target = targetFor(machine, spec.on, command.cpus);
        const stat = new PerfStat(statHost(target, machine), command, evlistFor(machine, command.events, DEFAULT_STAT_EVENTS));
        stat.start();
        running.push({ index, on: spec.on, run: spec.run, stat });
      } else {
        const target = targetFor(machine, spec.on, command.cpus);
        const record = new PerfRecordSession(target.recordHost, command, evlistFor(machine, command.events, DEFAULT_RECORD_EVENT));
        record.start();
        running.push({ index, on: spec.on, run: spec.run, record });
      }
    });
  });
  return {
    finish: () =>
      running.map((r) => ({
        index: r.index,
        on: r.on,
        run: r.run,
        stat: r.stat?.finish(statTarget(r.stat.options, null)),
        profile: r.record?.finish({ name: `${machine.scenario.name} perf[${r.index}]` }),
      })),
  };
}

function statHost(t: PerfTarget, machine: Machine): StatHost {
  return { perf: t.perf, cpus: t.cpus, nmiWatchdog: t.nmiWatchdog, now: () => machine.now };
}

/** How a recording names VMs and vCPU threads (and, for a guest's own, the guest it is). */
function recordMachines(machine: Machine, self: Vm | null): RecordMachines {
  const vms = machine.kvm.vms;
  return {
    self: self ? { name: self.name, pid: self.pid } : null,
    vmOf: (space) => vms.find((v) => v.name === space),
    vcpuOf: (tid) => {
      for (const vm of vms) {
        const v = vm.vcpus.find((x) => x.tid === tid);
        if (v) return { name: vm.name, pid: vm.pid, index: v.index };
      }
      return undefined;
    },
  };
}

function recordHost(machine: Machine): RecordHost {
  return {
    perf: machine.perf,
    cpus: machine.cpus,
    queue: machine.queue,
    symbols: machine.symbols,
    now: () => machine.now,
    comm: (pid: number, tid: number) => machine.kernel.tasks.get(tid)?.comm ?? (pid === 0 ? 'swapper' : `:${tid}`),
    machines: recordMachines(machine, null),
    timeline: () => machine.timelineMarkers,
    vcpus: vcpusOf(machine.kvm.vms),
  };
}

function guestRecordHost(machine: Machine, vm: Vm): RecordHost {
  return {
    perf: vm.guest.perf,
    cpus: vm.vcpus,
    queue: machine.queue,
    symbols: machine.symbols,
    now: () => machine.now,
    comm: (pid: number) => vm.guestComm(pid) ?? (pid === 0 ? 'swapper' : `:${pid}`),
    machines: recordMachines(machine, vm),
    timeline: () => machine.timelineMarkers.filter((t) => t.vm === vm.name),
    vcpus: () => [],
  };
}

/** The VMs' vCPUs as they are now: a VM stopped later keeps its runs until it stopped. */
function vcpusOf(vms: readonly Vm[]): RecordHost['vcpus'] {
  const vcpus = vms.flatMap((vm) =>
    vm.vcpus.map((v) => ({ vm: vm.name, pid: vm.pid, index: v.index, guestRuns: v.guestRuns, spe: vm.spe?.blackouts ?? [] })),
  );
  return () => vcpus;
}

/** perf stat over the whole scenario (from time 0 to its duration). */
export function runStat(scenario: Scenario, options: StatOptions, on?: string, cpuListText: string | null = null): StatResult {
  const machine = new Machine(scenario);
  const target = targetFor(machine, on, options.cpus);
  const background = startScenarioSessions(machine);
  // The command's session opens at time 0, after the machine booted (and its VMs exist).
  machine.runUntil(0);
  const evlist = evlistFor(machine, options.events, DEFAULT_STAT_EVENTS);
  const stat = new PerfStat(statHost(target, machine), options, evlist);
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
    machine,
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
  const target = targetFor(machine, on, options.cpus);
  const background = startScenarioSessions(machine);
  machine.runUntil(0);
  const evlist = evlistFor(machine, options.events, DEFAULT_RECORD_EVENT);
  const session = new PerfRecordSession(target.recordHost, options, evlist);
  session.start();
  // The exits of the VMs the recording sees, with when they happened.
  const host = on === undefined || on === 'host';
  const exits = new ExitTimeline(machine.queue, () => (host ? machine.kvm.vms : machine.kvm.vms.filter((v) => v.name === on)), exitTimelineStep(scenario.duration));
  exits.start(machine.now);
  machine.runUntil(scenario.duration);
  exits.stop(machine.now);
  const profile = session.finish({ name: scenario.name, scenario: scenarioText });
  // What perf stat would print for the recorded events.
  profile.stat = statResults(target.perf, session.opened, host ? 0 : profile.machines.findIndex((m) => m.name === on));
  addVmExits(profile, exits);
  const others = background.finish();
  if (host) addGuestReadings(profile, others);
  return {
    profile,
    samples: session.sampleCount,
    lost: session.lostRecords,
    messages: session.opened.messages,
    background: others,
  };
}
