/**
 * Scenario files (shared reference scenario-format.md, format 1) → a
 * validated Scenario with every default applied. A bad file never runs
 * halfway: the first problem throws a ScenarioError naming the file, line,
 * column, key path and what was expected.
 *
 * Defaults the contract leaves to the project:
 * - duration 1s; times need a unit (ns, us, ms, s), only 0 may go without;
 * - kvm.vpmu emulated (what upstream KVM does), kvm.host_counters null,
 *   kvm.enable_mediated_pmu false (the module parameter's default N);
 * - vms[].irqchip kernel (QEMU's default, an in-kernel LAPIC or vGIC);
 * - nmi_watchdog true on x86_64, false on arm64 (its hard-lockup detector
 *   does not use a PMU event by default);
 * - perf[].run may repeat the leading `perf`, which is dropped.
 * Limits: cpus and vcpus 1..256, threads 1..1024, seed 0..2^32-1 (the
 * random source's seed width).
 */
import { pmuModelFor } from '../hw/pmu-model';
import { parsePerfCommand, PerfUsageError, splitCommandLine } from '../perf-tool/cmdline';
import { ParseEventsError, parseEvents } from '../perf-tool/parse-events';
import { pmusFor } from '../perf-tool/pmu-sysfs';
import { BUILTIN_PROGRAM_NAMES } from '../workload/names';
import { formatDuration } from './duration';
import type {
  Arch,
  Irqchip,
  PerfSessionSpec,
  PmuEventFilterSpec,
  Scenario,
  TimelineAction,
  VcpuPmuSpec,
  Vendor,
  VmSpeSpec,
  VmSpec,
  VpmuDesign,
  WorkloadSpec,
} from './types';
import { IRQCHIPS, VPMU_DESIGNS } from './types';
import { readPrograms } from './validate-programs';
import { closestName, YamlSource } from './yaml-reader';
import type { Field, PathSegment, Position } from './yaml-reader';

export { ScenarioError, renderScenarioError } from './scenario-error';
export type { PathSegment, Position } from './yaml-reader';

export const DEFAULT_DURATION_NS = 1_000_000_000;
export const DEFAULT_SEED = 1;
export const DEFAULT_VPMU: VpmuDesign = 'emulated';
/** QEMU's virt machine wires the PMU overflow to PPI 7, INTID 23. */
export const DEFAULT_PMU_PPI = 23;
export const MAX_CPUS = 256;
export const MAX_THREADS = 1024;
export const TIMELINE_ACTIONS = ['migrate', 'stop', 'pause', 'resume'] as const;

export interface ParsedScenario {
  scenario: Scenario;
  /** Where the value at a key path (`['vms', 0, 'vpmu']`) is written, or its nearest written ancestor. */
  positionOf(path: readonly PathSegment[]): Position;
}

export interface ParseOptions {
  /** Program names a workload may use without defining them; default BUILTIN_PROGRAM_NAMES. */
  builtinPrograms?: readonly string[];
}

