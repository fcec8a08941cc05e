import { describe, expect, it } from 'vitest';
import type { ApiMethods } from '../../main/api/contract';
import { checkEventString, designsFor, listBuiltinScenarios, prepareRun } from '../../main/api/scenarios';
import { ApiInputError, dispatch, validateArgs } from '../../main/api/validate';
import { BUILTIN_SCENARIOS } from '../../emulator/scenario/builtins';
import { parseScenario } from '../../emulator/scenario/parse';
import { KvmError } from '../../emulator/kvm/kvm';
import { Machine } from '../../emulator/machine';
import { VPMU_DESIGNS } from '../../emulator/scenario/types';
import { applyOverrides } from '../../emulator/session';

const defaultText = BUILTIN_SCENARIOS.find((s) => s.name === 'default')!.yaml;

describe('scenario API arguments', () => {
  it('lets trailing optional arguments be left out, and checks them when given', async () => {
    const seen: unknown[][] = [];
    const api = new Proxy({} as ApiMethods, { get: () => async (...args: unknown[]) => seen.push(args) });
    await dispatch(api, 'openScenario', ['default']);
    await dispatch(api, 'openScenario', ['default', { vpmu: { vm0: 'mediated' }, durationMs: 200 }]);
    await dispatch(api, 'checkEvents', ['cycles:G', 'arm64']);
    expect(seen).toEqual([['default'], ['default', { vpmu: { vm0: 'mediated' }, durationMs: 200 }], ['cycles:G', 'arm64']]);
    await expect(dispatch(api, 'openScenario', [])).rejects.toThrow('openScenario: expected 1 to 2 argument(s), got 0');
    await expect(dispatch(api, 'listScenarios', [1])).rejects.toThrow('listScenarios: expected 0 argument(s), got 1');
  });

  it('names the option that is wrong', () => {
    const run = (options: unknown) => () => validateArgs('openScenario', ['default', options]);
    expect(run('fast')).toThrow('openScenario argument 2: expected an object');
    expect(run({ speed: 2 })).toThrow('openScenario argument 2: unknown option "speed" (options: events, vpmu, durationMs, nmiWatchdog, compare)');
    expect(run({ events: '' })).toThrow('openScenario argument 2.events: expected 1 to 4096 characters');
    expect(run({ vpmu: { vm0: 'mediatd' } })).toThrow(
      'openScenario argument 2.vpmu.vm0: expected one of: none, emulated, mediated, partitioned, paravirt',
    );
    expect(run({ vpmu: ['mediated'] })).toThrow('openScenario argument 2.vpmu: expected an object');
    expect(run({ durationMs: 0 })).toThrow('openScenario argument 2.durationMs: expected an integer from 1 to 60000');
    expect(run({ durationMs: 1.5 })).toThrow(/durationMs: expected an integer/);
    expect(run({ compare: ['mediated'] })).toThrow('openScenario argument 2.compare: expected a list of 2 to 5 designs');
    expect(run({ compare: ['mediated', 'mediated'] })).toThrow('openScenario argument 2.compare: a design is listed twice');
    expect(() => validateArgs('checkEvents', ['cycles', 'riscv'])).toThrow('checkEvents argument 2: expected one of: x86_64, arm64');
    expect(() => validateArgs('openScenarioText', ['a.yaml', 'x'.repeat((1 << 20) + 1)])).toThrow(/expected 1 to 1048576 characters/);
  });
});

describe('checking perf event strings', () => {
  it('gives each event its host/guest bits, as perf sets them', () => {
    const check = checkEventString('cycles:H,instructions:G,{cycles,instructions}:S');
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(check.events.map((e) => [e.name, e.exclude_guest, e.exclude_host, e.leader])).toEqual([
      ['cycles:H', true, false, 0],
      ['instructions:G', false, true, 1],
      ['cycles', false, false, 2],
      ['instructions', false, false, 2],
    ]);
  });

  it('answers a bad string with perf’s message and the 0-based column it points at', () => {
    // perf reads "ukx" as one modifier token and refuses it from the colon on.
    const check = checkEventString('cycles:ukx');
    expect(check).toMatchObject({ ok: false, column: 6 });
    if (check.ok) return;
    const lines = check.message.split('\n');
    expect(lines[0]).toBe("event syntax error: 'cycles:ukx'");
    // perf's caret: one column past the quote, under the offending character.
    expect(lines[1].indexOf('\\___')).toBe("event syntax error: '".length + 6);
    expect(check.reason).toBe(lines[1].slice(lines[1].indexOf('\\___') + 5));
  });

  it('parses against the architecture’s PMUs', () => {
    expect(checkEventString('r003c').ok).toBe(true);
    expect(checkEventString('armv8_pmuv3_0/event=0x11/', 'arm64').ok).toBe(true);
    expect(checkEventString('armv8_pmuv3_0/event=0x11/', 'x86_64').ok).toBe(false);
    expect(() => checkEventString('cycles', 'arm64', 'amd')).toThrow('checkEvents: vendor amd does not go with arch arm64');
  });
});

