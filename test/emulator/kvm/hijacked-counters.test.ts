/**
 * The 2015 ARM64 KVM PMU thread (seed 000, Christoffer Dall): "Hijacking the
 * counters for the VM without perf knowing about it basically makes it
 * impossible to do system-wide event counting, an important use case for a
 * virtualization host" — so trap-and-emulate first, partitioning only if
 * needed and coordinated with host perf. Replayed on the real emulator: the
 * host runs a system-wide `perf stat` of six events while a guest counts with
 * its own perf, under each design.
 */
import { describe, expect, it } from 'vitest';
import { parsePerfCommand, type StatOptions } from '../../../emulator/perf-tool/cmdline';
import type { StatCounter } from '../../../emulator/perf-tool/stat-types';
import { parseScenario } from '../../../emulator/scenario/parse';
import { runStat } from '../../../emulator/session';

const MS = 1_000_000;
const DURATION = 300 * MS;
const HOST_EVENTS = 'cycles,instructions,branches,branch-misses,cache-references,cache-misses';

function scenario(arch: 'x86_64' | 'arm64', vpmu: string, hostPerf?: string) {
  const text = [
    'format: 1',
    'duration: 300ms',
    `machine: { arch: ${arch}, cpus: 2${arch === 'x86_64' ? ', nmi_watchdog: false' : ''} }`,
    arch === 'arm64' ? 'kvm: { host_counters: 2 }' : vpmu === 'mediated' ? 'kvm: { enable_mediated_pmu: true }' : '',
    'host: { workloads: [ { program: compile, cpus: [0] } ] }',
    `vms: [ { name: vm0, vcpus: 1, vpmu: ${vpmu}, cpus: [1], workloads: [ { program: spin } ] } ]`,
    'perf:',
    '  - { on: vm0, run: "stat -a --truth -e cycles,instructions" }',
    ...(hostPerf ? [`  - { on: host, run: "${hostPerf}" }`] : []),
  ].join('\n');
  return parseScenario(text, 'hijack.yaml').scenario;
}

const stat = (events: string) => parsePerfCommand(['stat', '-a', '--truth', '-e', events]) as StatOptions;
const share = (c: StatCounter) => c.running / c.enabled;
const error = (c: StatCounter) => Math.abs(c.value - (c.truth ?? 0)) / (c.truth ?? 1);

describe('hijacking counters breaks host system-wide counting (seed 000)', () => {
  it('x86 mediated: the host’s system-wide counts silently stop on the guest’s CPU, while trap-and-emulate counts the whole machine', () => {
    const mediated = runStat(scenario('x86_64', 'mediated'), stat(HOST_EVENTS));
    const emulated = runStat(scenario('x86_64', 'emulated'), stat(HOST_EVENTS));
    // Every event had to fall back to exclude_guest (EOPNOTSUPP otherwise) ...
    expect(mediated.run.counters.map((c) => c.name)).toEqual(HOST_EVENTS.split(',').map((e) => `${e}:H`));
    for (const c of mediated.run.counters) {
      // ... and shows no multiplexing: time_enabled stopped with time_running while the guest ran,
      expect(c.running).toBe(c.enabled);
      // so CPU 1, in guest mode nearly all the time, is simply missing from the system-wide count.
      expect(c.enabled).toBeLessThan(0.55 * 2 * DURATION);
    }
    for (const c of emulated.run.counters) {
      expect(c.running).toBe(c.enabled);
      expect(c.enabled).toBe(2 * DURATION);
      // Host and guest execution, exactly.
      expect(c.value).toBe(c.truth);
    }
    const cycles = (r: typeof mediated) => r.run.counters[0].value;
    expect(cycles(emulated)).toBe(2 * DURATION * 3); // 2 CPUs at 3 GHz
    expect(cycles(mediated)).toBeLessThan(0.55 * cycles(emulated));
    // The guest, for its part, counts exactly under both while the host leaves it counters.
    for (const r of [mediated, emulated]) {
      const guest = r.background.find((b) => b.on === 'vm0')?.stat?.counters ?? [];
      expect(guest).toHaveLength(2);
      for (const c of guest) expect(c.value).toBe(c.truth);
    }
  });

  it('x86 trap-and-emulate: the host keeps every counter it pins, and the guest’s accuracy is what gives', () => {
    const hog = "stat -a -e '{r00c4:H,r00c5:H,r412e:H,r4f2e:H,r00c4:H,r00c5:H,r412e:H,r4f2e:H}:D,{cycles:H,instructions:H,ref-cycles:H}:D'";
    const r = runStat(scenario('x86_64', 'emulated', hog), stat('cycles,instructions'), 'vm0');
    const host = r.background.find((b) => b.on === 'host')?.stat?.counters ?? [];
    expect(host).toHaveLength(11);
    for (const c of host) expect(c.running).toBe(c.enabled);
    // KVM's pinned backing events cannot fit: the guest's counts stop (ERROR), silently for the guest.
    for (const c of r.run.counters) expect(c.value).toBeLessThan(0.5 * (c.truth ?? 0));
  });

  it('arm64 partitioning: the host multiplexes six events on the two counters it keeps, with scaled estimates off, where trap-and-emulate leaves it most of the PMU', () => {
    const partitioned = runStat(scenario('arm64', 'partitioned'), stat(HOST_EVENTS));
    const emulated = runStat(scenario('arm64', 'emulated'), stat(HOST_EVENTS));
    for (const c of partitioned.run.counters) {
      expect(c.enabled).toBe(2 * DURATION);
      // Two counters for six events: a third of the time each.
      expect(share(c)).toBeGreaterThan(0.28);
      expect(share(c)).toBeLessThan(0.4);
    }
    expect(Math.max(...partitioned.run.counters.map(error))).toBeGreaterThan(0.02);
    // Under trap-and-emulate only the guest's two pinned backing events, while its vCPU thread runs,
    // take counters from the host, and perf shows it.
    for (const c of emulated.run.counters) {
      expect(share(c)).toBeGreaterThan(0.7);
      expect(share(c)).toBeGreaterThan(share(partitioned.run.counters[0]) + 0.3);
    }
    // The guest owns its share under partitioning: its counts are exact.
    const guest = partitioned.background.find((b) => b.on === 'vm0')?.stat?.counters ?? [];
    expect(guest).toHaveLength(2);
    for (const c of guest) expect(c.value).toBe(c.truth);
  });
});