const TOP_KEYS = ['format', 'name', 'seed', 'duration', 'machine', 'kvm', 'host', 'vms', 'perf', 'timeline', 'programs'] as const;
const VM_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** @throws ScenarioError */
export function parseScenario(text: string, fileName: string, options: ParseOptions = {}): ParsedScenario {
  const source = new YamlSource(text, fileName);
  const keys = source.root().record(TOP_KEYS);

  if (!keys.format.present) throw keys.format.error('missing (expected format: 1, the version of this file format)');
  const format = keys.format.integer(1, Infinity);
  if (format !== 1) throw keys.format.error(`unsupported format ${format} (this guestperf reads format 1)`);

  const name = keys.name.present ? keys.name.string() : baseName(fileName);
  const seed = keys.seed.present ? keys.seed.integer(0, 2 ** 32 - 1) : DEFAULT_SEED;
  const duration = keys.duration.present ? keys.duration.duration() : DEFAULT_DURATION_NS;
  if (duration === 0) throw keys.duration.error('a scenario must last longer than 0');
  const machine = readMachine(keys.machine);
  const { kvm, vpmuKey: kvmVpmuKey } = readKvm(keys.kvm, machine);
  // Read before the workloads that name them, wherever they are in the file.
  const programs = readPrograms(keys.programs, options.builtinPrograms ?? BUILTIN_PROGRAM_NAMES);
  const context: Context = {
    machine,
    duration,
    programNames: [...(options.builtinPrograms ?? BUILTIN_PROGRAM_NAMES), ...Object.keys(programs)],
  };
  const host = keys.host.present ? keys.host.record(['workloads']) : null;
  const hostWorkloads = host?.workloads.present ? readWorkloads(host.workloads, context, null) : [];
  const vms = readVms(keys.vms, context, kvm, kvmVpmuKey);
  const vmNames = vms.map((vm) => vm.name);

  const scenario: Scenario = {
    format: 1,
    name,
    seed,
    duration,
    machine,
    kvm,
    host: { workloads: hostWorkloads },
    vms,
    perf: keys.perf.present ? keys.perf.list().map((item) => readPerfSession(item, context, vmNames)) : [],
    timeline: readTimeline(keys.timeline, context, vmNames),
    programs,
  };
  return { scenario, positionOf: (path) => source.positionOf(path) };
}

interface Context {
  machine: Scenario['machine'];
  duration: number;
  programNames: string[];
}

/** `configs/host-pressure.yaml` → `host-pressure`. */
function baseName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

function readMachine(field: Field): Scenario['machine'] {
  const keys = field.record(['arch', 'vendor', 'cpus', 'pmu', 'nmi_watchdog']);
  const arch: Arch = keys.arch.oneOf(['x86_64', 'arm64'] as const);
  const vendor = readVendor(keys.vendor, arch);
  const cpus = keys.cpus.integer(1, MAX_CPUS);
  const pmu = keys.pmu.present ? keys.pmu.record(['counters', 'fixed', 'spe']) : null;

  const maxCounters = arch === 'arm64' ? 31 : vendor === 'amd' ? 6 : 8;
  const counters = pmu?.counters.present
    ? pmu.counters.integer(1, maxCounters, `${vendor === 'arm' ? 'PMUv3' : vendor} allows at most ${maxCounters}`)
    : null;

  let fixed: number | null = null;
  if (pmu?.fixed.present) {
    if (arch === 'arm64') throw pmu.fixed.keyError('x86_64 only (arm64 always has its cycle counter)');
    fixed = pmu.fixed.integer(0, 3);
    if (vendor === 'amd' && fixed > 0) throw pmu.fixed.error('AMD has no fixed counters (only general-purpose ones)');
  }

  let spe: number[] = [];
  if (pmu?.spe.present) {
    if (arch !== 'arm64') throw pmu.spe.keyError('arm64 only (SPE is the Arm Statistical Profiling Extension)');
    spe = readCpuList(pmu.spe, cpus, `the machine has ${cpus} CPUs`);
  }

  const nmi_watchdog = keys.nmi_watchdog.present ? keys.nmi_watchdog.boolean() : arch === 'x86_64';
  return { arch, vendor, cpus, pmu: { counters, fixed, spe }, nmi_watchdog };
}

function readVendor(field: Field, arch: Arch): Vendor {
  if (!field.present) return arch === 'arm64' ? 'arm' : 'intel';
  const vendor = field.oneOf(['intel', 'amd', 'arm'] as const);
  if (arch === 'arm64' && vendor !== 'arm') throw field.error(`"${vendor}" is an x86_64 vendor (arm64 machines are arm; omit vendor)`);
  if (arch === 'x86_64' && vendor === 'arm') throw field.error('"arm" is the arm64 vendor (x86_64 machines are intel or amd)');
  return vendor;
}

