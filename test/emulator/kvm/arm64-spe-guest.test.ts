/**
 * SPE in a guest on the real emulator, replaying the SPE RFC v4 thread's
 * arguments: the buffer must stay mapped at stage 2 (pinning costs the host,
 * not pinning loses records to stage-2 faults, again after a migration);
 * a full buffer stops collection until the guest's handler restarts it; and
 * a guest whose host profiles it with SPE sees PMBIDR_EL1.P = 1 and gets
 * nothing.
 */
import { describe, expect, it } from 'vitest';
import { SPE_RECORD_BYTES, SPE_SERVICE_NS, SPE_STAGE2_BLACKOUT_NS } from '../../../emulator/kvm/arm64/guest-spe';
import { Machine } from '../../../emulator/machine';
import { parseScenario } from '../../../emulator/scenario/parse';

const PAGES_4M = 1024;

function run(config: string, opts: { migrate?: boolean } = {}) {
  const text = [
    'format: 1',
    'duration: 200ms',
    'machine: { arch: arm64, cpus: 2, pmu: { spe: [0, 1] } }',
    'vms:',
    `  - { name: vm0, vcpus: 1, cpus: [1], spe: true, spe_config: ${config}, workloads: [ { program: spin } ] }`,
    ...(opts.migrate ? ['timeline: [ { at: 100ms, do: migrate vm0 } ]'] : []),
  ].join('\n');
  const s = parseScenario(text, 'spe.yaml').scenario;
  const m = new Machine(s);
  m.runUntil(s.duration);
  const vm = m.kvm.vms[0];
  const spe = vm.spe;
  if (!spe) throw new Error('no SPE');
  const vcpu = vm.vcpus[0];
  return { spe, stats: spe.stats, vcpu, exits: (r: 'EPT_VIOLATION' | 'EXTERNAL_INTERRUPT') => vcpu.exits.get(r)?.count ?? 0 };
}

