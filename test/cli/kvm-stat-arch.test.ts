/**
 * `guestperf kvm-stat` names exits as perf kvm stat does on the host's
 * architecture: VMX exit reasons on x86, exception classes on arm64 (IRQ, and
 * for a trap its ESR_ELx_EC name), and so does the VM-exit table a trace carries.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePerfCommand, type RecordOptions } from '../../emulator/perf-tool/cmdline';
import { MarkerKind } from '../../profile/model';
import { parseScenario } from '../../emulator/scenario/parse';
import { runRecord } from '../../emulator/session';
import { runGuestperf } from '../helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'guestperf-kvm-stat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A guest that halts, kicks virtio, reads its counters and takes PMIs: every kind of exit. */
function scenarioText(arch: 'x86_64' | 'arm64'): string {
  return [
    'format: 1',
    'duration: 200ms',
    `machine: { arch: ${arch}, cpus: 2${arch === 'x86_64' ? ', nmi_watchdog: false' : ''} }`,
    'vms:',
    '  - { name: vm0, vcpus: 2, vpmu: emulated, cpus: [1], workloads: [ { program: webserver }, { program: pmu-poll } ] }',
    'perf:',
    '  - { on: vm0, run: "record -a -c 2000000 -e cycles" }',
  ].join('\n');
}

async function kvmStatRows(arch: 'x86_64' | 'arm64'): Promise<Map<string, number>> {
  const file = join(dir, `${arch}.yaml`);
  writeFileSync(file, scenarioText(arch));
  const r = await runGuestperf(['kvm-stat', '--scenario', file]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const rows = r.stdout.split('\n').filter((l) => /^ +[A-Za-z0-9_]+ +\d+ /.test(l));
  return new Map(rows.map((row) => [row.trim().split(/ +/)[0], Number(row.trim().split(/ +/)[1])]));
}

const X86_NAMES = ['EXTERNAL_INTERRUPT', 'MSR_WRITE', 'MSR_READ', 'RDPMC', 'HLT', 'IO_INSTRUCTION', 'EPT_VIOLATION', 'VMCALL', 'EXCEPTION_NMI'];

describe('exit names per architecture', () => {
  it('arm64: kvm-stat prints IRQ, SYS64, WFx and DABT_LOW, and no VMX name', async () => {
    const rows = await kvmStatRows('arm64');
    expect([...rows.keys()].sort()).toEqual(['DABT_LOW', 'IRQ', 'SYS64', 'WFx']);
    // pmu-poll's counter reads and every PMU register write trap as system-register accesses.
    expect(rows.get('SYS64')).toBeGreaterThan(rows.get('WFx') ?? Infinity);
  });

  it('x86: kvm-stat keeps the VMX exit reasons', async () => {
    const rows = await kvmStatRows('x86_64');
    for (const name of ['MSR_WRITE', 'RDPMC', 'HLT', 'IO_INSTRUCTION', 'EXCEPTION_NMI']) expect(rows.get(name)).toBeGreaterThan(0);
    for (const name of rows.keys()) expect(X86_NAMES).toContain(name);
  });

  it('arm64: a trace’s VM-exit table and guest-run markers use the same names, merging the reasons that share one', () => {
    const text = scenarioText('arm64');
    const options = parsePerfCommand(['record', '-a', '-e', 'cycles', '-c', '1000000']) as RecordOptions;
    const r = runRecord(parseScenario(text, 'arm64.yaml').scenario, options, text);
    const rows = r.profile.vmExits?.rows ?? [];
    expect([...new Set(rows.map((row) => row.reason))].sort()).toEqual(['DABT_LOW', 'IRQ', 'SYS64', 'WFx']);
    // One row per vCPU and name; every SYS64 trap here is the vPMU's (its registers, pmu-poll's reads).
    for (const vcpu of [0, 1]) expect(rows.filter((row) => row.vcpu === vcpu && row.reason === 'SYS64')).toHaveLength(1);
    for (const row of rows.filter((x) => x.reason === 'SYS64')) expect(row.pmuCount).toBe(row.count);
    const { markers, strings } = r.profile;
    const runNames = new Set<string>();
    for (let i = 0; i < markers.length; i++) if (markers.kind[i] === MarkerKind.GuestRun) runNames.add(strings[markers.name[i]]);
    expect(runNames.has('WFx')).toBe(true);
    for (const name of runNames) expect(X86_NAMES).not.toContain(name);
  });
});
