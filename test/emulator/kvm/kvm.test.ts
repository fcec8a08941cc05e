/**
 * KVM guests on the real emulator: the vCPU run loop, the emulated and
 * mediated x86 vPMUs, and the host/guest rules between them.
 */
import { describe, expect, it } from 'vitest';
import { EXEC_CONTEXT_NAMES, ExecContext } from '../../../profile/model';
import { KvmError } from '../../../emulator/kvm/kvm';
import { Machine } from '../../../emulator/machine';
import { makeAttr, PERF_TYPE_HARDWARE, PERF_TYPE_RAW, PERF_TYPE_SOFTWARE, PerfHwId, PerfSwId } from '../../../emulator/perf/attr';
import { Errno } from '../../../emulator/perf/errno';
import { PerfEventState } from '../../../emulator/perf/event';
import { parsePerfCommand, type RecordOptions, type StatOptions } from '../../../emulator/perf-tool/cmdline';
import { parseScenario } from '../../../emulator/scenario/parse';
import { runRecord, runStat } from '../../../emulator/session';

const MS = 1_000_000;

function scenario(opts: { vpmu: string; watchdog?: boolean; hostPerf?: string; guest?: string; duration?: string }) {
  const text = [
    'format: 1',
    `duration: ${opts.duration ?? '300ms'}`,
    `machine: { arch: x86_64, cpus: 2, nmi_watchdog: ${opts.watchdog ?? false} }`,
    ...(opts.vpmu === 'mediated' ? ['kvm: { enable_mediated_pmu: true }'] : []),
    'host: { workloads: [ { program: compile, cpus: [0] } ] }',
    'vms:',
    '  - name: vm0',
    '    vcpus: 1',
    `    vpmu: ${opts.vpmu}`,
    '    cpus: [1]',
    `    workloads: [ { program: ${opts.guest ?? 'spin'} } ]`,
    ...(opts.hostPerf ? ['perf:', `  - { on: host, run: "${opts.hostPerf}" }`] : []),
  ].join('\n');
  return parseScenario(text, 'kvm.yaml').scenario;
}

const stat = (args: string[]) => parsePerfCommand(['stat', ...args]) as StatOptions;

/** Pinned host groups that take all 8 GP and 3 fixed counters, counting host only. */
const HOG =
  "stat -a -e '{r00c4:H,r00c5:H,r412e:H,r4f2e:H,r00c4:H,r00c5:H,r412e:H,r4f2e:H}:D,{cycles:H,instructions:H,ref-cycles:H}:D'";

describe('guest perf on a busy host', () => {
  it('loses its counts under the emulated vPMU but stays within 1% of the truth under the mediated one', () => {
    const run = (vpmu: string) => runStat(scenario({ vpmu, hostPerf: HOG }), stat(['-a', '--truth', '-e', 'cycles,instructions']), 'vm0');
    for (const c of run('emulated').run.counters) {
      expect(c.truth).toBeGreaterThan(1e8);
      // The backing events are pinned task events that cannot fit: they sit in ERROR.
      expect(c.value).toBeLessThan(0.5 * (c.truth ?? 0));
    }
    for (const c of run('mediated').run.counters) {
      expect(c.truth).toBeGreaterThan(1e8);
      expect(Math.abs(c.value - (c.truth ?? 0)) / (c.truth ?? 1)).toBeLessThan(0.01);
    }
  });

  it('counts exactly under both when the host leaves the counters alone, at a cost in PMU exits', () => {
    const results = ['emulated', 'mediated'].map((vpmu) => {
      const r = runStat(scenario({ vpmu, guest: 'pmu-poll' }), stat(['-a', '--truth', '-e', 'cycles']), 'vm0');
      const vcpu = r.machine.kvm.vms[0].vcpus[0];
      return { c: r.run.counters[0], pmuExits: vcpu.pmuExits, hostNs: vcpu.hostNs };
    });
    for (const { c } of results) expect(c.value).toBe(c.truth);
    const [emulated, mediated] = results;
    // The paravirtual page needs no exit to read at all.
    const pv = runStat(scenario({ vpmu: 'paravirt', guest: 'pmu-poll' }), stat(['-a', '--truth', '-e', 'cycles']), 'vm0');
    expect(pv.run.counters[0].value).toBe(pv.run.counters[0].truth);
    expect(pv.machine.kvm.vms[0].vcpus[0].pmuExits).toBeLessThan(10);
    // pmu-poll reads its counters in a loop: every read traps under trap-and-emulate.
    expect(emulated.pmuExits).toBeGreaterThan(100 * mediated.pmuExits);
    expect(emulated.hostNs).toBeGreaterThan(10 * mediated.hostNs);
  });
});