/** The kvm: section, and its vpmu key when present (the VMs' default design, checked where a VM takes it). */
function readKvm(field: Field, machine: Scenario['machine']): { kvm: Scenario['kvm']; vpmuKey: Field | null } {
  if (!field.present) return { kvm: { vpmu: DEFAULT_VPMU, host_counters: null, enable_mediated_pmu: false }, vpmuKey: null };
  const keys = field.record(['vpmu', 'host_counters', 'enable_mediated_pmu']);
  const counters = pmuModelFor(machine.arch, machine.vendor, machine.pmu).gpCounters;
  let enable_mediated_pmu = false;
  if (keys.enable_mediated_pmu.present) {
    if (machine.arch !== 'x86_64') throw keys.enable_mediated_pmu.keyError('x86_64 only (a kvm-intel/kvm-amd module parameter; arm64 has no mediated vPMU)');
    enable_mediated_pmu = keys.enable_mediated_pmu.boolean();
  }
  // With the parameter set, a VM that asks for nothing gets the mediated vPMU, as from KVM.
  const vpmu = keys.vpmu.present ? keys.vpmu.oneOf(VPMU_DESIGNS) : enable_mediated_pmu ? 'mediated' : DEFAULT_VPMU;
  if (vpmu === 'mediated') checkMediatedParam(keys.vpmu, machine, enable_mediated_pmu);
  const kvm = {
    vpmu,
    // Kept even when no VM is partitioned: --vpmu partitioned may make them so.
    host_counters: keys.host_counters.present
      ? keys.host_counters.integer(0, counters, `the host PMU has ${counters} counters`)
      : null,
    enable_mediated_pmu,
  };
  return { kvm, vpmuKey: keys.vpmu.present ? keys.vpmu : null };
}

/**
 * Checklist 52: the mediated vPMU exists only when the vendor module was
 * loaded with enable_mediated_pmu=Y (default N, read-only afterwards, so the
 * scenario sets it for the whole run). Without it KVM would quietly give the
 * VM the perf-based emulated vPMU instead; a scenario asking for mediated
 * says what is missing rather than measure the wrong design.
 */
function checkMediatedParam(field: Field, machine: Scenario['machine'], enabled: boolean): void {
  if (machine.arch !== 'x86_64' || enabled) return;
  throw field.error(
    `mediated needs kvm.enable_mediated_pmu: true (kvm-${machine.vendor}'s module parameter, default N; without it KVM gives every VM the emulated vPMU)`,
  );
}

/**
 * The other side of checklist 52: the parameter is all-or-nothing per KVM
 * instance. With it set, KVM gives every VM that has a PMU and an in-kernel
 * LAPIC the mediated vPMU at its first KVM_CREATE_VCPU; there is no per-VM
 * way back to the perf-based one, so asking for it is refused rather than
 * quietly measured as mediated. (A VM without a PMU, `none`, or with the
 * paravirtual interface instead, `paravirt`, is unaffected.)
 */
function checkNotMediated(field: Field, enabled: boolean): void {
  if (!enabled) return;
  throw field.error(
    'emulated cannot be had beside kvm.enable_mediated_pmu: true (the module parameter is all-or-nothing: KVM gives every VM with a PMU the mediated vPMU)',
  );
}

/** A non-empty list of distinct CPU numbers below `count`; `why` names where the count comes from. */
function readCpuList(field: Field, count: number, why: string): number[] {
  const items = field.list();
  if (items.length === 0) throw field.error('an empty CPU list (leave the key out to allow every CPU)');
  const cpus: number[] = [];
  for (const item of items) {
    const cpu = item.integer(0, count - 1, why);
    if (cpus.includes(cpu)) throw item.error(`CPU ${cpu} is listed twice`);
    cpus.push(cpu);
  }
  return cpus;
}

/** Workloads of the host (`vm` null) or of a VM, whose affinity is over its vCPUs. */
function readWorkloads(field: Field, context: Context, vm: { name: string; vcpus: number } | null): WorkloadSpec[] {
  return field.list().map((item) => {
    const keys = item.record(['program', 'threads', 'cpus', 'comm']);
    const program = keys.program.string();
    if (!context.programNames.includes(program)) {
      const close = closestName(program, context.programNames);
      const hint = close === undefined ? `expected one of: ${context.programNames.join(', ')}` : `did you mean "${close}"?`;
      throw keys.program.error(`unknown program "${program}" (${hint}; others can be defined under programs:)`);
    }
    const cpus = keys.cpus.present
      ? vm
        ? readCpuList(keys.cpus, vm.vcpus, `${vm.name} has ${vm.vcpus} vCPUs`)
        : readCpuList(keys.cpus, context.machine.cpus, `the machine has ${context.machine.cpus} CPUs`)
      : null;
    return {
      program,
      threads: keys.threads.present ? keys.threads.integer(1, MAX_THREADS) : 1,
      cpus,
      comm: keys.comm.present ? keys.comm.string() : null,
    };
  });
}

