import { describe, expect, it } from 'vitest';
import { BUILTIN_SCENARIOS, loadBuiltinScenario } from '../../../emulator/scenario/builtins';
import { parseDuration, formatDuration } from '../../../emulator/scenario/duration';
import { parseScenario, renderScenarioError, ScenarioError } from '../../../emulator/scenario/parse';
import { DEFAULT_RATES } from '../../../emulator/workload/program';

/** The ScenarioError `text` raises; fails the test when it parses. */
function errorOf(text: string, file = 'test.yaml'): ScenarioError {
  try {
    parseScenario(text, file);
  } catch (error) {
    if (error instanceof ScenarioError) return error;
    throw error;
  }
  throw new Error('expected the scenario to be refused');
}

const HEADER = 'format: 1\nmachine:\n  arch: x86_64\n  cpus: 4\n';

describe('built-in scenarios', () => {
  it('all parse, under their own name, and are listed once each', () => {
    expect(BUILTIN_SCENARIOS.map((s) => s.name)).toEqual(['default', 'mediated', 'spin', 'multiplex', 'arm64-host', 'amd-host']);
    for (const builtin of BUILTIN_SCENARIOS) {
      const parsed = loadBuiltinScenario(builtin.name);
      expect(parsed?.scenario.name).toBe(builtin.name);
      expect(builtin.summary).not.toMatch(/\n/);
      const withGuest = ['default', 'mediated'].includes(builtin.name);
      expect(parsed?.scenario.vms.length).toBe(withGuest ? 1 : 0);
      // Only the mediated one runs the guest's own perf, so its trace has guest readings.
      expect(parsed?.scenario.perf.map((p) => p.on)).toEqual(builtin.name === 'mediated' ? ['vm0'] : []);
    }
    expect(loadBuiltinScenario('no-such')).toBeUndefined();
  });

  it('default is a 4-CPU Intel host with pinned host workloads and a 2-vCPU guest for 2s', () => {
    const { scenario } = loadBuiltinScenario('default')!;
    expect(scenario.machine).toEqual({
      arch: 'x86_64',
      vendor: 'intel',
      cpus: 4,
      pmu: { counters: null, fixed: null, spe: [] },
      nmi_watchdog: true,
    });
    expect(scenario.duration).toBe(2_000_000_000);
    expect(scenario.host.workloads.map((w) => [w.program, w.threads])).toEqual([
      ['compile', 2],
      ['database', 1],
      ['spin', 1],
    ]);
    expect(scenario.host.workloads.every((w) => w.cpus !== null)).toBe(true);
    expect(scenario.vms.map((v) => [v.name, v.vcpus, v.vpmu, v.cpus])).toEqual([['vm0', 2, 'emulated', [2, 3]]]);
  });

  it('arm64-host and amd-host get their vendors and watchdog defaults', () => {
    const arm = loadBuiltinScenario('arm64-host')!.scenario.machine;
    expect([arm.arch, arm.vendor, arm.nmi_watchdog, arm.pmu.spe]).toEqual(['arm64', 'arm', false, [0, 1]]);
    const amd = loadBuiltinScenario('amd-host')!.scenario.machine;
    expect([amd.arch, amd.vendor, amd.nmi_watchdog]).toEqual(['x86_64', 'amd', true]);
    expect(loadBuiltinScenario('multiplex')!.scenario.machine.pmu.counters).toBe(4);
  });
});