describe('SPE in a guest', () => {
  it('writes a record every interval operations into a pinned buffer, whose pinning is the host’s cost', () => {
    const { spe, stats, exits } = run('{ interval: 4096 }');
    expect(spe.probe).toBe('ok');
    // spin retires ~1.5e9 instructions in the ~195 ms it runs: ~370k records.
    expect(stats.records).toBeGreaterThan(300_000);
    // Every page of the 4 MiB buffer is pinned and mapped at stage 2 when the guest enables it.
    expect(stats.pinnedBytes).toBe(4 << 20);
    expect(exits('EPT_VIOLATION')).toBe(PAGES_4M);
    expect(stats.stage2Faults).toBe(0);
    // A full buffer is a management event each 4 MiB / 64 B records.
    expect(stats.bufferFull).toBe(Math.floor((stats.records * SPE_RECORD_BYTES) / (4 << 20)));
    // Collection stops for the handler's round trip only: under 0.1% lost.
    expect(stats.lost / stats.records).toBeLessThan(0.001);
    // Each fill is a blackout of SPE_SERVICE_NS on the vCPU's timeline, inside the run.
    const fills = spe.blackouts.filter((b) => b.kind === 'buffer full');
    expect(fills.length).toBe(stats.bufferFull);
    for (const b of fills) {
      expect(b.end - b.start).toBeCloseTo(SPE_SERVICE_NS, -2);
      expect(b.start).toBeGreaterThan(0);
      expect(b.end).toBeLessThanOrEqual(200e6);
    }
    expect(fills.map((b) => b.start)).toEqual([...fills.map((b) => b.start)].sort((x, y) => x - y));
  });

  it('without pinning, the first record into each page is a stage-2 fault, and its blackout loses records', () => {
    const pinned = run('{}').stats;
    const { spe, stats, exits } = run('{ pinned: false }');
    expect(stats.pinnedBytes).toBe(0);
    expect(stats.stage2Faults).toBe(PAGES_4M);
    expect(exits('EPT_VIOLATION')).toBe(PAGES_4M);
    // Each fault stops the unit for SPE_STAGE2_BLACKOUT_NS: 1024 × 50 µs of a 200 ms run is about a quarter of the records.
    const lostShare = stats.lost / (stats.lost + stats.records);
    const blackoutShare = (PAGES_4M * SPE_STAGE2_BLACKOUT_NS) / 195e6;
    expect(lostShare).toBeGreaterThan(0.8 * blackoutShare);
    expect(lostShare).toBeLessThan(1.2 * blackoutShare);
    expect(stats.lost).toBeGreaterThan(500 * pinned.lost);
    const faults = spe.blackouts.filter((b) => b.kind === 'stage-2 fault');
    expect(faults.length).toBe(PAGES_4M);
    expect(faults.reduce((a, b) => a + b.lost, 0) + spe.blackouts.filter((b) => b.kind === 'buffer full').reduce((a, b) => a + b.lost, 0)).toBe(stats.lost);
  });

  it('a migration’s dirty logging unmaps an unpinned buffer: the faults start over, a pinned one keeps its pages', () => {
    const unpinned = run('{ pinned: false }', { migrate: true }).stats;
    expect(unpinned.stage2Faults).toBeGreaterThan(1.5 * PAGES_4M);
    expect(unpinned.lost).toBeGreaterThan(unpinned.records);
    const pinned = run('{}', { migrate: true }).stats;
    expect(pinned.stage2Faults).toBe(0);
    expect(pinned.lost / pinned.records).toBeLessThan(0.001);
  });

  it('a small buffer fills often: every fill is a host interrupt exit and a service window of lost records', () => {
    const big = run('{}');
    const small = run('{ buffer_kb: 64 }');
    expect(small.stats.bufferFull).toBeGreaterThan(300);
    // The PPI is the host's to take: one exit per fill, on top of the guest timer's.
    expect(small.exits('EXTERNAL_INTERRUPT')).toBeGreaterThan(small.stats.bufferFull);
    expect(small.exits('EXTERNAL_INTERRUPT')).toBeGreaterThan(3 * big.exits('EXTERNAL_INTERRUPT'));
    // Each fill loses what the unit would have written in SPE_SERVICE_NS: ~19 records at ~1.9 records/µs.
    const perFill = small.stats.lost / small.stats.bufferFull;
    const rate = small.stats.records / 195e3;
    expect(perFill).toBeGreaterThan(0.8 * rate * (SPE_SERVICE_NS / 1000));
    expect(perFill).toBeLessThan(1.2 * rate * (SPE_SERVICE_NS / 1000));
  });

  it('77: while the host profiles the guest with SPE, the guest reads PMBIDR_EL1.P = 1, refuses to probe and loses every record', () => {
    const { spe, stats } = run('{ host_profiling: true }');
    expect(spe.probe).toBe('refused');
    expect(stats.records).toBe(0);
    expect(stats.lost).toBeGreaterThan(300_000);
    expect(stats.pinnedBytes).toBe(0);
  });

  it('is refused where it cannot run: spe_config needs spe, and an SPE guest only CPUs with SPE', () => {
    const text = (vm: string) =>
      ['format: 1', 'machine: { arch: arm64, cpus: 2, pmu: { spe: [0] } }', 'vms:', `  - { name: vm0, vcpus: 1, ${vm} }`].join('\n');
    expect(() => parseScenario(text('cpus: [0], spe_config: { pinned: false }'), 's.yaml')).toThrow(/spe_config: needs spe: true/);
    expect(() => parseScenario(text('spe: true'), 's.yaml')).toThrow(/may run on CPU 1, which has no SPE/);
  });

  it('needs the in-kernel irqchip: with a userspace one the VMM’s SPE IRQ is refused ENXIO and the VM is not created', () => {
    const text = ['format: 1', 'machine: { arch: arm64, cpus: 2, pmu: { spe: [0, 1] } }', 'vms:', '  - { name: vm0, vcpus: 2, spe: true, irqchip: userspace }'].join('\n');
    expect(() => new Machine(parseScenario(text, 's.yaml').scenario)).toThrow(
      'vm0: KVM_ARM_VCPU_SPE_CTRL(KVM_ARM_VCPU_SPE_IRQ): No such device or address (ENXIO)',
    );
    // The same VM with the in-kernel irqchip runs with SPE.
    expect(new Machine(parseScenario(text.replace(', irqchip: userspace', ''), 's.yaml').scenario).kvm.vms[0].spe).not.toBeNull();
  });
});
