/**
 * guestperf stat / record / scenarios on the real emulator, through the same
 * dispatch as the command: the done-when criteria of the emulated machine.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILTIN_SCENARIOS } from '../../emulator/scenario/builtins';
import { EXEC_CONTEXT_NAMES, ExecContext } from '../../profile/model';
import { buildCallTree } from '../../profile/call-tree';
import { readProfile } from '../../main/cli/commands/convert';
import { runGuestperf } from '../helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'guestperf-stat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface JsonLine {
  event: string;
  'counter-value': string;
  'truth-value'?: string;
  'pcnt-running': number;
}

async function statJson(args: string[]): Promise<JsonLine[]> {
  const r = await runGuestperf(['stat', '-j', '--truth', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as JsonLine);
}

describe('guestperf stat', () => {
  it('counts cycles and instructions of a spin host exactly as the ground truth without multiplexing', async () => {
    const lines = await statJson(['--scenario', 'spin', '-a', '-e', 'cycles,instructions']);
    expect(lines.map((l) => l.event)).toEqual(['cycles', 'instructions']);
    for (const l of lines) {
      expect(l['pcnt-running']).toBe(100);
      expect(Number(l['counter-value'])).toBeGreaterThan(1e9);
      expect(l['counter-value']).toBe(l['truth-value']);
    }
  });

  it('stays within 1% of the truth when six more events than counters force multiplexing', async () => {
    // 8 GP counters (fixed counter 1 is the NMI watchdog's): cycles and
    // instructions plus twelve GP-only events are six too many.
    const gpOnly = ['r00c4', 'r00c5', 'r4f2e', 'r412e', 'r00c4', 'r00c5', 'r4f2e', 'r412e', 'r00c4', 'r00c5', 'r4f2e', 'r412e'];
    const lines = await statJson(['--scenario', 'spin', '-a', '-e', ['cycles', 'instructions', ...gpOnly].join(',')]);
    expect(lines.some((l) => l['pcnt-running'] < 100)).toBe(true);
    for (const l of lines.filter((x) => x.event === 'cycles' || x.event === 'instructions')) {
      const shown = Number(l['counter-value']);
      const truth = Number(l['truth-value']);
      expect(Math.abs(shown - truth) / truth).toBeLessThan(0.01);
    }
  });

  it('prints perf stat’s human layout on standard error with the system-wide header', async () => {
    const r = await runGuestperf(['stat', '--scenario', 'spin', '--duration', '100ms', '-a', '-e', 'cycles:u']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^\n Performance counter stats for 'system wide':\n\n +[\d,]+ +cycles:u +\n/);
    expect(r.stderr).toMatch(/\n {7}0\.100000000 seconds time elapsed\n\n$/);
  });

  it('gives the same -j output for the same scenario and seed, and different output for another seed', async () => {
    const args = ['stat', '--duration', '200ms', '-a', '-j'];
    const a = await runGuestperf(args);
    const b = await runGuestperf(args);
    const c = await runGuestperf([...args, '--seed', '2']);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).not.toBe(c.stdout);
  });

  it('reports a bad event string with perf’s caret message and status 2', async () => {
    const r = await runGuestperf(['stat', '--scenario', 'spin', '-e', 'cycles:ukx']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("event syntax error: 'cycles:ukx'");
  });

  it('refuses a bad scenario option with one line', async () => {
    const r = await runGuestperf(['stat', '--vpmu', 'mediatd']);
    expect([r.code, r.stderr]).toEqual([
      2,
      'guestperf stat: --vpmu: unknown design "mediatd" (expected one of: none, emulated, mediated, partitioned, paravirt)\n',
    ]);
  });
});

describe('guestperf record', () => {
  it('writes a trace the window opens as a flame graph of the workloads’ stacks', async () => {
    const out = join(dir, 'default.guestperf');
    const r = await runGuestperf(['record', '--duration', '300ms', '-a', '-g', '-F', '4000', '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^\[ perf record: Captured and wrote .* \((\d+) samples\) \]\n$/);
    const profile = await readProfile(out);
    expect(profile.samples.length).toBeGreaterThan(3000);
    expect(profile.events.map((e) => e.name)).toEqual(['cycles:P']);
    const tree = buildCallTree(profile);
    const names = new Set(Array.from(profile.frames.name, (n) => profile.strings[n]));
    for (const fn of ['main', 'c_parse_file', 'entry_SYSCALL_64_after_hwframe', 'do_syscall_64']) expect(names.has(fn)).toBe(true);
    expect(tree.total[0]).toBe(Array.from(profile.samples.weight).reduce((a, b) => a + b, 0));
    const contexts = new Set(Array.from(profile.samples.context, (c) => EXEC_CONTEXT_NAMES[c]));
    // The default scenario's guest shows up as guest code (KVM's own work is too short to catch often).
    for (const c of ['host-user', 'host-kernel', 'guest-kernel', 'guest-user']) expect(contexts).toContain(c);
    expect(profile.machines.map((m) => `${m.name}/${m.kind}`)).toEqual(['host/host', 'vm0/guest']);
    // A counter track for the event, and the truth for the hardware events.
    expect(profile.counters.map((c) => `${c.name}/${c.scope}`)).toContain('cycles:P/both');
    expect(profile.counters.some((c) => c.name === 'cycles (truth)' && c.scope === 'truth')).toBe(true);
    expect(profile.scenario).toBe(BUILTIN_SCENARIOS.find((s) => s.name === 'default')?.yaml);
    expect(profile.samples.context.includes(ExecContext.HostKernel)).toBe(true);
  });

  it('writes byte-identical trace files for the same scenario and seed', async () => {
    const a = join(dir, 'a.guestperf');
    const b = join(dir, 'b.guestperf');
    for (const out of [a, b]) expect((await runGuestperf(['record', '--duration', '100ms', '-g', '-o', out])).code).toBe(0);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
  });

  it('marks throttling in the trace', async () => {
    const out = join(dir, 'throttle.guestperf');
    const r = await runGuestperf(['record', '--scenario', 'spin', '--duration', '50ms', '-c', '2000', '-o', out]);
    expect(r.code).toBe(0);
    const profile = await readProfile(out);
    expect(profile.markers.length).toBeGreaterThan(0);
    expect(profile.strings[profile.markers.name[0]]).toBe('throttled');
  });
});

describe('guestperf scenarios', () => {
  it('lists every built-in, default first', async () => {
    const r = await runGuestperf(['scenarios']);
    expect(r.code).toBe(0);
    const names = r.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual(BUILTIN_SCENARIOS.map((s) => s.name));
    expect(names[0]).toBe('default');
  });
});

describe('a scenario’s own perf sessions', () => {
  it('run beside the command’s session, hold their counters, and print after it', async () => {
    const file = join(dir, 'pinned.yaml');
    // Four counters, all taken by a pinned group the scenario opens at 0.
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      file,
      [
        'format: 1',
        'duration: 100ms',
        'machine: { arch: x86_64, cpus: 1, nmi_watchdog: false, pmu: { counters: 4, fixed: 0 } }',
        'host: { workloads: [ { program: spin } ] }',
        'perf:',
        "  - { on: host, run: \"stat -a -e '{r00c4,r00c5,r412e,r4f2e}:D'\" }",
      ].join('\n'),
    );
    const r = await runGuestperf(['stat', '--scenario', file, '-a', '-x', ',', '-e', 'r00c4']);
    expect(r.code).toBe(0);
    // The command's own event never gets a counter.
    expect(r.stderr.split('\n')[0]).toBe('<not counted>,,r00c4,0,0.00,,');
    expect(r.stderr).toContain("# scenario perf[0] on host: perf stat -a -e '{r00c4,r00c5,r412e,r4f2e}:D'\n");
  });
});

describe('guestperf compare', () => {
  it('prints one JSON line per design and event, the guest count against the guest truth', async () => {
    const { writeFileSync } = await import('node:fs');
    const file = join(dir, 'guest.yaml');
    writeFileSync(
      file,
      'format: 1\nduration: 200ms\nmachine: { arch: x86_64, cpus: 2, nmi_watchdog: false }\nvms:\n  - { name: vm0, vcpus: 1, cpus: [1], workloads: [ { program: pmu-poll } ] }\n',
    );
    const r = await runGuestperf(['compare', '--scenario', file, '--vpmu', 'emulated,mediated', '-e', 'cycles', '-j']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | string>);
    expect(rows.map((x) => `${x.vpmu}/${x.event}`)).toEqual(['emulated/cycles', 'mediated/cycles']);
    for (const x of rows) expect(x['guest-value']).toBe(x['truth-value']);
    // pmu-poll's counter reads trap under trap-and-emulate only.
    expect(Number(rows[0]['pmu-exits'])).toBeGreaterThan(100 * Number(rows[1]['pmu-exits']));
  });
});

describe('guestperf kvm-stat (checklist 79)', () => {
  it('prints perf kvm stat report’s header, columns with ( +- x.xx% ), and the totals trailer', async () => {
    const { writeFileSync } = await import('node:fs');
    const file = join(dir, 'kvmstat.yaml');
    writeFileSync(
      file,
      'format: 1\nduration: 200ms\nmachine: { arch: x86_64, cpus: 2, nmi_watchdog: false }\nvms:\n  - { name: vm0, vcpus: 1, vpmu: emulated, cpus: [1], workloads: [ { program: webserver } ] }\n',
    );
    const r = await runGuestperf(['kvm-stat', '--scenario', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Analyze events for all VMs, all VCPUs:');
    expect(lines[2]).toMatch(/^ +VM-EXIT +Samples +Samples% +Time% +Min Time +Max Time +Avg time$/);
    const rows = lines.filter((l) => /^ +[A-Z_]+ +\d+ /.test(l));
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const row of rows) expect(row).toMatch(/ +\d+\.\d\dus \( \+- +\d+\.\d\d% \)$/);
    const total = rows.reduce((a, row) => a + Number(row.trim().split(/ +/)[1]), 0);
    expect(r.stdout).toMatch(new RegExp(`\\nTotal Samples:${total}, Total events handled time:\\d+\\.\\d\\dus\\.\\n$`));
  });
});