describe('mediated vPMU exclusion rules', () => {
  it('48: KVM_CREATE_VCPU fails EBUSY while the NMI watchdog counts in guests', () => {
    expect(() => new Machine(scenario({ vpmu: 'mediated', watchdog: true }))).toThrow(KvmError);
    expect(() => new Machine(scenario({ vpmu: 'mediated', watchdog: true }))).toThrow(
      'vm0: KVM_CREATE_VCPU: Device or resource busy (EBUSY)',
    );
    expect(() => new Machine(scenario({ vpmu: 'emulated', watchdog: true }))).not.toThrow();
  });

  it('50: while a mediated VM exists, include-guest core events fail EOPNOTSUPP; exclude_guest and software events open', () => {
    const m = new Machine(scenario({ vpmu: 'mediated' }));
    const cycles = (f = {}) => makeAttr({ type: PERF_TYPE_HARDWARE, config: BigInt(PerfHwId.CPU_CYCLES), ...f });
    expect(m.perf.perf_event_open(cycles(), -1, 0, -1, 0)).toBe(-Errno.EOPNOTSUPP);
    expect(m.perf.perf_event_open(cycles({ exclude_guest: true }), -1, 0, -1, 0)).toBeGreaterThanOrEqual(3);
    const sw = makeAttr({ type: PERF_TYPE_SOFTWARE, config: BigInt(PerfSwId.CPU_CLOCK) });
    expect(m.perf.perf_event_open(sw, -1, 0, -1, 0)).toBeGreaterThanOrEqual(3);
    // No mediated VM: the same event opens.
    expect(new Machine(scenario({ vpmu: 'emulated' })).perf.perf_event_open(cycles(), -1, 0, -1, 0)).toBeGreaterThanOrEqual(3);
  });

  it('34 on a mediated host: perf stat falls back to exclude_guest and prints cycles:H', () => {
    const r = runStat(scenario({ vpmu: 'mediated' }), stat(['-a', '-e', 'cycles']));
    expect(r.run.counters.map((c) => [c.name, c.supported])).toEqual([['cycles:H', true]]);
    expect(r.messages).toEqual(['Trying to fall back to excluding guest samples']);
  });

  it('57/58: a pinned exclude_guest host event stops its clocks while the guest runs, and does not go to ERROR', () => {
    const m = new Machine(scenario({ vpmu: 'mediated', duration: '1s' }));
    const fd = m.perf.perf_event_open(
      makeAttr({ type: PERF_TYPE_HARDWARE, config: BigInt(PerfHwId.CPU_CYCLES), exclude_guest: true, pinned: true, read_format: 3n }),
      -1,
      1,
      -1,
      0,
    );
    m.runUntil(200 * MS);
    const r = m.perf.read(fd, 64);
    if (typeof r !== 'object') throw new Error('read failed');
    expect(m.perf.eventOf(fd)?.state).not.toBe(PerfEventState.ERROR);
    // Equal: no multiplexing shows; smaller than the wall time: guest time is not in either.
    expect(r.time_enabled).toBe(r.time_running);
    expect(r.time_enabled).toBeLessThan(0.5 * 200 * MS);
    expect(r.time_enabled).toBeGreaterThan(0);
  });
});

describe('the emulated vPMU', () => {
  it('35: backs each guest counter with a pinned PERF_TYPE_RAW host event that excludes the host', () => {
    const r = runStat(scenario({ vpmu: 'emulated' }), stat(['-a', '-e', 'instructions:u']), 'vm0');
    const vcpuTid = r.machine.kvm.vms[0].vcpus[0].tid;
    const backing = r.machine.perf.includeGuestEvents().filter((e) => e.ctx.taskId === vcpuTid);
    expect(backing).toHaveLength(1);
    const a = backing[0].attr;
    expect([a.type, a.pinned, a.exclude_idle, a.exclude_host, a.exclude_user, a.exclude_kernel]).toEqual([
      PERF_TYPE_RAW,
      true,
      true,
      true,
      false,
      true,
    ]);
    expect(a.config).toBe(0xc0n);
  });
});