function readVms(field: Field, context: Context, kvm: Scenario['kvm'], kvmVpmuKey: Field | null): VmSpec[] {
  if (!field.present) return [];
  const vms: VmSpec[] = [];
  for (const item of field.list()) {
    const keys = item.record(['name', 'vcpus', 'vpmu', 'cpus', 'spe', 'irqchip', 'workloads', 'pmu_event_filter', 'pmu', 'spe_config']);
    const name = keys.name.string();
    if (!VM_NAME.test(name)) throw keys.name.error(`"${name}" is not a VM name (letters, digits, _ . - and no spaces)`);
    if (name === 'host') throw keys.name.error('"host" names the host in perf on: and --on; choose another name');
    const previous = vms.findIndex((vm) => vm.name === name);
    if (previous >= 0) throw keys.name.error(`duplicate VM name "${name}" (also vms[${previous}])`);
    const vcpus = keys.vcpus.integer(1, MAX_CPUS);
    const { machine } = context;
    const cpus = keys.cpus.present ? readCpuList(keys.cpus, machine.cpus, `the machine has ${machine.cpus} CPUs`) : null;
    const spe = keys.spe.present ? keys.spe.boolean() : false;
    if (spe) checkVmSpe(keys.spe, machine, cpus);
    const irqchip = keys.irqchip.present ? keys.irqchip.oneOf(IRQCHIPS) : 'kernel';
    const vpmu = keys.vpmu.present ? keys.vpmu.oneOf(VPMU_DESIGNS) : kvm.vpmu;
    if (keys.vpmu.present && vpmu === 'mediated') checkMediatedParam(keys.vpmu, machine, kvm.enable_mediated_pmu);
    // Pointing at the key that asked: the VM's own, or the default it took.
    const asked = keys.vpmu.present ? keys.vpmu : kvmVpmuKey;
    if (asked && vpmu === 'emulated') checkNotMediated(asked, kvm.enable_mediated_pmu);
    vms.push({
      name,
      vcpus,
      vpmu,
      cpus,
      spe,
      irqchip,
      workloads: keys.workloads.present ? readWorkloads(keys.workloads, context, { name, vcpus }) : [],
      pmu_event_filter: keys.pmu_event_filter.present ? readEventFilter(keys.pmu_event_filter, machine) : null,
      ...(keys.pmu.present ? { pmu: readVcpuPmu(keys.pmu, machine, vcpus, irqchip) } : {}),
      ...(keys.spe_config.present ? { spe_config: readSpeConfig(keys.spe_config, spe) } : {}),
    });
  }
  return vms;
}

/**
 * The VMM's KVM_SET_PMU_EVENT_FILTER, as written (x86 only). Its own rules
 * (E2BIG above 300 events, EINVAL for bad masked entries) are the kernel's,
 * checked when the VM is created.
 */
function readEventFilter(field: Field, machine: Scenario['machine']): PmuEventFilterSpec {
  if (machine.arch !== 'x86_64') throw field.error('KVM_SET_PMU_EVENT_FILTER is x86 only (arm64 filters through the vCPU PMU attributes)');
  const keys = field.record(['action', 'events', 'fixed_counter_bitmap']);
  if (!keys.action.present) throw keys.action.error('missing (expected allow or deny)');
  return {
    action: keys.action.oneOf(['allow', 'deny'] as const),
    events: keys.events.present ? keys.events.list().map((e) => e.integer(0, Number.MAX_SAFE_INTEGER)) : [],
    fixed_counter_bitmap: keys.fixed_counter_bitmap.present ? keys.fixed_counter_bitmap.integer(0, 0xffffffff) : 0,
  };
}

