/**
 * Scenarios through the API session, run by the real emulator in the real
 * parse worker: overrides reach the recording, refusals start nothing.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_SCENARIOS } from '../../emulator/scenario/builtins';
import { ExecContext } from '../../profile/model';
import { deserializeProfile } from '../../profile/serialize';
import { testSession } from '../helpers/api-session';

function session() {
  const { s, events, outcome } = testSession();
  const profileOf = async (job: number) => {
    const e = await outcome(job);
    if (e.type !== 'job-done') throw new Error(`job ${job}: ${e.type}: ${(e as { message?: string }).message}`);
    return deserializeProfile(e.profile);
  };
  return { s, events, profileOf };
}

const defaultText = BUILTIN_SCENARIOS.find((s) => s.name === 'default')!.yaml;

describe('running scenarios from the window', () => {
  it('records the default scenario with vm0 mediated, the events asked for, and that scenario text', async () => {
    const { s, profileOf } = session();
    const job = await s.openScenario('default', { vpmu: { vm0: 'mediated' }, nmiWatchdog: false, durationMs: 300, events: 'cycles:H,instructions' });
    const profile = await profileOf(job);
    // Beside a mediated VM a host event may not count in guests: perf falls back to exclude_guest (:H).
    expect(profile.events.map((e) => e.name)).toEqual(['cycles:H', 'instructions:H']);
    expect(profile.scenario).toContain('vpmu: mediated');
    expect(profile.scenario).toContain('duration: 300ms');
    const last = profile.samples.time[profile.samples.length - 1];
    expect(last).toBeLessThanOrEqual(300e6);
    // cycles:H stops while the mediated guest runs: none of its samples land in guest code.
    const guest = [ExecContext.GuestUser, ExecContext.GuestKernel];
    let hostSamples = 0;
    for (let i = 0; i < profile.samples.length; i++) {
      if (profile.samples.event[i] !== 0) continue;
      hostSamples++;
      expect(guest).not.toContain(profile.samples.context[i]);
    }
    expect(hostSamples).toBeGreaterThan(100);
  });

  it('runs a scenario file’s text, and names the file and line of its first error', async () => {
    const { s, events, profileOf } = session();
    const text = defaultText.replace('name: default', 'name: mine').replace('duration: 2s', 'duration: 200ms');
    const info = await s.describeScenarioText('C:\\\\lab\\\\mine.yaml', text);
    expect(info).toMatchObject({ name: 'mine', durationMs: 200, vms: [{ name: 'vm0', vpmu: 'emulated' }] });
    const profile = await profileOf(await s.openScenarioText('mine.yaml', text, { vpmu: { vm0: 'paravirt' } }));
    expect(profile.meta.name).toBe('mine');
    expect(profile.scenario).toContain('vpmu: paravirt');

    const started = events.length;
    const broken = text.replace('program: webserver', 'program: webservr');
    const line = broken.split('\n').findIndex((l) => l.includes('webservr')) + 1;
    await expect(s.openScenarioText('mine.yaml', broken)).rejects.toThrow(
      `mine.yaml:${line}:18: vms[0].workloads[0].program: unknown program "webservr" (did you mean "webserver"?`,
    );
    await expect(s.describeScenarioText('mine.yaml', 'format: 1\nmachine: [')).rejects.toThrow(/^mine\.yaml:2:/);
    expect(events.length).toBe(started);
  });

  it('answers a bad event string with perf’s message and column, and starts nothing with it', async () => {
    const { s, events } = session();
    const check = await s.checkEvents('cycles:Hx');
    expect(check).toMatchObject({ ok: false, column: 6 });
    expect(check.ok || check.message.startsWith("event syntax error: 'cycles:Hx'")).toBe(true);
    expect(await s.checkEvents('{cycles,instructions}:S')).toMatchObject({ ok: true, events: [{ name: 'cycles' }, { name: 'instructions' }] });
    await expect(s.openScenario('default', { events: 'cycles:Hx' })).rejects.toThrow("openScenario: events: 'cycles:Hx' at character 7:");
    await expect(s.openScenario('default', { vpmu: { vm1: 'none' } })).rejects.toThrow('no VM "vm1" in default');
    await expect(s.openScenario('default', { vpmu: { vm0: 'mediated' } })).rejects.toThrow(/EBUSY.*NMI watchdog/);
    expect(events).toEqual([]);
  });

  it('lists the built-ins with the designs their architecture offers', async () => {
    const { s } = session();
    const list = await s.listScenarios();
    expect(list.find((x) => x.name === 'default')?.designs).toEqual(['none', 'emulated', 'mediated', 'paravirt']);
  });

  it('compares two designs and opens the comparison', async () => {
    const { s, profileOf } = session();
    const profile = await profileOf(await s.openScenario('default', { compare: ['emulated', 'paravirt'], durationMs: 200 }));
    const rows = profile.designComparison?.rows ?? [];
    expect(new Set(rows.map((r) => r.design))).toEqual(new Set(['emulated', 'paravirt']));
    expect(rows.every((r) => r.truthValue !== null && r.truthValue > 0)).toBe(true);
    expect(profile.scenario).toContain('duration: 200ms');
  });
});
