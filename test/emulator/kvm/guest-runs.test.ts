/**
 * What a host recording tells the timeline about guests: merged VM-entry to
 * VM-exit runs per vCPU (GuestRun markers named for the exit that ended
 * them), and per-CPU counter tracks beside the system-wide ones, in which a
 * host-only counter stops on the CPU a guest holds.
 */
import { describe, expect, it } from 'vitest';
import { EXIT_REASONS } from '../../../emulator/kvm/exits';
import { GUEST_RUN_MERGE_NS, GuestRunLog, NO_EXIT_REASON } from '../../../emulator/kvm/guest-runs';
import { parsePerfCommand, type RecordOptions } from '../../../emulator/perf-tool/cmdline';
import { parseScenario } from '../../../emulator/scenario/parse';
import { runRecord } from '../../../emulator/session';
import { MarkerKind, type Profile } from '../../../profile/model';

/** vCPU 0 alone on CPU 2 running spin; vCPU 1 shares CPU 3 with a host spin and mostly halts. */
const MEDIATED = `format: 1
name: mediated-timeline
seed: 3
duration: 400ms
machine:
  arch: x86_64
  cpus: 4
  nmi_watchdog: false
kvm:
  vpmu: mediated
  enable_mediated_pmu: true
host:
  workloads:
    - program: compile
      threads: 2
      cpus: [0, 1]
    - program: spin
      cpus: [3]
vms:
  - name: vm0
    vcpus: 2
    cpus: [2, 3]
    workloads:
      - program: spin
        cpus: [0]
      - program: webserver
        cpus: [1]
`;

function record(text: string, args: string[]): Profile {
  const options = parsePerfCommand(['record', ...args]) as RecordOptions;
  return runRecord(parseScenario(text, 't.yaml').scenario, options, text).profile;
}

const sum = (a: Float64Array) => a.reduce((x, y) => x + y, 0);

describe('guest-run log', () => {
  it('merges runs split by short exits on one CPU and names a run for the exit that ended it', () => {
    const log = new GuestRunLog();
    log.entry(2, 0);
    log.exit(1_000);
    log.handled('MSR_WRITE');
    log.entry(2, 3_000); // a 2 µs exit: same run
    log.exit(50_000);
    log.handled('HLT');
    log.entry(2, 50_000 + GUEST_RUN_MERGE_NS); // halted long enough: a new run
    log.exit(60_000 + GUEST_RUN_MERGE_NS);
    log.entry(3, 61_000 + GUEST_RUN_MERGE_NS); // moved CPU without an exit handler: a new run
    expect(log.runs).toEqual([
      { start: 0, end: 50_000, cpu: 2, reason: 'HLT', exits: 1 },
      { start: 50_000 + GUEST_RUN_MERGE_NS, end: 60_000 + GUEST_RUN_MERGE_NS, cpu: 2, reason: NO_EXIT_REASON, exits: 0 },
    ]);
    // The run in progress is cut where the recording ends.
    expect(log.between(0, 200_000).at(-1)).toEqual({ start: 61_000 + GUEST_RUN_MERGE_NS, end: 200_000, cpu: 3, reason: NO_EXIT_REASON, exits: 0 });
    expect(log.between(55_000, 56_000)).toEqual([]);
  });
});

