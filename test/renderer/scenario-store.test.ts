import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { nextTick } from 'vue';
import { BUILTIN_SCENARIOS } from '../../emulator/scenario/builtins';
import { useLoadStore } from '../../renderer/stores/load';
import { CHECK_DELAY_MS, useScenarioStore } from '../../renderer/stores/scenario';
import { fakeApi, type FakeApi } from './fake-api';

let api: FakeApi;

beforeEach(async () => {
  setActivePinia(createPinia());
  api = fakeApi();
  await useLoadStore().connect(api);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const textFile = (name: string, text: string) => ({ name, text: async () => text });
const defaultText = BUILTIN_SCENARIOS.find((s) => s.name === 'default')!.yaml;

describe('scenario store', () => {
  it('opens on the first built-in, with each VM at the design the scenario gives it', async () => {
    const s = useScenarioStore();
    await s.show();
    expect(s.visible).toBe(true);
    expect(s.builtins.map((b) => b.name)).toEqual(BUILTIN_SCENARIOS.map((b) => b.name));
    expect(s.source).toEqual({ kind: 'builtin', name: 'default' });
    expect(s.vpmu).toEqual({ vm0: 'emulated' });
    expect(s.durationMs).toBe(2000);
    expect(s.info?.designs).toEqual(['none', 'emulated', 'mediated', 'paravirt']);
    await s.show();
    expect(api.calls.filter((c) => c.method === 'listScenarios')).toHaveLength(1);
  });

  it('checks the event string once typing pauses, and keeps only the newest answer', async () => {
    const s = useScenarioStore();
    await s.show();
    s.setEvents('c');
    s.setEvents('cy');
    s.setEvents('cycles:ukx');
    expect(s.checking).toBe(true);
    expect(s.canRun).toBe(false);
    await sleep(CHECK_DELAY_MS + 50);
    expect(api.calls.filter((c) => c.method === 'checkEvents')).toEqual([{ method: 'checkEvents', args: ['cycles:ukx', 'x86_64', 'intel'] }]);
    expect(s.check).toMatchObject({ ok: false, column: 6, reason: 'Unrecognized input' });
    expect(s.canRun).toBe(false);
    s.setEvents('cycles:H,cycles:G');
    await s.checkNow();
    expect(s.check?.ok && s.check.events.map((e) => [e.exclude_guest, e.exclude_host])).toEqual([
      [true, false],
      [false, true],
    ]);
    expect(s.canRun).toBe(true);
  });

  it('runs with only what differs from the scenario, then closes and follows the job', async () => {
    const s = useScenarioStore();
    const load = useLoadStore();
    await s.show();
    s.vpmu.vm0 = 'mediated';
    s.nmiWatchdog = false;
    s.setEvents('cycles:H');
    await s.checkNow();
    await s.run();
    expect(api.calls.at(-1)).toEqual({
      method: 'openScenario',
      args: ['default', { vpmu: { vm0: 'mediated' }, nmiWatchdog: false, events: 'cycles:H' }],
    });
    expect(s.visible).toBe(false);
    expect(load.job?.id).toBe(api.nextJob);
  });

  it('keeps the panel open with the reason when the run is refused', async () => {
    const s = useScenarioStore();
    await s.show();
    api.openScenario = async () => {
      throw new Error('openScenario: vm0: KVM_CREATE_VCPU: Device or resource busy (EBUSY)');
    };
    s.vpmu.vm0 = 'mediated';
    await s.run();
    expect(s.visible).toBe(true);
    expect(s.error).toBe('openScenario: vm0: KVM_CREATE_VCPU: Device or resource busy (EBUSY)');
    expect(useLoadStore().job).toBeNull();
    s.nmiWatchdog = false;
    await nextTick();
    expect(s.error).toBeNull();
  });

  it('compares the chosen designs, leaving every VM’s design to the comparison', async () => {
    const s = useScenarioStore();
    await s.show();
    s.vpmu.vm0 = 'paravirt';
    s.durationMs = 500;
    s.compareDesigns = ['emulated', 'paravirt'];
    await s.compare();
    expect(api.calls.at(-1)).toEqual({ method: 'openScenario', args: ['default', { durationMs: 500, compare: ['emulated', 'paravirt'] }] });
  });

  it('opens a scenario file through the main side’s parser, and keeps the choice when the file is bad', async () => {
    const s = useScenarioStore();
    await s.show();
    const arm = defaultText.replace('name: default', 'name: lab').replace(/arch: x86_64\n {2}vendor: intel/, 'arch: arm64');
    await s.openFile(textFile('lab.yaml', arm));
    expect(s.source).toEqual({ kind: 'file', fileName: 'lab.yaml', text: arm });
    expect(s.info).toMatchObject({ name: 'lab', arch: 'arm64', designs: ['none', 'emulated', 'partitioned', 'paravirt'] });
    s.vpmu.vm0 = 'partitioned';
    await s.run();
    expect(api.calls.at(-1)).toEqual({ method: 'openScenarioText', args: ['lab.yaml', arm, { vpmu: { vm0: 'partitioned' } }] });

    await s.openFile(textFile('bad.yaml', arm.replace('vcpus: 2', 'vcpus: 0')));
    expect(s.error).toMatch(/^bad\.yaml:\d+:12: vms\[0\]\.vcpus: /);
    expect(s.source).toMatchObject({ kind: 'file', fileName: 'lab.yaml' });
  });

  it('checks events against the architecture of the chosen scenario', async () => {
    const s = useScenarioStore();
    await s.show();
    s.setEvents('armv8_pmuv3_0/event=0x11/');
    await s.checkNow();
    expect(s.check?.ok).toBe(false);
    s.selectBuiltin('arm64-host');
    await s.checkNow();
    expect(s.check?.ok).toBe(true);
  });
});
