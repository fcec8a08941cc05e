/**
 * Scenarios and event strings for the window: the built-in catalogue, what a
 * scenario file holds, perf event strings checked by the perf tool's own
 * parser, and a run's options checked against its scenario before anything
 * starts. Every refusal is one ApiInputError with a precise message.
 */
import { parseDocument } from 'yaml';
import { KvmError } from '../../emulator/kvm/kvm';
import { Machine } from '../../emulator/machine';
import { ParseEventsError, parseEvents } from '../../emulator/perf-tool/parse-events';
import { applyOverrides } from '../../emulator/session';
import { pmusFor } from '../../emulator/perf-tool/pmu-sysfs';
import { BUILTIN_SCENARIOS } from '../../emulator/scenario/builtins';
import { parseScenario, ScenarioError } from '../../emulator/scenario/parse';
import type { Arch, Scenario, Vendor, VpmuDesign } from '../../emulator/scenario/types';
import type { EventCheck, ScenarioArch, ScenarioInfo, ScenarioRunOptions, ScenarioVendor } from './contract';
import { ApiInputError } from './validate';

/**
 * The designs KVM offers per architecture, as emulator/kvm/kvm.ts builds
 * them: the mediated vPMU is x86's, partitioning arm64's.
 */
const DESIGNS: Record<Arch, readonly VpmuDesign[]> = {
  x86_64: ['none', 'emulated', 'mediated', 'paravirt'],
  arm64: ['none', 'emulated', 'partitioned', 'paravirt'],
};

export function designsFor(arch: Arch): readonly VpmuDesign[] {
  return DESIGNS[arch];
}

/** A scenario ready to run: its text with the run's overrides written in, parsed again. */
export interface PreparedRun {
  fileName: string;
  text: string;
  scenario: Scenario;
  events?: string;
  compare?: VpmuDesign[];
}

export function describeScenario(scenario: Scenario, description: string): ScenarioInfo {
  return {
    name: scenario.name,
    description,
    arch: scenario.machine.arch,
    vendor: scenario.machine.vendor,
    cpus: scenario.machine.cpus,
    durationMs: scenario.duration / 1e6,
    nmiWatchdog: scenario.machine.nmi_watchdog,
    vms: scenario.vms.map((vm) => ({ name: vm.name, vcpus: vm.vcpus, vpmu: vm.vpmu })),
    designs: [...designsFor(scenario.machine.arch)],
  };
}

export function listBuiltinScenarios(): ScenarioInfo[] {
  return BUILTIN_SCENARIOS.map((b) => describeScenario(parseScenario(b.yaml, `${b.name}.yaml`).scenario, b.summary));
}

/** The built-in's file name and text; refuses an unknown name. */
export function builtinScenarioText(method: string, name: string): { fileName: string; text: string } {
  const builtin = BUILTIN_SCENARIOS.find((s) => s.name === name);
  if (!builtin) {
    throw new ApiInputError(`${method}: no built-in scenario ${JSON.stringify(name)} (one of: ${BUILTIN_SCENARIOS.map((s) => s.name).join(', ')})`);
  }
  return { fileName: `${builtin.name}.yaml`, text: builtin.yaml };
}

/** @throws ApiInputError with the scenario parser's `file:line:column: path: what`. */
export function parseScenarioText(fileName: string, text: string): Scenario {
  try {
    return parseScenario(text, fileName).scenario;
  } catch (e) {
    if (e instanceof ScenarioError) throw new ApiInputError(e.message);
    throw e;
  }
}

