/**
 * `guestperf kvm-stat`: VM-exit analysis of a scenario run, in the layout of
 * `perf kvm stat report` (tools/perf/builtin-kvm.c): per exit reason the
 * count, its share of samples and of handled time, min/max/avg handling time
 * with the stddev as a percentage of the mean, and the totals trailer.
 */
import type { ExitStats } from '../../../emulator/kvm/vcpu';
import { runStat } from '../../../emulator/session';
import { CommandError, runReporting, writeChunks } from './io';
import type { CliIo } from './io';
import { loadScenarioOptions, perfOptions, runEmulator, SCENARIO_OPTIONS_HELP } from './scenario-options';

export const KVM_STAT_USAGE = `Usage: guestperf kvm-stat [scenario options] [--event vmexit|mmio|ioport]

Runs the scenario and analyses its VMs' exits as perf kvm stat report does:
for each exit reason, how many, their share of all exits and of the time
spent handling them, and the minimum, maximum and average handling time.
Only vmexit is modelled; mmio and ioport report that they are not.

      --event KIND       vmexit (default), mmio or ioport
  -h, --help             this text

${SCENARIO_OPTIONS_HELP}`;

export async function kvmStatCommand(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(KVM_STAT_USAGE);
    return 0;
  }
  return runReporting('kvm-stat', io, async () => {
    const rest = [...argv];
    let kind = 'vmexit';
    const at = rest.findIndex((a) => a === '--event' || a.startsWith('--event='));
    if (at >= 0) {
      kind = rest[at].includes('=') ? rest[at].split('=')[1] : (rest[at + 1] ?? '');
      rest.splice(at, rest[at].includes('=') ? 1 : 2);
    }
    if (!['vmexit', 'mmio', 'ioport'].includes(kind)) throw new CommandError(`--event: expected vmexit, mmio or ioport, got "${kind}"`);
    if (kind !== 'vmexit') throw new CommandError(`--event ${kind}: MMIO and port I/O accesses are not modelled; use vmexit`);
    const loaded = await loadScenarioOptions(rest);
    if (loaded.rest.length > 0) throw new CommandError(`unexpected argument "${loaded.rest[0]}" (see guestperf kvm-stat --help)`);
    if (loaded.scenario.vms.length === 0) throw new CommandError('the scenario has no VM to analyse');
    // The exits happen whatever perf does; a software event keeps the session out of the way.
    const result = runEmulator(io, () => runStat(loaded.scenario, perfOptions('stat', ['-a', '-e', 'dummy'])));
    if (!result) return 2;
    const merged = new Map<string, ExitStats>();
    for (const vm of result.machine.kvm.vms)
      for (const v of vm.vcpus)
        for (const [reason, s] of v.exits) {
          // Keyed as the host architecture's perf kvm stat names exits (arm64: IRQ, SYS64, WFx, ...).
          const name = v.tags.frames.exitName(reason);
          const m = merged.get(name) ?? { count: 0, totalNs: 0, minNs: Infinity, maxNs: 0, sumSq: 0, pmuCount: 0, pmuNs: 0 };
          m.count += s.count;
          m.totalNs += s.totalNs;
          m.minNs = Math.min(m.minNs, s.minNs);
          m.maxNs = Math.max(m.maxNs, s.maxNs);
          m.sumSq += s.sumSq;
          m.pmuCount += s.pmuCount;
          m.pmuNs += s.pmuNs;
          merged.set(name, m);
        }
    await writeChunks(io.stdout, [formatKvmStat(merged)]);
    return 0;
  });
}

/** perf kvm stat report's vmexit layout, sorted by sample count (its default key). */
export function formatKvmStat(exits: ReadonlyMap<string, ExitStats>): string {
  const rows = [...exits].sort((a, b) => b[1].count - a[1].count || a[0].localeCompare(b[0]));
  const samples = rows.reduce((a, [, s]) => a + s.count, 0);
  const time = rows.reduce((a, [, s]) => a + s.totalNs, 0);
  const us = (ns: number) => `${(ns / 1000).toFixed(2)}us`;
  const out = ['Analyze events for all VMs, all VCPUs:', '', `${'VM-EXIT'.padStart(20)}${'Samples'.padStart(11)}${'Samples%'.padStart(10)}${'Time%'.padStart(10)}${'Min Time'.padStart(12)}${'Max Time'.padStart(12)}${'Avg time'.padStart(17)}`, ''];
  for (const [reason, s] of rows) {
    const mean = s.totalNs / s.count;
    const variance = Math.max(0, s.sumSq / s.count - mean * mean);
    // perf prints the stddev of the mean as a percentage of the mean.
    const noise = s.count > 1 && mean > 0 ? (100 * Math.sqrt(variance / (s.count - 1))) / mean : 0;
    out.push(
      `${reason.padStart(20)}${String(s.count).padStart(11)}${`${((100 * s.count) / samples).toFixed(2)}%`.padStart(10)}` +
        `${`${((100 * s.totalNs) / time).toFixed(2)}%`.padStart(10)}${us(s.minNs).padStart(12)}${us(s.maxNs).padStart(12)}` +
        `${us(mean).padStart(17)} ( +- ${noise.toFixed(2).padStart(6)}% )`,
    );
  }
  out.push('', `Total Samples:${samples}, Total events handled time:${(time / 1000).toFixed(2)}us.`, '');
  return out.join('\n');
}