describe('recordings of a host running a guest', () => {
  it('tell host, hypervisor and guest apart in a host record -a -g', () => {
    const options = parsePerfCommand(['record', '-a', '-g', '-e', 'cycles', '-c', '50000']) as RecordOptions;
    const r = runRecord(scenario({ vpmu: 'emulated', guest: 'webserver' }), options, '');
    const p = r.profile;
    const contexts = new Set(Array.from(p.samples.context, (c) => EXEC_CONTEXT_NAMES[c]));
    for (const c of ['host-user', 'host-kernel', 'guest-kernel', 'guest-user']) expect(contexts).toContain(c);
    const frames = Array.from({ length: p.frames.length }, (_, f) => ({
      name: p.strings[p.frames.name[f]],
      dso: p.frames.dso[f] >= 0 ? p.strings[p.frames.dso[f]] : '',
      ctx: p.frames.context[f],
    }));
    expect(frames.some((f) => f.name === 'kvm_arch_vcpu_ioctl_run' && f.ctx === ExecContext.Hypervisor)).toBe(true);
    expect(frames.some((f) => f.ctx === ExecContext.GuestKernel && /^\[guest\.kernel\.kallsyms\.\d+\]$/.test(f.dso))).toBe(true);
    expect(p.machines.map((m) => m.kind)).toEqual(['host', 'guest']);
    // The truth keeps host and guest execution apart, on the timeline as in the counts.
    const truth = (name: string) => p.counters.find((c) => c.name === name && c.scope === 'truth');
    const guestTruth = truth('cycles (truth, guests)');
    expect(truth('cycles (truth)')?.machine).toBe(0);
    expect(guestTruth?.machine).toBe(-1);
    const guestCycles = Array.from(guestTruth?.value ?? []).reduce((a, b) => a + b, 0);
    expect(guestCycles).toBeGreaterThan(1e8);
  });

  it('the guest’s own record sees its kernel and user code as guest contexts', () => {
    const options = parsePerfCommand(['record', '-a', '-g', '-e', 'cycles', '-c', '1000000']) as RecordOptions;
    const r = runRecord(scenario({ vpmu: 'mediated', guest: 'webserver' }), options, '', 'vm0');
    const contexts = new Set(Array.from(r.profile.samples.context, (c) => EXEC_CONTEXT_NAMES[c]));
    expect(contexts).toEqual(new Set(['guest-kernel', 'guest-user']));
    // One sample per million guest cycles: the guest ran about 100M cycles in these 300 ms.
    expect(r.samples).toBeGreaterThan(90);
  });

  it('a guest without a PMU counts cycles as cpu-clock', () => {
    const r = runStat(scenario({ vpmu: 'none' }), stat(['-a', '-e', 'cycles']), 'vm0');
    expect(r.run.counters[0].name).toBe('cpu-clock');
  });
});

describe('migration', () => {
  const text = (vpmu: string) =>
    [
      'format: 1',
      'duration: 300ms',
      'machine: { arch: x86_64, cpus: 2, nmi_watchdog: false }',
      ...(vpmu === 'mediated' ? ['kvm: { enable_mediated_pmu: true }'] : []),
      'vms:',
      `  - { name: vm0, vcpus: 1, vpmu: ${vpmu}, cpus: [1], workloads: [ { program: spin } ] }`,
      'timeline:',
      '  - { at: 100ms, do: migrate vm0 }',
    ].join('\n');

  it('loses the paravirtual design’s host-side events, as its reviewers predicted: counts stop after the move', () => {
    const s = parseScenario(text('paravirt'), 'm.yaml').scenario;
    const c = runStat(s, stat(['-a', '--truth', '-e', 'instructions']), 'vm0').run.counters[0];
    // Counted for the first 100 ms of the 270 ms the guest ran, then nothing.
    expect(c.value).toBeGreaterThan(0.3 * (c.truth ?? 0));
    expect(c.value).toBeLessThan(0.45 * (c.truth ?? 0));
  });

  it('keeps the emulated and mediated guest counts continuous across the downtime, which the trace shows', () => {
    for (const vpmu of ['emulated', 'mediated']) {
      const s = parseScenario(text(vpmu), 'm.yaml').scenario;
      const r = runStat(s, stat(['-a', '--truth', '-e', 'instructions']), 'vm0');
      const c = r.run.counters[0];
      expect(c.value).toBe(c.truth);
      // spin would retire ~3.1 insn/cycle × 3 cycles/ns for 300 ms; the 30 ms downtime is missing.
      expect(c.truth).toBeLessThan(0.95 * 3.1 * 3 * 300 * MS);
      expect(c.truth).toBeGreaterThan(0.8 * 3.1 * 3 * 300 * MS);
      const rec = runRecord(s, parsePerfCommand(['record', '-a', '-c', '1000000']) as RecordOptions, '', 'vm0');
      const m = rec.profile.markers;
      const names = Array.from({ length: m.length }, (_, i) => rec.profile.strings[m.name[i]]);
      expect(names).toContain('migrate vm0');
      const i = names.indexOf('migrate vm0');
      expect([m.start[i], m.end[i]]).toEqual([100 * MS, 130 * MS]);
      // No guest sample falls in the downtime.
      const inDowntime = Array.from(rec.profile.samples.time).filter((t) => t > 100.1 * MS && t < 129.9 * MS);
      expect(inDowntime).toEqual([]);
    }
  });
});

