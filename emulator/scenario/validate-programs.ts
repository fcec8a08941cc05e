/**
 * The `programs:` section: workload programs a scenario defines inline, in
 * the shape of workload/program.ts. The schema is the project's own (the
 * contract leaves it open):
 *
 *   programs:
 *     my-prog:
 *       comm: my-prog              # default: the program's key
 *       entry: main
 *       functions:
 *         main:
 *           mode: user             # user | kernel
 *           dso: my-prog           # default: [kernel.kallsyms] in kernel mode, else comm
 *           self: 1                # default: 1 for a leaf, 0 for a function with calls
 *           burst_us: 100          # > 0
 *           sleep_us: 0
 *           faults_per_ms: 0
 *           pmu_reads_per_us: 0
 *           rates: { ipc: 2.0 }    # any field left out comes from DEFAULT_RATES
 *           calls: [{ fn: work, weight: 1 }]   # weight default 1
 */
import { DEFAULT_RATES } from '../workload/program';
import type { EventRates, FunctionSpec, ProgramSpec } from '../workload/program';
import { closestName } from './yaml-reader';
import type { Field } from './yaml-reader';

export const KERNEL_DSO = '[kernel.kallsyms]';

/** Values a function gets for what it leaves out, other than self, dso and rates. */
export const FUNCTION_DEFAULTS = { burst_us: 100, sleep_us: 0, faults_per_ms: 0, pmu_reads_per_us: 0 } as const;

const PROGRAM_KEYS = ['comm', 'entry', 'functions'] as const;
const FUNCTION_KEYS = [
  'mode',
  'dso',
  'self',
  'burst_us',
  'sleep_us',
  'faults_per_ms',
  'pmu_reads_per_us',
  'rates',
  'calls',
] as const;
const RATE_KEYS = ['ipc', 'branches', 'branch_miss', 'cache_refs', 'cache_miss'] as const;

/** Reads `programs:`; names may not hide a built-in program, so `program: spin` always means one thing. */
export function readPrograms(field: Field, builtinPrograms: readonly string[]): Record<string, ProgramSpec> {
  const programs: Record<string, ProgramSpec> = {};
  if (!field.present) return programs;
  for (const { key: name, field: program } of field.entries('a map of program names to programs')) {
    if (builtinPrograms.includes(name)) {
      throw program.keyError(`"${name}" is a built-in program; give the scenario's own program another name`);
    }
    programs[name] = readProgram(program, name);
  }
  return programs;
}

function readProgram(field: Field, name: string): ProgramSpec {
  const keys = field.record(PROGRAM_KEYS);
  const comm = keys.comm.present ? keys.comm.string() : name;
  const functionFields = keys.functions.entries('a map of function names to functions');
  if (functionFields.length === 0) throw keys.functions.error('a program needs at least one function');

  const read = functionFields.map(({ key, field: fn }) => ({ key, ...readFunction(fn, comm) }));
  const functions: Record<string, FunctionSpec> = {};
  for (const { key, spec } of read) functions[key] = spec;

  const names = Object.keys(functions);
  const entry = keys.entry.string();
  if (!(entry in functions)) throw keys.entry.error(unknownFunction(entry, names));

  for (const { key, spec, calleeFields } of read) {
    spec.calls.forEach((call, i) => {
      const callee = functions[call.fn];
      if (!callee) throw calleeFields[i].error(unknownFunction(call.fn, names));
      // Kernel code gets back to user space by returning from the syscall, never by a call.
      if (spec.mode === 'kernel' && callee.mode === 'user') {
        throw calleeFields[i].error(`kernel function "${key}" cannot call user function "${call.fn}"`);
      }
    });
  }
  checkEveryWalkEnds(functionFields, functions);
  return { comm, entry, functions };
}

/** The function, and for each call the field naming the callee, for the checks that need every function. */
function readFunction(field: Field, comm: string): { spec: FunctionSpec; calleeFields: Field[] } {
  const keys = field.record(FUNCTION_KEYS);
  const mode = keys.mode.oneOf(['user', 'kernel'] as const);
  const callFields = keys.calls.present ? keys.calls.list().map((call) => call.record(['fn', 'weight'])) : [];
  const calls = callFields.map((call) => ({
    fn: call.fn.string(),
    weight: call.weight.present ? call.weight.number(0, Infinity, true) : 1,
  }));
  const self = keys.self.present ? keys.self.number(0) : calls.length === 0 ? 1 : 0;
  if (self === 0 && calls.length === 0) {
    throw keys.self.error('a function without calls needs self > 0, or a walk that reaches it has nothing to run');
  }
  const spec: FunctionSpec = {
    mode,
    dso: keys.dso.present ? keys.dso.string() : mode === 'kernel' ? KERNEL_DSO : comm,
    self,
    burst_us: keys.burst_us.present ? keys.burst_us.number(0, Infinity, true) : FUNCTION_DEFAULTS.burst_us,
    sleep_us: keys.sleep_us.present ? keys.sleep_us.number(0) : FUNCTION_DEFAULTS.sleep_us,
    faults_per_ms: keys.faults_per_ms.present ? keys.faults_per_ms.number(0) : FUNCTION_DEFAULTS.faults_per_ms,
    pmu_reads_per_us: keys.pmu_reads_per_us.present
      ? keys.pmu_reads_per_us.number(0)
      : FUNCTION_DEFAULTS.pmu_reads_per_us,
    rates: readRates(keys.rates),
    calls,
  };
  return { spec, calleeFields: callFields.map((call) => call.fn) };
}

function readRates(field: Field): EventRates {
  const rates: EventRates = { ...DEFAULT_RATES };
  if (!field.present) return rates;
  const keys = field.record(RATE_KEYS);
  for (const key of RATE_KEYS) {
    if (!keys[key].present) continue;
    // ipc is a ratio of counts with no natural ceiling; the rest are fractions.
    rates[key] = key === 'ipc' ? keys[key].number(0, Infinity, true) : keys[key].number(0, 1);
  }
  return rates;
}

/**
 * A walk descends until it picks some function's own code. With self = 0
 * everywhere along a call cycle (a ↔ b calling only each other) it never
 * would; such a function is refused, so a task can never hang the simulation.
 */
function checkEveryWalkEnds(fields: { key: string; field: Field }[], functions: Record<string, FunctionSpec>): void {
  const ends = new Set(Object.keys(functions).filter((name) => functions[name].self > 0));
  for (let grew = true; grew; ) {
    grew = false;
    for (const [name, spec] of Object.entries(functions)) {
      if (!ends.has(name) && spec.calls.some((call) => ends.has(call.fn))) {
        ends.add(name);
        grew = true;
      }
    }
  }
  const stuck = fields.find(({ key }) => !ends.has(key));
  if (stuck) {
    throw stuck.field.keyError(`"${stuck.key}" has self 0 and every call leads back without reaching a function with self > 0`);
  }
}

function unknownFunction(name: string, names: string[]): string {
  const close = closestName(name, names);
  return `no function "${name}" in this program${close === undefined ? '' : ` (did you mean "${close}"?)`}`;
}
