/**
 * vPMU design comparison: the same scenario once per design, the guest's own
 * perf stat against the truth of the guest's execution, and what each design
 * cost the host in VM-exits. `guestperf compare` prints it; the window opens
 * it as a trace (`recordDesignComparison`).
 */
import { ProfileBuilder } from '../profile/builder';
import type { DesignComparisonRow, Profile } from '../profile/model';
import { vcpuExitRows } from './kvm/exit-table';
import { parsePerfCommand, PerfUsageError, type StatOptions } from './perf-tool/cmdline';
import { VPMU_DESIGNS, type Scenario, type VpmuDesign } from './scenario/types';
import { applyOverrides, runStat } from './session';

/** What compare counts when no event is given. */
export const DEFAULT_COMPARE_EVENTS = ['cycles,instructions'];

/** The designs of a list, or one error naming the first unknown one. */
export function designList(designs: readonly string[]): VpmuDesign[] {
  const unknown = designs.find((d) => !(VPMU_DESIGNS as readonly string[]).includes(d));
  if (designs.length === 0 || unknown !== undefined)
    throw new PerfUsageError(`unknown vPMU design "${unknown ?? ''}" (expected a list of: ${VPMU_DESIGNS.join(', ')})`);
  return designs as VpmuDesign[];
}

/** The VM whose perf counts: `on`, or the scenario's first VM. */
export function comparedVm(scenario: Scenario, on?: string): string {
  const vm = on ?? scenario.vms[0]?.name;
  if (!vm || vm === 'host') throw new PerfUsageError('compare needs a VM (the scenario has none, or --on names the host)');
  return vm;
}

/** perf stat -a --truth with these events, as the guest runs it. */
export function compareStatOptions(events: readonly string[]): StatOptions {
  const list = events.length ? events : DEFAULT_COMPARE_EVENTS;
  return parsePerfCommand(['stat', '-a', '--truth', ...list.flatMap((e) => ['-e', e])]) as StatOptions;
}

/** One run per design; rows in design order, then the evlist's order. */
export function compareDesigns(scenario: Scenario, designs: readonly VpmuDesign[], options: StatOptions, vm: string): DesignComparisonRow[] {
  const rows: DesignComparisonRow[] = [];
  for (const design of designs) {
    const result = runStat(applyOverrides(scenario, { vpmu: design }), options, vm);
    const vcpus = result.machine.kvm.vms.find((v) => v.name === vm)?.vcpus ?? [];
    const exits = vcpus.flatMap((v) => vcpuExitRows(v, 0));
    const pmuExits = vcpus.reduce((a, v) => a + v.pmuExits, 0);
    const vmExits = exits.reduce((a, r) => a + r.count, 0);
    const hostCostNs = exits.reduce((a, r) => a + r.pmuNs, 0);
    for (const c of result.run.counters) {
      const guestValue = c.supported && c.running > 0 ? Math.trunc(c.value) : null;
      const truthValue = c.truth ?? null;
      const errorPct = guestValue !== null && truthValue ? (100 * (guestValue - truthValue)) / truthValue : null;
      const runningShare = c.supported ? (c.enabled > 0 ? c.running / c.enabled : 0) : null;
      rows.push({ design, event: c.name, guestValue, truthValue, errorPct, runningShare, pmuExits, vmExits, hostCostNs });
    }
  }
  return rows;
}

/** The comparison as a trace: no samples, one event per counted event, the table and the scenario. */
export function comparisonProfile(rows: DesignComparisonRow[], vm: string, name: string, scenarioText?: string): Profile {
  const b = new ProfileBuilder();
  b.machine(vm, 'guest');
  for (const r of rows) b.event(r.event);
  const profile = b.build({ name: `${name} (vPMU designs)`, source: 'guestperf-compare', weightUnit: 'events' });
  profile.designComparison = { vm, rows };
  if (scenarioText !== undefined) profile.scenario = scenarioText;
  return profile;
}

/**
 * Runs `scenario` once per design (on its first VM) and returns a trace the
 * window opens as a design comparison. Throws PerfUsageError for an unknown
 * design or a scenario without a VM, ParseEventsError for a bad event.
 */
export function recordDesignComparison(scenario: Scenario, scenarioText: string, designs: string[], events: string[] = []): Profile {
  const vm = comparedVm(scenario);
  const rows = compareDesigns(scenario, designList(designs), compareStatOptions(events), vm);
  return comparisonProfile(rows, vm, scenario.name, scenarioText);
}
