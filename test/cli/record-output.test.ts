/**
 * Checklist 78: without -o, `guestperf record` names its trace as `perf kvm
 * record` names perf.data for what it samples. Runs the command in a
 * scratch directory (this file's own process, so changing directory touches
 * no other test).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProfile } from '../../main/cli/commands/convert';
import { runGuestperf } from '../helpers/cli';

const home = process.cwd();
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'guestperf-record-out-'));
  process.chdir(dir);
});
afterAll(() => {
  process.chdir(home);
  rmSync(dir, { recursive: true, force: true });
});

/** Records in a fresh subdirectory; returns the one file written there and stderr. */
async function recordIn(name: string, args: string[]): Promise<{ files: string[]; stderr: string; code: number }> {
  const sub = join(dir, name);
  rmSync(sub, { recursive: true, force: true });
  mkdirSync(sub);
  process.chdir(sub);
  try {
    const r = await runGuestperf(['record', '--duration', '100ms', '-c', '200000', ...args]);
    return { files: readdirSync(sub), stderr: r.stderr, code: r.code };
  } finally {
    process.chdir(dir);
  }
}

describe('guestperf record without -o', () => {
  it('writes perf.data.guest for the guest’s own perf and for guest-only events', async () => {
    for (const [name, args] of [
      ['on-vm', ['--on', 'vm0', '-e', 'cycles']],
      ['guest-events', ['-a', '-e', 'cycles:G']],
    ] as const) {
      const r = await recordIn(name, [...args]);
      expect(r.code).toBe(0);
      expect(r.files).toEqual(['perf.data.guest']);
      expect(r.stderr).toMatch(/Captured and wrote perf\.data\.guest \(\d+ samples\)/);
    }
  });

  it('writes perf.data.kvm when host and guest are both sampled, and perf.data.host for host-only events', async () => {
    const both = await recordIn('both', ['-a', '-e', 'cycles']);
    expect(both.files).toEqual(['perf.data.kvm']);
    const host = await recordIn('host', ['-a', '-e', 'cycles:H,instructions:H']);
    expect(host.files).toEqual(['perf.data.host']);
    const profile = await readProfile(join(dir, 'host', 'perf.data.host'));
    expect(profile.events.map((e) => e.name)).toEqual(['cycles:H', 'instructions:H']);
  });

  it('follows perf’s fallback: on a mediated host plain cycles becomes cycles:H, so the file is perf.data.host', async () => {
    const r = await recordIn('mediated', ['--vpmu', 'mediated', '--scenario', 'mediated', '-a', '-e', 'cycles']);
    expect(r.code).toBe(0);
    expect(r.files).toEqual(['perf.data.host']);
  });

  it('writes perf.data for a host without VMs, and -o still names the file', async () => {
    expect((await recordIn('no-vm', ['--scenario', 'spin', '-a'])).files).toEqual(['perf.data']);
    const named = await recordIn('named', ['-a', '-o', 'mine.gpf']);
    expect(named.files).toEqual(['mine.gpf']);
    expect(existsSync(join(dir, 'named', 'perf.data.kvm'))).toBe(false);
  });
});