/**
 * The vCPU PMU attributes (arm64). Values are only read here: what KVM
 * accepts (a PPI or SPI, ranges inside the event space, a known PMU) is
 * its rule, checked with its errno when the VM is created.
 */
function readVcpuPmu(field: Field, machine: Scenario['machine'], vcpus: number, irqchip: Irqchip): VcpuPmuSpec {
  if (machine.arch !== 'arm64') throw field.error('the vCPU PMU attributes (KVM_ARM_VCPU_PMU_V3_CTRL) are arm64 only; x86 has pmu_event_filter');
  const keys = field.record(['set_pmu', 'filter', 'nr_counters', 'irq', 'irqs', 'init']);
  if (keys.irq.present && keys.irqs.present) throw keys.irqs.keyError('give irq (one for every vCPU) or irqs (one per vCPU), not both');
  // Without an in-kernel irqchip the VMM sets no IRQ unless told to (and KVM refuses one, EINVAL).
  let irq = irqchip === 'kernel' ? Array<number>(vcpus).fill(DEFAULT_PMU_PPI) : [];
  if (keys.irq.present) irq = Array<number>(vcpus).fill(keys.irq.integer(0, 1019, 'a GIC INTID'));
  if (keys.irqs.present) {
    const items = keys.irqs.list();
    if (items.length !== vcpus) throw keys.irqs.error(`${items.length} IRQs for ${vcpus} vCPUs (one per vCPU, by index)`);
    irq = items.map((i) => i.integer(0, 1019, 'a GIC INTID'));
  }
  return {
    set_pmu: keys.set_pmu.present ? keys.set_pmu.integer(0, 2 ** 31 - 1, 'a PMU type from sysfs') : null,
    filter: keys.filter.present
      ? keys.filter.list().map((item) => {
          const f = item.record(['action', 'base_event', 'nevents']);
          if (!f.action.present) throw f.action.error('missing (expected allow or deny)');
          return { action: f.action.oneOf(['allow', 'deny'] as const), base_event: f.base_event.integer(0, 0xffff), nevents: f.nevents.integer(0, 0xffff) };
        })
      : [],
    nr_counters: keys.nr_counters.present ? keys.nr_counters.integer(0, 31) : null,
    irq,
    init: keys.init.present ? keys.init.boolean() : true,
  };
}

/** The guest SPE driver's buffer and the host's part in it; defaults are guest-spe.ts's. */
function readSpeConfig(field: Field, spe: boolean): VmSpeSpec {
  if (!spe) throw field.keyError('needs spe: true');
  const keys = field.record(['buffer_kb', 'interval', 'pinned', 'host_profiling']);
  return {
    buffer_kb: keys.buffer_kb.present ? keys.buffer_kb.integer(4, 1 << 20, 'whole 4 KiB pages') : 4096,
    interval: keys.interval.present ? keys.interval.integer(256, 2 ** 24) : 4096,
    pinned: keys.pinned.present ? keys.pinned.boolean() : true,
    host_profiling: keys.host_profiling.present ? keys.host_profiling.boolean() : false,
  };
}

/** A guest with SPE must only run where SPE exists, as KVM's SPE series requires of the VMM. */
function checkVmSpe(field: Field, machine: Scenario['machine'], cpus: number[] | null): void {
  if (machine.arch !== 'arm64') throw field.error('SPE is arm64 only');
  const runsOn = cpus ?? Array.from({ length: machine.cpus }, (_, cpu) => cpu);
  const without = runsOn.find((cpu) => !machine.pmu.spe.includes(cpu));
  if (without === undefined) return;
  const where = machine.pmu.spe.length === 0 ? 'no CPU has SPE (machine.pmu.spe)' : `SPE CPUs: ${machine.pmu.spe.join(', ')}`;
  throw field.error(`the VM may run on CPU ${without}, which has no SPE (${where}); limit its cpus: to SPE CPUs`);
}