export function checkEventString(text: string, arch: ScenarioArch = 'x86_64', vendor?: ScenarioVendor): EventCheck {
  const v: Vendor = vendor ?? (arch === 'arm64' ? 'arm' : 'intel');
  if ((arch === 'arm64') !== (v === 'arm')) {
    throw new ApiInputError(`checkEvents: vendor ${v} does not go with arch ${arch} (arm64 machines are arm; x86_64 ones intel or amd)`);
  }
  try {
    const evsels = parseEvents(text, { pmus: pmusFor(arch, v), mode: 'perf' });
    return {
      ok: true,
      events: evsels.map((e) => ({
        name: e.name,
        pmu: e.pmu,
        leader: e.leader,
        exclude_user: e.attr.exclude_user,
        exclude_kernel: e.attr.exclude_kernel,
        exclude_hv: e.attr.exclude_hv,
        exclude_guest: e.attr.exclude_guest,
        exclude_host: e.attr.exclude_host,
        precise_ip: e.attr.precise_ip,
      })),
    };
  } catch (e) {
    if (!(e instanceof ParseEventsError)) throw e;
    return { ok: false, message: e.message, reason: e.reason, column: e.column };
  }
}

/**
 * Builds the machine once, so what the emulated kernel refuses when the VMs
 * are created (a mediated VM beside a host event that counts in guests)
 * is refused here, before a job starts. Booting is cheap: nothing runs yet.
 */
function bootCheck(method: string, scenario: Scenario): void {
  try {
    new Machine(scenario);
  } catch (e) {
    if (!(e instanceof KvmError)) throw e;
    throw new ApiInputError(`${method}: ${e.explained()}`);
  }
}

/**
 * Checks a run's options against the scenario (VM names, the designs its
 * architecture offers, the event string) and writes the overrides into the
 * scenario's text, so the trace keeps the scenario exactly as it ran.
 */
export function prepareRun(method: string, fileName: string, text: string, options: ScenarioRunOptions = {}): PreparedRun {
  const original = parseScenarioText(fileName, text);
  const { arch, vendor } = original.machine;
  const offered = designsFor(arch);
  const designError = (what: string, design: string) =>
    new ApiInputError(`${method}: ${what}: ${design} is not available on ${arch} (designs: ${offered.join(', ')})`);

  const overrides = Object.entries(options.vpmu ?? {});
  for (const [vm, design] of overrides) {
    if (!original.vms.some((v) => v.name === vm)) {
      const names = original.vms.map((v) => v.name);
      throw new ApiInputError(`${method}: vpmu: no VM ${JSON.stringify(vm)} in ${original.name} (${names.length ? `VMs: ${names.join(', ')}` : 'it has no VMs'})`);
    }
    if (!offered.includes(design)) throw designError(`vpmu.${vm}`, design);
  }
  if (options.compare) {
    if (original.vms.length === 0) throw new ApiInputError(`${method}: compare: ${original.name} has no VM whose designs could be compared`);
    const bad = options.compare.find((d) => !offered.includes(d));
    if (bad !== undefined) throw designError('compare', bad);
  }
  if (options.events !== undefined) {
    const check = checkEventString(options.events, arch, vendor);
    if (!check.ok) {
      throw new ApiInputError(`${method}: events: '${options.events}' at character ${check.column + 1}: ${check.reason}`);
    }
  }

  let runText = text;
  if (overrides.length > 0 || options.durationMs !== undefined || options.nmiWatchdog !== undefined) {
    const doc = parseDocument(text);
    for (const [vm, design] of overrides) doc.setIn(['vms', original.vms.findIndex((v) => v.name === vm), 'vpmu'], design);
    // A mediated VM needs kvm-intel/kvm-amd loaded with enable_mediated_pmu (default N, checklist 52).
    if (overrides.some(([, design]) => design === 'mediated')) doc.setIn(['kvm', 'enable_mediated_pmu'], true);
    if (options.durationMs !== undefined) doc.set('duration', `${options.durationMs}ms`);
    if (options.nmiWatchdog !== undefined) doc.setIn(['machine', 'nmi_watchdog'], options.nmiWatchdog);
    runText = doc.toString();
  }
  // The overrides may contradict the rest of the file (a session after the new end).
  const scenario = runText === text ? original : parseScenarioText(fileName, runText);
  if (options.compare) for (const design of options.compare) bootCheck(`${method}: compare ${design}`, applyOverrides(scenario, { vpmu: design }));
  else bootCheck(method, scenario);
  return { fileName, text: runText, scenario, events: options.events, compare: options.compare };
}
