/**
 * `guestperf compare`: the same scenario once per vPMU design, the guest's
 * own perf stat against the truth of the guest's execution, and what the
 * design cost in VM-exits (shared reference cli.md).
 */
import { comparedVm, compareDesigns, comparisonProfile, DEFAULT_COMPARE_EVENTS, designList } from '../../../emulator/compare-trace';
import { VPMU_DESIGNS, type VpmuDesign } from '../../../emulator/scenario/types';
import type { DesignComparisonRow } from '../../../profile/model';
import { formatById } from '../../../profile/formats/registry';
import { writeTrace } from '../../files/trace-io';
import { CommandError, errnoText, runReporting, writeChunks } from './io';
import type { CliIo } from './io';
import { loadScenarioOptions, perfOptions, runEmulator, SCENARIO_OPTIONS_HELP } from './scenario-options';

export const COMPARE_USAGE = `Usage: guestperf compare [scenario options] --vpmu A,B,... [-e EVENTS]... [-j]

Runs the scenario once per vPMU design and compares what the guest's own perf
stat counts (system-wide in the guest given by --on, default the first VM)
with the ground truth of the guest's execution. Per design and event:
vpmu, event, guest-value, truth-value, error-pct, pmu-exits, vm-exits.

      --vpmu A,B,...     designs to compare (${VPMU_DESIGNS.join(', ')})
  -e, --event EVENTS     events in perf's syntax (default: cycles,instructions)
  -o, --output FILE      also write the comparison as a guestperf trace, which
                         the window opens on its vPMU accuracy table
  -j, --json             JSON lines instead of a table
  -h, --help             this text

${SCENARIO_OPTIONS_HELP}`;

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
    let designs: VpmuDesign[];
    try {
      designs = designList((list ?? '').split(',').filter(Boolean));
    } catch (e) {
      throw new CommandError(`--vpmu: ${(e as Error).message}`);
    }
    const json = rest.includes('-j') || rest.includes('--json');
    const loaded = await loadScenarioOptions(rest.filter((a) => a !== '-j' && a !== '--json'));
    const vm = runEmulator(io, () => comparedVm(loaded.scenario, loaded.on));
    if (vm === null) return 2;
    const options = perfOptions('stat', ['-a', '--truth', ...loaded.rest]);
    if (options.events.length === 0) options.events = [...DEFAULT_COMPARE_EVENTS];
    const rows = runEmulator(io, () => compareDesigns(loaded.scenario, designs, options, vm));
    if (!rows) return 2;
    if (options.output !== null) {
      // -o: the comparison as a trace the window opens on its vPMU accuracy table.
      const profile = comparisonProfile(rows, vm, loaded.scenario.name, loaded.text);
      try {
        await writeTrace(options.output, profile, formatById('guestperf')!);
      } catch (e) {
        throw new CommandError(`cannot write ${options.output}: ${errnoText(e as NodeJS.ErrnoException)}`);
      }
    }
    await writeChunks(io.stdout, [json ? jsonLines(rows) : table(rows)]);
    return 0;
  });
}

/** The columns of shared reference cli.md, in its order and spelling. */
function cliRow(r: DesignComparisonRow) {
  return {
    vpmu: r.design,
    event: r.event,
    'guest-value': r.guestValue,
    'truth-value': r.truthValue,
    'error-pct': r.errorPct,
    'pmu-exits': r.pmuExits,
    'vm-exits': r.vmExits,
  };
}

function jsonLines(rows: DesignComparisonRow[]): string {
  return rows
    .map(cliRow)
    .map((r) => JSON.stringify({ ...r, 'error-pct': r['error-pct'] === null ? null : Number(r['error-pct'].toFixed(2)) }))
    .join('\n')
    .concat('\n');
}

function table(rows: DesignComparisonRow[]): string {
  const head = ['vpmu', 'event', 'guest-value', 'truth-value', 'error-pct', 'pmu-exits', 'vm-exits'];
  const cells = rows.map(cliRow).map((r) => [
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