describe('the contract error format', () => {
  const text = [
    'format: 1',
    'name: host-pressure',
    'seed: 42',
    'duration: 2s',
    'machine:',
    '  arch: x86_64',
    '  vendor: intel',
    '  cpus: 4',
    'kvm:',
    '  vpmu: emulated',
    'vms:',
    '  - name: vm0',
    '    vcpus: 2',
    '    vpmu: mediatd',
    '',
  ].join('\n');

  it('names file, line, column, path and the expected values', () => {
    const error = errorOf(text, 'host-pressure.yaml');
    const line =
      'host-pressure.yaml:14:11: vms[0].vpmu: unknown value "mediatd" (expected one of: none, emulated, mediated, partitioned, paravirt)';
    expect(error.message).toBe(line);
    expect(String(error)).toBe(line);
    expect([error.file, error.line, error.column, error.path]).toEqual(['host-pressure.yaml', 14, 11, 'vms[0].vpmu']);
    expect(error.detail).toBe('unknown value "mediatd" (expected one of: none, emulated, mediated, partitioned, paravirt)');
  });

  it('renders the source line with a caret under the column', () => {
    const rendered = renderScenarioError(errorOf(text, 'host-pressure.yaml'), text).split('\n');
    expect(rendered.slice(1)).toEqual(['14 |     vpmu: mediatd', '   |           ^']);
  });
});

