/** Small machines for emulator tests, built through the real scenario parser. */
import { Machine } from '../../emulator/machine';
import { parseScenario } from '../../emulator/scenario/parse';

export interface HostOptions {
  arch?: 'x86_64' | 'arm64';
  vendor?: 'intel' | 'amd';
  cpus?: number;
  counters?: number;
  nmiWatchdog?: boolean;
  /** `program: N-threads@cpus` entries, e.g. ['spin'] or ['spin:2@0,1']. */
  workloads?: string[];
  seed?: number;
}

export function hostMachine(o: HostOptions = {}): Machine {
  const arch = o.arch ?? 'x86_64';
  const lines = [
    'format: 1',
    `seed: ${o.seed ?? 1}`,
    'duration: 10s',
    'machine:',
    `  arch: ${arch}`,
    ...(arch === 'x86_64' ? [`  vendor: ${o.vendor ?? 'intel'}`] : []),
    `  cpus: ${o.cpus ?? 1}`,
    `  nmi_watchdog: ${o.nmiWatchdog ?? false}`,
    ...(o.counters ? ['  pmu:', `    counters: ${o.counters}`] : []),
    'host:',
    '  workloads:',
    ...(o.workloads ?? []).flatMap((w) => {
      const m = /^([\w-]+)(?::(\d+))?(?:@([\d,]+))?$/.exec(w);
      if (!m) throw new Error(`bad workload ${w}`);
      return [
        `    - program: ${m[1]}`,
        `      threads: ${m[2] ?? 1}`,
        ...(m[3] ? [`      cpus: [${m[3]}]`] : []),
      ];
    }),
  ];
  if (!o.workloads?.length) lines.splice(lines.indexOf('  workloads:'), 1, '  workloads: []');
  return new Machine(parseScenario(lines.join('\n'), 'test.yaml').scenario);
}