function readPerfSession(field: Field, context: Context, vmNames: string[]): PerfSessionSpec {
  const keys = field.record(['on', 'run', 'at']);
  const written = keys.run.string();
  const run = written.trim().replace(/^perf\s+/, '');
  checkPerfRun(keys.run, written, run, context.machine);
  return {
    on: readOn(keys.on, vmNames),
    run,
    at: keys.at.present ? readTime(keys.at, context) : 0,
  };
}

/**
 * A perf command line must parse, options and event strings alike, before
 * anything runs; an event error points at its character in the file.
 */
function checkPerfRun(field: Field, written: string, run: string, machine: Scenario['machine']): void {
  let command;
  try {
    command = parsePerfCommand(splitCommandLine(run));
  } catch (e) {
    if (e instanceof PerfUsageError) throw field.error(e.message);
    throw e;
  }
  const pmus = pmusFor(machine.arch, machine.vendor);
  for (const events of command.events) {
    try {
      parseEvents(events, { pmus, mode: 'perf' });
    } catch (e) {
      if (!(e instanceof ParseEventsError)) throw e;
      const at = written.indexOf(events);
      throw field.errorInside(Math.max(at, 0) + e.column, `event syntax error in '${events}': ${e.reason}`);
    }
  }
}

/** `on:` is `host` or the name of a VM of this scenario. */
function readOn(field: Field, vmNames: string[]): string {
  const name = field.string();
  if (name === 'host' || vmNames.includes(name)) return name;
  throw field.error(unknownVm(name, ['host', ...vmNames], vmNames.length));
}

function unknownVm(name: string, names: string[], vmCount: number): string {
  const close = closestName(name, names);
  const hint =
    close !== undefined
      ? `did you mean "${close}"?`
      : vmCount === 0
        ? 'the scenario has no VMs'
        : `expected one of: ${names.join(', ')}`;
  return `unknown ${names.includes('host') ? 'host or VM' : 'VM'} "${name}" (${hint})`;
}

function readTime(field: Field, context: Context): number {
  const at = field.duration();
  if (at > context.duration) {
    throw field.error(`${formatDuration(at)} is after the end of the scenario (duration ${formatDuration(context.duration)})`);
  }
  return at;
}

/**
 * Actions must be listed in time order and make sense in sequence: only a
 * running VM can be paused, only a paused one resumed, a stopped one is gone.
 */
function readTimeline(field: Field, context: Context, vmNames: string[]): TimelineAction[] {
  if (!field.present) return [];
  const state = new Map(vmNames.map((name) => [name, 'running' as 'running' | 'paused' | 'stopped']));
  const timeline: TimelineAction[] = [];
  for (const item of field.list()) {
    const keys = item.record(['at', 'do']);
    const at = readTime(keys.at, context);
    const last = timeline.at(-1);
    if (last && at < last.at) {
      throw keys.at.error(`${formatDuration(at)} is before the previous action (${formatDuration(last.at)}); list actions in time order`);
    }
    const { action, vm } = readAction(keys.do, vmNames);
    const before = state.get(vm) ?? 'running';
    if (before === 'stopped') throw keys.do.error(`${vm} is already stopped`);
    if (action === 'pause' && before === 'paused') throw keys.do.error(`${vm} is already paused`);
    if (action === 'resume' && before === 'running') throw keys.do.error(`${vm} is not paused`);
    state.set(vm, ({ migrate: before, stop: 'stopped', pause: 'paused', resume: 'running' } as const)[action]);
    timeline.push({ at, action, vm });
  }
  return timeline;
}

/** `do: <action> <vm>`. */
function readAction(field: Field, vmNames: string[]): Pick<TimelineAction, 'action' | 'vm'> {
  const words = field.string().trim().split(/\s+/);
  if (words.length !== 2) throw field.error(`expected "<action> <vm>" with action one of: ${TIMELINE_ACTIONS.join(', ')}, e.g. "migrate vm0"`);
  const [verb, vm] = words;
  const action = TIMELINE_ACTIONS.find((candidate) => candidate === verb);
  if (!action) throw field.error(`unknown action "${verb}" (expected one of: ${TIMELINE_ACTIONS.join(', ')})`);
  if (!vmNames.includes(vm)) throw field.error(unknownVm(vm, vmNames, vmNames.length));
  return { action, vm };
}
