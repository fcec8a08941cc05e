/**
 * `guestperf compare`: the same scenario once per vPMU design, the guest's
 * own perf stat against the truth of the guest's execution, and what the
 * design cost in VM-exits (shared reference cli.md).
 */
import { VPMU_DESIGNS, type VpmuDesign } from '../../../emulator/scenario/types';
import { applyOverrides, runStat } from '../../../emulator/session';
import { CommandError, runReporting, writeChunks } from './io';
import type { CliIo } from './io';
import { loadScenarioOptions, perfOptions, runEmulator, SCENARIO_OPTIONS_HELP } from './scenario-options';

export const COMPARE_USAGE = `Usage: guestperf compare [scenario options] --vpmu A,B,... [-e EVENTS]... [-j]

Runs the scenario once per vPMU design and compares what the guest's own perf
stat counts (system-wide in the guest given by --on, default the first VM)
with the ground truth of the guest's execution. Per design and event:
vpmu, event, guest-value, truth-value, error-pct, pmu-exits, vm-exits.

      --vpmu A,B,...     designs to compare (${VPMU_DESIGNS.join(', ')})
  -e, --event EVENTS     events in perf's syntax (default: cycles,instructions)
  -j, --json             JSON lines instead of a table
  -h, --help             this text

${SCENARIO_OPTIONS_HELP}`;

interface Row {
  vpmu: string;
  event: string;
  'guest-value': number | null;
  'truth-value': number | null;
  'error-pct': number | null;
  'pmu-exits': number;
  'vm-exits': number;
}

export async function compareCommand(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(COMPARE_USAGE);
    return 0;
  }
  return runReporting('compare', io, async () => {
    // --vpmu here is a list; take it out before the scenario options see it.
    const rest = [...argv];
    const at = rest.findIndex((a) => a === '--vpmu' || a.startsWith('--vpmu='));
    if (at < 0) throw new CommandError('--vpmu A,B,... is required (see guestperf compare --help)');
    const list = rest[at].includes('=') ? rest[at].split('=')[1] : rest[at + 1];
    rest.splice(at, rest[at].includes('=') ? 1 : 2);
    const designs = (list ?? '').split(',').filter(Boolean);
    const unknown = designs.find((d) => !(VPMU_DESIGNS as readonly string[]).includes(d));
    if (designs.length === 0 || unknown !== undefined)
      throw new CommandError(`--vpmu: unknown design "${unknown ?? ''}" (expected a list of: ${VPMU_DESIGNS.join(', ')})`);
    const json = rest.includes('-j') || rest.includes('--json');
    const loaded = await loadScenarioOptions(rest.filter((a) => a !== '-j' && a !== '--json'));
    const vm = loaded.on ?? loaded.scenario.vms[0]?.name;
    if (!vm || vm === 'host') throw new CommandError('compare needs a VM (the scenario has none, or --on names the host)');
    const options = perfOptions('stat', ['-a', '--truth', ...loaded.rest]);
    if (options.events.length === 0) options.events = ['cycles,instructions'];
    const rows: Row[] = [];
    for (const design of designs as VpmuDesign[]) {
      const result = runEmulator(io, () => runStat(applyOverrides(loaded.scenario, { vpmu: design }), options, vm));
      if (!result) return 2;
      const target = result.machine.kvm.vms.find((v) => v.name === vm);
      const pmuExits = target?.vcpus.reduce((a, v) => a + v.pmuExits, 0) ?? 0;
      const vmExits = target?.vcpus.reduce((a, v) => a + [...v.exits.values()].reduce((b, s) => b + s.count, 0), 0) ?? 0;
      for (const c of result.run.counters) {
        const value = c.supported && c.running > 0 ? Math.trunc(c.value) : null;
        const truth = c.truth ?? null;
        const error = value !== null && truth ? (100 * (value - truth)) / truth : null;
        rows.push({ vpmu: design, event: c.name, 'guest-value': value, 'truth-value': truth, 'error-pct': error, 'pmu-exits': pmuExits, 'vm-exits': vmExits });
      }
    }
    await writeChunks(io.stdout, [json ? jsonLines(rows) : table(rows)]);
    return 0;
  });
}

function jsonLines(rows: Row[]): string {
  return rows
    .map((r) => JSON.stringify({ ...r, 'error-pct': r['error-pct'] === null ? null : Number(r['error-pct'].toFixed(2)) }))
    .join('\n')
    .concat('\n');
}

function table(rows: Row[]): string {
  const head = ['vpmu', 'event', 'guest-value', 'truth-value', 'error-pct', 'pmu-exits', 'vm-exits'];
  const cells = rows.map((r) => [
    r.vpmu,
    r.event,
    r['guest-value'] === null ? '<not counted>' : String(r['guest-value']),
    r['truth-value'] === null ? '-' : String(r['truth-value']),
    r['error-pct'] === null ? '-' : `${r['error-pct'] >= 0 ? '+' : ''}${r['error-pct'].toFixed(2)}%`,
    String(r['pmu-exits']),
    String(r['vm-exits']),
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i < 2 ? x.padEnd(width[i]) : x.padStart(width[i]))).join('  ').trimEnd();
  return [line(head), ...cells.map(line)].join('\n') + '\n';
}