describe('arm64 PMU partitioning', () => {
  const arm = (vpmu: string, hostStat: string) =>
    parseScenario(
      [
        'format: 1',
        'duration: 200ms',
        'machine: { arch: arm64, cpus: 2 }',
        'kvm: { host_counters: 2 }',
        'host: { workloads: [ { program: spin, cpus: [0] } ] }',
        'vms:',
        `  - { name: vm0, vcpus: 1, vpmu: ${vpmu}, cpus: [1], workloads: [ { program: spin } ] }`,
        'perf:',
        `  - { on: vm0, run: "${hostStat}" }`,
      ].join('\n'),
      'arm.yaml',
    ).scenario;

  it('73: shrinks the host to host_counters event counters while the guest counts exactly on its share', () => {
    const hostEvents = ['-a', '-e', 'r0008,r0012,r0010,r0011'];
    const guestStat = 'stat -a -e cycles,instructions --truth';
    for (const [vpmu, multiplexed] of [
      ['partitioned', true],
      ['emulated', false],
    ] as const) {
      const r = runStat(arm(vpmu, guestStat), stat(hostEvents));
      // Four GP events on the host: with two counters left it must multiplex.
      expect(r.run.counters.some((c) => c.running < c.enabled)).toBe(multiplexed);
      const guest = r.background[0].stat;
      if (!guest) throw new Error('no guest stat');
      for (const c of guest.counters) expect(c.value).toBe(c.truth);
    }
  });

  it('is refused on x86, as mediated is on arm64', () => {
    expect(() => new Machine(scenario({ vpmu: 'partitioned' }))).toThrow(/vm0: vpmu partitioned: not available on this x86_64 host/);
  });
});

describe('ERROR states in a trace', () => {
  it('marks a KVM backing counter that a busy host leaves in ERROR', () => {
    const text = [
      'format: 1',
      'duration: 100ms',
      'machine: { arch: x86_64, cpus: 2, nmi_watchdog: false }',
      'vms:',
      '  - { name: vm0, vcpus: 1, vpmu: emulated, cpus: [1], workloads: [ { program: spin } ] }',
      'perf:',
      `  - { on: host, run: "${HOG}" }`,
      '  - { on: vm0, run: "stat -a -e instructions", at: 10ms }',
    ].join('\n');
    const r = runRecord(parseScenario(text, 'e.yaml').scenario, parsePerfCommand(['record', '-a', '-e', 'cpu-clock']) as RecordOptions, '');
    const m = r.profile.markers;
    const errors = Array.from({ length: m.length }, (_, i) => i).filter((i) => m.kind[i] === 4);
    expect(errors.length).toBe(1);
    expect(r.profile.strings[m.name[errors[0]]]).toMatch(/^KVM guest counter rc0 \(pinned, task \d+\): ERROR$/);
    expect(m.start[errors[0]]).toBe(10 * MS);
  });
});