describe('a host recording under the mediated design', () => {
  const p = record(MEDIATED, ['-a', '-e', 'cycles:H', '-c', '1000000']);
  const track = (name: string, cpu: number) => p.counters.find((t) => t.name === name && t.cpu === cpu);

  it('marks each vCPU’s guest-mode runs, in time order and without overlap, named by exit reason', () => {
    const m = p.markers;
    const vm = p.machines.findIndex((x) => x.name === 'vm0');
    const runs = Array.from({ length: m.length }, (_, i) => i).filter((i) => m.kind[i] === MarkerKind.GuestRun);
    expect(new Set(runs.map((i) => m.vcpu[i]))).toEqual(new Set([0, 1]));
    for (const i of runs) {
      expect(m.machine[i]).toBe(vm);
      expect([...EXIT_REASONS, NO_EXIT_REASON]).toContain(p.strings[m.name[i]]);
      expect(m.end[i]).toBeGreaterThanOrEqual(m.start[i]);
      expect([2, 3]).toContain(m.cpu[i]);
    }
    for (const vcpu of [0, 1]) {
      const mine = runs.filter((i) => m.vcpu[i] === vcpu);
      for (let k = 1; k < mine.length; k++) expect(m.start[mine[k]]).toBeGreaterThanOrEqual(m.end[mine[k - 1]]);
    }
    // vCPU 0 spins alone on CPU 2: its runs cover nearly all of the 400 ms.
    const covered = runs.filter((i) => m.vcpu[i] === 0).reduce((a, i) => a + m.end[i] - m.start[i], 0);
    expect(covered).toBeGreaterThan(0.95 * 400e6);
    // vCPU 1 halts between web requests: many short runs that end in HLT, still far fewer than its exits.
    const halts = runs.filter((i) => m.vcpu[i] === 1 && p.strings[m.name[i]] === 'HLT');
    expect(halts.length).toBeGreaterThan(10);
    expect(runs.length).toBeLessThan(2_000);
  });

  it('adds per-CPU tracks whose sum is the system-wide track', () => {
    const all = track('cycles:H', -1)!;
    const perCpu = [0, 1, 2, 3].map((c) => track('cycles:H', c)!);
    for (const t of perCpu) expect(t.time).toEqual(all.time);
    const total = perCpu.reduce((a, t) => a + sum(t.value), 0);
    expect(total).toBe(sum(all.value));
    // System-wide tracks come first, so a lookup by name finds them.
    expect(p.counters.findIndex((t) => t.name === 'cycles:H')).toBe(p.counters.indexOf(all));
  });

  it('stops cycles:H on the CPU the guest holds while the guest’s truth counts there', () => {
    const host2 = track('cycles:H', 2)!;
    const guest2 = track('cycles (truth, guests)', 2)!;
    const host0 = track('cycles:H', 0)!;
    // CPU 2 runs only vCPU 0: what cycles:H sees there is KVM's exit handling, well under 1% of a CPU.
    expect(sum(host2.value)).toBeLessThan(0.01 * sum(guest2.value));
    expect(sum(guest2.value)).toBeGreaterThan(0.9 * sum(host0.value));
    expect(guest2.scope).toBe('truth');
    expect(guest2.machine).toBe(-1);
  });

  it('refuses cycles:G on the host while a mediated VM exists: no track, the event is declared', () => {
    const q = record(MEDIATED, ['-a', '-e', 'cycles:H,cycles:G', '-c', '1000000']);
    expect(q.events.map((e) => e.name)).toEqual(['cycles:H', 'cycles:G']);
    expect(q.counters.some((t) => t.name === 'cycles:G')).toBe(false);
  });
});

describe('a host recording under the emulated design', () => {
  // The same scenario with the module loaded without the parameter (it is all-or-nothing).
  const EMULATED = MEDIATED.replace('vpmu: mediated', 'vpmu: emulated').replace('  enable_mediated_pmu: true\n', '');

  it('has a guest-only cycles:G per CPU that counts where the guest runs and not elsewhere', () => {
    const text = EMULATED;
    const p = record(text, ['-a', '-e', 'cycles:H,cycles:G', '-c', '1000000']);
    const g = (cpu: number) => sum(p.counters.find((t) => t.name === 'cycles:G' && t.cpu === cpu)!.value);
    expect(g(0)).toBe(0);
    expect(g(1)).toBe(0);
    expect(g(2)).toBeGreaterThan(1e8);
  });

  it('writes no per-CPU tracks for a recording of one process (the VMM)', () => {
    const text = EMULATED;
    const vmm = record(text, ['-a', '-e', 'cycles:H', '-c', '1000000']).machines.find((m) => m.name === 'vm0')!.pid;
    const p = record(text, ['-p', String(vmm), '-e', 'cycles:G', '-c', '1000000']);
    expect(p.counters.length).toBeGreaterThan(0);
    expect(p.counters.every((t) => t.cpu === -1)).toBe(true);
  });
});