describe('YAML syntax', () => {
  it('reports the parser error at its line and column', () => {
    const error = errorOf('format: 1\nmachine:\n  arch: x86_64\n\tcpus: 4\n');
    expect([error.line, error.column, error.path]).toEqual([4, 1, '']);
    expect(error.message).toMatch(/^test\.yaml:4:1: .*[Tt]ab/);
  });

  it('refuses duplicate keys and a second document', () => {
    expect(errorOf(`${HEADER}seed: 1\nseed: 2\n`).message).toBe('test.yaml:6:1: Map keys must be unique');
    expect(errorOf(`${HEADER}---\n${HEADER}`).message).toMatch(/^test\.yaml:5:1: a scenario file holds a single YAML document/);
  });

  it('refuses an empty file and a non-map document', () => {
    expect(errorOf('').message).toMatch(/^test\.yaml:1:1: missing \(expected a map with the keys format, /);
    expect(errorOf('- 1\n').message).toMatch(/^test\.yaml:1:1: expected a map with the keys .*, got a list$/);
  });
});

describe('validation errors point at the offending node', () => {
  it('unknown keys, with a hint when one is close', () => {
    expect(errorOf(`${HEADER}vms:\n  - name: vm0\n    vcpu: 2\n`).message).toBe(
      'test.yaml:7:5: vms[0].vcpu: unknown key "vcpu" (did you mean "vcpus"?)',
    );
    expect(errorOf(`${HEADER}colour: blue\n`).message).toBe(
      'test.yaml:5:1: colour: unknown key "colour" (expected one of: format, name, seed, duration, machine, kvm, host, vms, perf, timeline, programs)',
    );
  });

  it('wrong types', () => {
    expect(errorOf('format: 1\nmachine:\n  arch: x86_64\n  cpus: "4"\n').message).toBe(
      'test.yaml:4:9: machine.cpus: expected an integer from 1 to 256, got "4"',
    );
    expect(errorOf(`${HEADER}host:\n  workloads:\n    program: spin\n`).message).toBe(
      'test.yaml:7:5: host.workloads: expected a list, got a map',
    );
    expect(errorOf('format: 1\nmachine: 4\n').message).toBe(
      'test.yaml:2:10: machine: expected a map with the keys arch, vendor, cpus, pmu, nmi_watchdog, got 4',
    );
    expect(errorOf(`${HEADER}duration: 2\n`).message).toBe(
      'test.yaml:5:11: duration: expected a time with a unit (ns, us, ms, s), e.g. 2s or 1500ms, got 2',
    );
  });

  it('missing required keys point at the map that lacks them', () => {
    expect(errorOf('format: 1\nmachine:\n  arch: arm64\n').message).toBe(
      'test.yaml:3:3: machine.cpus: missing (expected an integer from 1 to 256)',
    );
    expect(errorOf('machine:\n  arch: arm64\n  cpus: 1\n').message).toBe(
      'test.yaml:1:1: format: missing (expected format: 1, the version of this file format)',
    );
    expect(errorOf(`${HEADER}vms:\n  - name: vm0\n    vcpus:\n`).message).toBe(
      'test.yaml:7:5: vms[0].vcpus: no value (expected an integer from 1 to 256)',
    );
    expect(errorOf('format: 2\n').message).toBe('test.yaml:1:9: format: unsupported format 2 (this guestperf reads format 1)');
  });

  it('ranges and architecture limits', () => {
    expect(errorOf('format: 1\nmachine:\n  arch: x86_64\n  cpus: 300\n').message).toBe(
      'test.yaml:4:9: machine.cpus: expected an integer from 1 to 256, got 300',
    );
    expect(errorOf(`${HEADER}  pmu:\n    counters: 9\n`).message).toBe(
      'test.yaml:6:15: machine.pmu.counters: expected an integer from 1 to 8 (intel allows at most 8), got 9',
    );
    expect(errorOf(`${HEADER}  vendor: amd\n  pmu:\n    counters: 7\n`).detail).toBe(
      'expected an integer from 1 to 6 (amd allows at most 6), got 7',
    );
    expect(errorOf(`${HEADER}  vendor: amd\n  pmu:\n    fixed: 3\n`).detail).toBe('AMD has no fixed counters (only general-purpose ones)');
    const arm = 'format: 1\nmachine:\n  arch: arm64\n  cpus: 4\n';
    expect(parseScenario(`${arm}  pmu:\n    counters: 31\n`, 'a.yaml').scenario.machine.pmu.counters).toBe(31);
    expect(errorOf(`${arm}  pmu:\n    counters: 32\n`).detail).toMatch(/^expected an integer from 1 to 31 \(PMUv3/);
    expect(errorOf(`${arm}  pmu:\n    fixed: 1\n`).message).toBe(
      'test.yaml:6:5: machine.pmu.fixed: x86_64 only (arm64 always has its cycle counter)',
    );
    expect(errorOf(`${arm}  vendor: intel\n`).message).toBe(
      'test.yaml:5:11: machine.vendor: "intel" is an x86_64 vendor (arm64 machines are arm; omit vendor)',
    );
    expect(errorOf(`${HEADER}  pmu:\n    spe: [0]\n`).path).toBe('machine.pmu.spe');
    expect(errorOf(`${arm}  pmu:\n    spe: [0, 4]\n`).message).toBe(
      'test.yaml:6:14: machine.pmu.spe[1]: expected an integer from 0 to 3 (the machine has 4 CPUs), got 4',
    );
    expect(errorOf(`${HEADER}host:\n  workloads:\n    - program: spin\n      cpus: [1, 1]\n`).message).toBe(
      'test.yaml:8:17: host.workloads[0].cpus[1]: CPU 1 is listed twice',
    );
    expect(errorOf(`${HEADER}kvm:\n  host_counters: 9\n`).detail).toBe(
      'expected an integer from 0 to 8 (the host PMU has 8 counters), got 9',
    );
    expect(errorOf(`${HEADER}vms:\n  - name: vm0\n    vcpus: 2\n    workloads:\n      - program: spin\n        cpus: [2]\n`).detail).toBe(
      'expected an integer from 0 to 1 (vm0 has 2 vCPUs), got 2',
    );
  });

  it('VM names: unique, usable on a command line, not "host"', () => {
    const vms = `${HEADER}vms:\n  - name: vm0\n    vcpus: 1\n  - name: vm0\n    vcpus: 1\n`;
    expect(errorOf(vms).message).toBe('test.yaml:8:11: vms[1].name: duplicate VM name "vm0" (also vms[0])');
    expect(errorOf(`${HEADER}vms:\n  - name: host\n    vcpus: 1\n`).path).toBe('vms[0].name');
    expect(errorOf(`${HEADER}vms:\n  - name: my vm\n    vcpus: 1\n`).path).toBe('vms[0].name');
  });

  it('a guest with SPE only on arm64 CPUs that have it', () => {
    const arm = 'format: 1\nmachine:\n  arch: arm64\n  cpus: 4\n  pmu:\n    spe: [0, 1]\n';
    const vm = (cpus: string): string => `${arm}vms:\n  - name: vm0\n    vcpus: 1\n    spe: true\n${cpus}`;
    expect(parseScenario(vm('    cpus: [0, 1]\n'), 'a.yaml').scenario.vms[0].spe).toBe(true);
    expect(errorOf(vm('')).detail).toBe(
      'the VM may run on CPU 2, which has no SPE (SPE CPUs: 0, 1); limit its cpus: to SPE CPUs',
    );
    expect(errorOf(`${HEADER}vms:\n  - name: vm0\n    vcpus: 1\n    spe: true\n`).detail).toBe('SPE is arm64 only');
  });

  it('perf on: must be the host or an existing VM', () => {
    const text = `${HEADER}vms:\n  - name: vm0\n    vcpus: 1\nperf:\n  - on: vm1\n    run: stat -a\n`;
    expect(errorOf(text).message).toBe('test.yaml:9:9: perf[0].on: unknown host or VM "vm1" (did you mean "vm0"?)');
    expect(errorOf(`${HEADER}perf:\n  - on: guest\n    run: stat\n`).detail).toBe(
      'unknown host or VM "guest" (the scenario has no VMs)',
    );
    expect(errorOf(`${HEADER}perf:\n  - on: host\n    run: stat\n    at: 2s\n`).detail).toBe(
      '2s is after the end of the scenario (duration 1s)',
    );
  });

  it('timeline actions: verb, VM, time order and sequence', () => {
    const base = `${HEADER}vms:\n  - name: vm0\n    vcpus: 1\ntimeline:\n`;
    expect(errorOf(`${base}  - at: 1ms\n    do: migrat vm0\n`).message).toBe(
      'test.yaml:10:9: timeline[0].do: unknown action "migrat" (expected one of: migrate, stop, pause, resume)',
    );
    expect(errorOf(`${base}  - at: 1ms\n    do: stop vm9\n`).detail).toBe('unknown VM "vm9" (did you mean "vm0"?)');
    expect(errorOf(`${base}  - at: 1ms\n    do: stop\n`).detail).toMatch(/^expected "<action> <vm>"/);
    expect(errorOf(`${base}  - at: 5ms\n    do: pause vm0\n  - at: 1ms\n    do: resume vm0\n`).message).toBe(
      'test.yaml:11:9: timeline[1].at: 1ms is before the previous action (5ms); list actions in time order',
    );
    expect(errorOf(`${base}  - at: 1ms\n    do: resume vm0\n`).detail).toBe('vm0 is not paused');
    expect(errorOf(`${base}  - at: 1ms\n    do: stop vm0\n  - at: 2ms\n    do: migrate vm0\n`).path).toBe('timeline[1].do');
    const ok = parseScenario(`${base}  - at: 1ms\n    do: pause vm0\n  - at: 1500us\n    do: resume  vm0\n`, 'a.yaml');
    expect(ok.scenario.timeline).toEqual([
      { at: 1_000_000, action: 'pause', vm: 'vm0' },
      { at: 1_500_000, action: 'resume', vm: 'vm0' },
    ]);
  });
});

describe('inline programs', () => {
  const program = (functions: string, entry = 'main'): string =>
    `${HEADER}host:\n  workloads:\n    - program: mine\nprograms:\n  mine:\n    entry: ${entry}\n    functions:\n${functions}`;

  it('applies defaults: comm, dso by mode, self by calls, rates merged with DEFAULT_RATES', () => {
    const text = program(
      [
        '      main:',
        '        mode: user',
        '        calls: [{ fn: work, weight: 3 }, { fn: sys_read }]',
        '      work:',
        '        mode: user',
        '        rates: { ipc: 3 }',
        '      sys_read:',
        '        mode: kernel',
        '        self: 2',
        '',
      ].join('\n'),
    );
    const { programs } = parseScenario(text, 'a.yaml').scenario;
    expect(programs.mine.comm).toBe('mine');
    expect(programs.mine.entry).toBe('main');
    expect(programs.mine.functions.main).toEqual({
      mode: 'user',
      dso: 'mine',
      self: 0,
      burst_us: 100,
      sleep_us: 0,
      faults_per_ms: 0,
      pmu_reads_per_us: 0,
      rates: DEFAULT_RATES,
      calls: [
        { fn: 'work', weight: 3 },
        { fn: 'sys_read', weight: 1 },
      ],
    });
    expect(programs.mine.functions.work.self).toBe(1);
    expect(programs.mine.functions.work.rates).toEqual({ ...DEFAULT_RATES, ipc: 3 });
    expect(programs.mine.functions.sys_read.dso).toBe('[kernel.kallsyms]');
  });

  it('refuses a missing entry, an unknown callee, a kernel-to-user call and a walk that never ends', () => {
    expect(errorOf(program('      main:\n        mode: user\n', 'mian')).message).toBe(
      'test.yaml:10:12: programs.mine.entry: no function "mian" in this program (did you mean "main"?)',
    );
    expect(errorOf(program('      main:\n        mode: user\n        calls:\n          - fn: nope\n')).message).toBe(
      'test.yaml:15:17: programs.mine.functions.main.calls[0].fn: no function "nope" in this program',
    );
    const kernelToUser = '      main:\n        mode: kernel\n        calls: [{ fn: u }]\n      u:\n        mode: user\n';
    expect(errorOf(program(kernelToUser)).detail).toBe('kernel function "main" cannot call user function "u"');
    const cycle = '      main:\n        mode: user\n        calls: [{ fn: a }]\n      a:\n        mode: user\n        calls: [{ fn: main }]\n';
    expect(errorOf(program(cycle)).message).toBe(
      'test.yaml:12:7: programs.mine.functions.main: "main" has self 0 and every call leads back without reaching a function with self > 0',
    );
    expect(errorOf(program('      main:\n        mode: user\n        self: 0\n')).path).toBe('programs.mine.functions.main.self');
  });

  it('refuses unknown programs in workloads and programs that hide a built-in', () => {
    expect(errorOf(`${HEADER}host:\n  workloads:\n    - program: spinn\n`).message).toBe(
      'test.yaml:7:16: host.workloads[0].program: unknown program "spinn" (did you mean "spin"?; others can be defined under programs:)',
    );
    const shadow = `${HEADER}programs:\n  spin:\n    entry: main\n    functions:\n      main: { mode: user }\n`;
    expect(errorOf(shadow).message).toBe(
      'test.yaml:6:3: programs.spin: "spin" is a built-in program; give the scenario\'s own program another name',
    );
  });

  it('honours the builtinPrograms option', () => {
    const text = `${HEADER}host:\n  workloads:\n    - program: other\n`;
    expect(() => parseScenario(text, 'a.yaml')).toThrow(ScenarioError);
    expect(parseScenario(text, 'a.yaml', { builtinPrograms: ['other'] }).scenario.host.workloads[0].program).toBe('other');
  });
});

describe('defaults, JSON and determinism', () => {
  it('fills every default the contract and the project define', () => {
    const { scenario } = parseScenario(
      `${HEADER}host:\n  workloads:\n    - program: spin\nvms:\n  - name: vm0\n    vcpus: 2\nperf:\n  - on: host\n    run: perf stat -a\n`,
      'configs/my-test.yaml',
    );
    expect(scenario).toEqual({
      format: 1,
      name: 'my-test',
      seed: 1,
      duration: 1_000_000_000,
      machine: { arch: 'x86_64', vendor: 'intel', cpus: 4, pmu: { counters: null, fixed: null, spe: [] }, nmi_watchdog: true },
      kvm: { vpmu: 'emulated', host_counters: null, enable_mediated_pmu: false },
      host: { workloads: [{ program: 'spin', threads: 1, cpus: null, comm: null }] },
      vms: [{ name: 'vm0', vcpus: 2, vpmu: 'emulated', cpus: null, spe: false, irqchip: 'kernel', workloads: [], pmu_event_filter: null }],
      perf: [{ on: 'host', run: 'stat -a', at: 0 }],
      timeline: [],
      programs: {},
    });
  });

  it('kvm.vpmu is every VM\'s default and a VM may override it', () => {
    const text = `${HEADER}kvm:\n  vpmu: mediated\n  enable_mediated_pmu: true\nvms:\n  - name: a\n    vcpus: 1\n  - name: b\n    vcpus: 1\n    vpmu: none\n`;
    expect(parseScenario(text, 'a.yaml').scenario.vms.map((vm) => vm.vpmu)).toEqual(['mediated', 'none']);
  });

  it('accepts JSON, with the same result as the YAML equivalent', () => {
    const json = JSON.stringify({
      format: 1,
      name: 'j',
      machine: { arch: 'arm64', cpus: 2 },
      host: { workloads: [{ program: 'spin', cpus: [1] }] },
      timeline: [],
    });
    const yaml = 'format: 1\nname: j\nmachine: {arch: arm64, cpus: 2}\nhost:\n  workloads:\n    - {program: spin, cpus: [1]}\n';
    const fromJson = parseScenario(json, 'j.json').scenario;
    expect(fromJson.machine.vendor).toBe('arm');
    expect(fromJson.machine.nmi_watchdog).toBe(false);
    expect(fromJson).toEqual(parseScenario(yaml, 'j.yaml').scenario);
  });

  it('same input, deep-equal result', () => {
    const text = BUILTIN_SCENARIOS[0].yaml;
    expect(parseScenario(text, 'x.yaml')).not.toBe(parseScenario(text, 'x.yaml'));
    expect(parseScenario(text, 'x.yaml').scenario).toEqual(parseScenario(text, 'x.yaml').scenario);
  });

  it('positionOf finds written values, and the nearest ancestor of defaulted ones', () => {
    const { positionOf } = parseScenario(`${HEADER}vms:\n  - name: vm0\n    vcpus: 2\n`, 'a.yaml');
    expect(positionOf(['vms', 0, 'vcpus'])).toEqual({ line: 7, column: 12 });
    expect(positionOf(['vms', 0, 'vpmu'])).toEqual({ line: 6, column: 5 });
    expect(positionOf([])).toEqual({ line: 1, column: 1 });
  });
});

describe('durations', () => {
  it('need a unit, except 0, and must be whole nanoseconds', () => {
    expect(parseDuration('2s')).toBe(2_000_000_000);
    expect(parseDuration('1500ms')).toBe(1_500_000_000);
    expect(parseDuration('0.3s')).toBe(300_000_000);
    expect(parseDuration('250us')).toBe(250_000);
    expect(parseDuration('7ns')).toBe(7);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('5')).toBeUndefined();
    expect(parseDuration('1.5ns')).toBeUndefined();
    expect(parseDuration('-1s')).toBeUndefined();
    expect(parseDuration('2 min')).toBeUndefined();
    expect([formatDuration(2e9), formatDuration(1_500_000), formatDuration(7)]).toEqual(['2s', '1500us', '7ns']);
  });
});

describe('perf sessions in a scenario', () => {
  const yaml = (run: string) => `format: 1\nmachine:\n  arch: x86_64\n  cpus: 2\nperf:\n  - on: host\n    run: ${run}\n`;

  it('accepts a perf command line and drops a leading "perf"', () => {
    const { scenario } = parseScenario(yaml('perf stat -a -e cycles:H,instructions'), 's.yaml');
    expect(scenario.perf[0].run).toBe('stat -a -e cycles:H,instructions');
  });

  it('points an event syntax error at its character in the file', () => {
    // "    run: stat -a -e cycles,cyclez": the run value starts at column 10, "cyclez" at 28.
    expect(() => parseScenario(yaml('stat -a -e cycles,cyclez'), 's.yaml')).toThrow(/^s\.yaml:7:28: perf\[0\]\.run: event syntax error in 'cycles,cyclez': /);
  });

  it('refuses an unknown perf option with one line', () => {
    expect(() => parseScenario(yaml('stat --frobnicate'), 's.yaml')).toThrow(/^s\.yaml:7:10: perf\[0\]\.run: stat: unknown option "--frobnicate"$/);
  });
});