describe('mediated vPMU interrupts and context switch points', () => {
  it('59: guest PMIs arrive on the mediated vector (VPMI), not as host NMIs', () => {
    const sampled = runStat(
      parseScenario(
        [
          'format: 1',
          'duration: 100ms',
          'machine: { arch: x86_64, cpus: 2, nmi_watchdog: false }',
          'kvm: { enable_mediated_pmu: true }',
          'vms: [ { name: vm0, vcpus: 1, vpmu: mediated, cpus: [1], workloads: [ { program: spin } ] } ]',
          'perf: [ { on: vm0, run: "record -a -c 1000000" } ]',
        ].join('\n'),
        'v.yaml',
      ).scenario,
      stat(['-a', '-e', 'cpu-clock']),
    );
    const c = sampled.machine.cpus[1];
    // ~300M guest cycles at one PMI per million: about 300, none of them an NMI.
    expect(c.vpmiCount).toBeGreaterThan(250);
    expect(c.nmiCount).toBe(0);
  });

  it('56: host exclude_guest events run while KVM handles exits, off only inside the run loop', () => {
    const m = new Machine(scenario({ vpmu: 'mediated', guest: 'webserver', duration: '1s' }));
    const fd = m.perf.perf_event_open(
      makeAttr({ type: PERF_TYPE_HARDWARE, config: BigInt(PerfHwId.CPU_CYCLES), exclude_guest: true, read_format: 3n }),
      -1,
      1,
      -1,
      0,
    );
    m.runUntil(300 * MS);
    const r = m.perf.read(fd, 64);
    if (typeof r !== 'object') throw new Error('read failed');
    const vcpu = m.kvm.vms[0].vcpus[0];
    // CPU 1 runs only the vCPU: its host time is the exits' handling and HLT's idle.
    expect(r.values[0].value).toBeGreaterThan(0);
    expect(r.time_enabled).toBeGreaterThan(vcpu.hostNs);
    expect(r.time_enabled).toBeLessThan(300 * MS);
  });
});

describe('the mediated PMU reference (checklist 51)', () => {
  it('is taken per VM, held for the VM’s life, and released when the last mediated VM is destroyed', () => {
    const text = [
      'format: 1',
      'duration: 300ms',
      'machine: { arch: x86_64, cpus: 2, nmi_watchdog: false }',
      'kvm: { enable_mediated_pmu: true }',
      'vms:',
      '  - { name: a, vcpus: 1, vpmu: mediated, cpus: [1], workloads: [ { program: spin } ] }',
      '  - { name: b, vcpus: 1, vpmu: mediated, cpus: [1], workloads: [ { program: spin } ] }',
      'timeline:',
      '  - { at: 100ms, do: stop a }',
      '  - { at: 200ms, do: stop b }',
    ].join('\n');
    const m = new Machine(parseScenario(text, 'r.yaml').scenario);
    const open = () => m.perf.perf_event_open(makeAttr({ type: PERF_TYPE_HARDWARE, config: 0n }), -1, 0, -1, 0);
    expect(m.kvm.nr_mediated_pmu_vms).toBe(2);
    m.runUntil(150 * MS);
    expect(m.kvm.nr_mediated_pmu_vms).toBe(1);
    expect(open()).toBe(-Errno.EOPNOTSUPP);
    m.runUntil(250 * MS);
    expect(m.kvm.nr_mediated_pmu_vms).toBe(0);
    expect(open()).toBeGreaterThanOrEqual(3);
  });
});

describe('KVM_SET_PMU_EVENT_FILTER from a scenario', () => {
  const filtered = (vpmu: string, filter: string) =>
    parseScenario(
      [
        'format: 1',
        'duration: 100ms',
        'machine: { arch: x86_64, cpus: 2, nmi_watchdog: false }',
        ...(vpmu === 'mediated' ? ['kvm: { enable_mediated_pmu: true }'] : []),
        'vms:',
        `  - { name: vm0, vcpus: 1, vpmu: ${vpmu}, cpus: [1], workloads: [ { program: spin } ], pmu_event_filter: ${filter} }`,
      ].join('\n'),
      'f.yaml',
    ).scenario;

  it('stops a denied GP counter under both designs while the allowed ones count exactly', () => {
    for (const vpmu of ['emulated', 'mediated']) {
      // Deny branch instructions (0xc4); r00c4 can only go on a GP counter.
      const r = runStat(filtered(vpmu, '{ action: deny, events: [0xc4] }'), stat(['-a', '--truth', '-e', 'r00c4,r00c5']), 'vm0');
      const [branches, misses] = r.run.counters;
      expect(branches.value).toBe(0);
      expect(branches.truth).toBeGreaterThan(1e6);
      expect(misses.value).toBe(misses.truth);
    }
  });

  it('refuses more than 300 events with E2BIG, as the VM’s error', () => {
    const events = `[${Array.from({ length: 301 }, (_, i) => i).join(', ')}]`;
    expect(() => new Machine(filtered('emulated', `{ action: allow, events: ${events} }`))).toThrow(
      'vm0: KVM_SET_PMU_EVENT_FILTER: Argument list too long (E2BIG)',
    );
  });
});
