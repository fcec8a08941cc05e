/**
 * The scenario options every emulator command takes (shared reference
 * cli.md): --scenario FILE|NAME, --seed, --duration, --vpmu, --on. They are
 * taken out of argv here; what remains is the perf tool's own command line.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { BUILTIN_SCENARIOS, loadBuiltinScenario } from '../../../emulator/scenario/builtins';
import { parseDuration } from '../../../emulator/scenario/duration';
import { parseScenario, ScenarioError } from '../../../emulator/scenario/parse';
import { type Scenario, VPMU_DESIGNS, type VpmuDesign } from '../../../emulator/scenario/types';
import { applyOverrides, type ScenarioOverrides } from '../../../emulator/session';
import { KvmError } from '../../../emulator/kvm/kvm';
import { parsePerfCommand, PerfUsageError, type RecordOptions, type StatOptions } from '../../../emulator/perf-tool/cmdline';
import { ParseEventsError } from '../../../emulator/perf-tool/parse-events';
import { CommandError, type CliIo, errnoText } from './io';

export const SCENARIO_OPTIONS_HELP = `Scenario options:
      --scenario FILE|NAME  a scenario file, or a built-in (guestperf scenarios); default: default
      --seed N              random seed (same scenario and seed: same output)
      --duration TIME       simulated time, e.g. 500ms or 2s
      --vpmu DESIGN         vPMU design of every VM: ${VPMU_DESIGNS.join('|')}
      --on host|VM          whose perf runs the session (default host)
`;

export interface LoadedScenario {
  scenario: Scenario;
  /** The scenario as written (kept in traces recorded from it). */
  text: string;
  on: string | undefined;
  /** argv without the scenario options. */
  rest: string[];
}

const VALUE_OPTIONS = ['--scenario', '--seed', '--duration', '--vpmu', '--on'];

export async function loadScenarioOptions(argv: readonly string[]): Promise<LoadedScenario> {
  const values = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (!VALUE_OPTIONS.includes(name)) {
      rest.push(arg);
      continue;
    }
    const value = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new CommandError(`option ${name} needs a value`);
    if (values.has(name)) throw new CommandError(`option ${name} given twice`);
    values.set(name, value);
  }
  const overrides: ScenarioOverrides = {};
  const seed = values.get('--seed');
  if (seed !== undefined) {
    if (!/^\d+$/.test(seed) || Number(seed) > 0xffffffff) throw new CommandError(`--seed: expected an integer 0..4294967295, got "${seed}"`);
    overrides.seed = Number(seed);
  }
  const duration = values.get('--duration');
  if (duration !== undefined) {
    const ns = parseDuration(duration);
    if (ns === undefined || ns <= 0) throw new CommandError(`--duration: expected a time such as 500ms or 2s, got "${duration}"`);
    overrides.duration = ns;
  }
  const vpmu = values.get('--vpmu');
  if (vpmu !== undefined) {
    if (!(VPMU_DESIGNS as readonly string[]).includes(vpmu))
      throw new CommandError(`--vpmu: unknown design "${vpmu}" (expected one of: ${VPMU_DESIGNS.join(', ')})`);
    overrides.vpmu = vpmu as VpmuDesign;
  }
  const { scenario, text } = await readScenario(values.get('--scenario') ?? 'default');
  return { scenario: applyOverrides(scenario, overrides), text, on: values.get('--on'), rest };
}

async function readScenario(ref: string): Promise<{ scenario: Scenario; text: string }> {
  const builtin = BUILTIN_SCENARIOS.find((s) => s.name === ref);
  if (builtin) {
    const loaded = loadBuiltinScenario(ref);
    if (!loaded) throw new CommandError(`built-in scenario ${ref} does not load`);
    return { scenario: loaded.scenario, text: builtin.yaml };
  }
  let text: string;
  try {
    text = await readFile(ref, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const hint = ref.includes('/') || ref.includes('.') ? '' : ` (built-ins: ${BUILTIN_SCENARIOS.map((s) => s.name).join(', ')})`;
    throw new CommandError(`cannot read scenario ${ref}: ${errnoText(err)}${hint}`);
  }
  try {
    return { scenario: parseScenario(text, basename(ref)).scenario, text };
  } catch (e) {
    if (e instanceof ScenarioError) throw new CommandError(e.message);
    throw e;
  }
}

/** The perf tool's own options (what follows the scenario options), or a one-line usage error. */
export function perfOptions(command: 'stat', argv: readonly string[]): StatOptions;
export function perfOptions(command: 'record', argv: readonly string[]): RecordOptions;
export function perfOptions(command: 'stat' | 'record', argv: readonly string[]): StatOptions | RecordOptions {
  try {
    return parsePerfCommand([command, ...argv]);
  } catch (e) {
    if (e instanceof PerfUsageError) throw new CommandError(`${e.message} (see guestperf ${command} --help)`);
    throw e;
  }
}

/**
 * Run the emulator, turning what it refuses into the command's error: an
 * event-string error is printed as perf prints it (null: exit status 2); a
 * session or scenario the emulated kernel refuses is one line, status 2.
 */
export function runEmulator<T>(io: CliIo, run: () => T): T | null {
  try {
    return run();
  } catch (e) {
    if (e instanceof ParseEventsError) {
      io.stderr.write(`${e.message}\n`);
      return null;
    }
    if (e instanceof KvmError) throw new CommandError(e.explained());
    if (e instanceof PerfUsageError) throw new CommandError(e.message);
    throw e;
  }
}
