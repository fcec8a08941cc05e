import { describe, expect, it } from 'vitest';
import { BUILTIN_SCENARIOS, loadBuiltinScenario } from '../../emulator/scenario/builtins';
import { parsePerfCommand, type RecordOptions } from '../../emulator/perf-tool/cmdline';
import { runRecord } from '../../emulator/session';
import type { Profile } from '../../profile/model';

const sum = (a: Float64Array) => a.reduce((x, y) => x + y, 0);
const track = (p: Profile, name: string, cpu = -1) => p.counters.find((t) => t.name === name && t.cpu === cpu);

function recordMediated(): { profile: Profile; messages: string[] } {
  const builtin = BUILTIN_SCENARIOS.find((s) => s.name === 'mediated')!;
  const options = parsePerfCommand(['record', '-a', '-g']) as RecordOptions;
  return runRecord(loadBuiltinScenario('mediated')!.scenario, options, builtin.yaml);
}

describe('the built-in mediated scenario: host perf beside the guest’s own', () => {
  const { profile, messages } = recordMediated();

  it('counts host-only on the host: perf falls back to excluding the guest, as KVM leaves it no choice', () => {
    expect(messages).toContain('Trying to fall back to excluding guest samples');
    expect(profile.events.map((e) => e.name)).toEqual(['cycles:PH']);
    expect(profile.events[0].exclude_guest).toBe(true);
    // Host-only counting is exact: the host side's truth.
    expect(sum(track(profile, 'cycles:PH')!.value)).toBe(sum(track(profile, 'cycles (truth)')!.value));
  });

  it('ends its tracks on the run’s last interval: times increase, and a counter that always ran reads 100% to the end', () => {
    for (const t of profile.counters) {
      for (let i = 1; i < t.time.length; i++) expect(t.time[i]).toBeGreaterThan(t.time[i - 1]);
    }
    const host = track(profile, 'cycles:PH')!;
    expect(Array.from(host.running).every((r) => r === 1)).toBe(true);
  });

  it('carries vm0’s own readings as guest-only series of vm0, equal to the guest’s truth under mediated', () => {
    const vm0 = profile.machines.findIndex((m) => m.name === 'vm0');
    expect(vm0).toBeGreaterThan(0);
    for (const event of ['cycles', 'instructions']) {
      const own = track(profile, `${event} (vm0 perf)`)!;
      expect(own).toMatchObject({ scope: 'guest', machine: vm0, event: -1 });
      const truth = sum(track(profile, `${event} (truth, guests)`)!.value);
      expect(truth).toBeGreaterThan(1e9);
      expect(Math.abs(sum(own.value) - truth) / truth).toBeLessThan(1e-3);
    }
  });

  it('shows host cycles stopping on the CPU the spinning vCPU holds while the guest’s count goes on', () => {
    // vCPU 0 spins on CPU 2: the host-only counter there sees only the exits' handling.
    const hostOnCpu2 = sum(track(profile, 'cycles:PH', 2)!.value);
    const guestOnCpu2 = sum(track(profile, 'cycles (truth, guests)', 2)!.value);
    expect(guestOnCpu2).toBeGreaterThan(1e9);
    expect(hostOnCpu2 / guestOnCpu2).toBeLessThan(0.02);
  });
});