describe('the scenario catalogue', () => {
  it('lists every built-in with its machine, VMs, designs and duration', () => {
    const list = listBuiltinScenarios();
    expect(list.map((s) => s.name)).toEqual(BUILTIN_SCENARIOS.map((s) => s.name));
    const def = list.find((s) => s.name === 'default')!;
    expect(def).toMatchObject({ arch: 'x86_64', vendor: 'intel', cpus: 4, durationMs: 2000, vms: [{ name: 'vm0', vcpus: 2, vpmu: 'emulated' }] });
    expect(def.description).toContain('2-vCPU guest');
    expect(list.find((s) => s.name === 'arm64-host')!.designs).toContain('partitioned');
  });

  it('offers exactly the designs the emulated KVM creates on each architecture', () => {
    const x86 = parseScenario(defaultText, 'default.yaml').scenario;
    const arm = parseScenario(defaultText.replace(/arch: x86_64\n {2}vendor: intel/, 'arch: arm64'), 'arm.yaml').scenario;
    for (const scenario of [x86, arm]) {
      for (const design of VPMU_DESIGNS) {
        let created: boolean;
        // Without the NMI watchdog, whose host event would keep a mediated VM out (EBUSY).
        const quiet = { ...scenario, machine: { ...scenario.machine, nmi_watchdog: false } };
        try {
          new Machine(applyOverrides(quiet, { vpmu: design })).runUntil(0);
          created = true;
        } catch (e) {
          if (!(e instanceof KvmError)) throw e;
          created = false;
        }
        expect(created, `${scenario.machine.arch} ${design}`).toBe(designsFor(scenario.machine.arch).includes(design));
      }
    }
  });
});

describe('preparing a run', () => {
  it('writes the overrides into the scenario text it records', () => {
    const run = prepareRun('openScenario', 'default.yaml', defaultText, {
      vpmu: { vm0: 'mediated' },
      nmiWatchdog: false,
      durationMs: 300,
      events: 'cycles:H,cycles:G',
    });
    expect(run.scenario.vms[0].vpmu).toBe('mediated');
    expect(run.scenario.duration).toBe(300e6);
    expect(run.text).toContain('vpmu: mediated');
    expect(run.text).toContain('duration: 300ms');
    expect(run.events).toBe('cycles:H,cycles:G');
    expect(prepareRun('openScenario', 'default.yaml', defaultText).text).toBe(defaultText);
  });

  it('refuses a mediated VM beside the NMI watchdog as KVM does, and runs it without', () => {
    expect(() => prepareRun('openScenario', 'default.yaml', defaultText, { vpmu: { vm0: 'mediated' } })).toThrow(
      'openScenario: vm0: KVM_CREATE_VCPU: Device or resource busy (EBUSY) (a host perf event counts in guests, such as the NMI watchdog: set machine.nmi_watchdog: false for a mediated VM)',
    );
    expect(() => prepareRun('openScenario', 'default.yaml', defaultText, { compare: ['emulated', 'mediated'] })).toThrow(
      /^openScenario: compare mediated: vm0: KVM_CREATE_VCPU: .*EBUSY/,
    );
    const run = prepareRun('openScenario', 'default.yaml', defaultText, { vpmu: { vm0: 'mediated' }, nmiWatchdog: false });
    expect(run.scenario.machine.nmi_watchdog).toBe(false);
    expect(run.text).toContain('nmi_watchdog: false');
  });

  it('refuses what the scenario does not have, before anything runs', () => {
    const refuse = (options: object, text = defaultText) => () => prepareRun('openScenario', 'default.yaml', text, options);
    expect(refuse({ vpmu: { vm9: 'mediated' } })).toThrow('openScenario: vpmu: no VM "vm9" in default (VMs: vm0)');
    expect(refuse({ vpmu: { vm0: 'partitioned' } })).toThrow(
      'openScenario: vpmu.vm0: partitioned is not available on x86_64 (designs: none, emulated, mediated, paravirt)',
    );
    expect(refuse({ compare: ['emulated', 'partitioned'] })).toThrow(/compare: partitioned is not available on x86_64/);
    expect(refuse({ events: 'cycles:ukx' })).toThrow("openScenario: events: 'cycles:ukx' at character 7: Unrecognized input");
    const spin = BUILTIN_SCENARIOS.find((s) => s.name === 'spin')!.yaml;
    expect(refuse({ vpmu: { vm0: 'none' } }, spin)).toThrow('openScenario: vpmu: no VM "vm0" in spin (it has no VMs)');
    expect(refuse({ compare: ['none', 'emulated'] }, spin)).toThrow(/spin has no VM whose designs could be compared/);
    const withSession = `${defaultText}perf:\n  - on: host\n    run: stat -a\n    at: 1s\n`;
    expect(refuse({ durationMs: 500 }, withSession)).toThrow(/^default\.yaml:\d+:\d+: perf\[0\]\.at: 1s is after the end of the scenario \(duration 500ms\)/);
  });

  it('reports a broken scenario file as file:line:column', () => {
    const broken = defaultText.replace('vcpus: 2', 'vcpus: two');
    expect(() => prepareRun('openScenarioText', 'mine.yaml', broken)).toThrow(ApiInputError);
    const line = broken.split('\n').findIndex((l) => l.includes('vcpus: two')) + 1;
    expect(() => prepareRun('openScenarioText', 'mine.yaml', broken)).toThrow(
      new RegExp(`^mine\\.yaml:${line}:12: vms\\[0\\]\\.vcpus: expected an integer from 1 to 256, got "two"$`),
    );
  });
});
