import { open, mkdtemp, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeNativeTrace } from '../../main/files/native-trace';
import { totalWeight } from '../../profile/model';
import { deserializeProfile } from '../../profile/serialize';
import { testSession } from '../helpers/api-session';
import { corpora } from '../helpers/paths';

let dir: string;

const session = testSession;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gp-session-'));
});

describe('opening files through the API session (real worker threads)', () => {
  it('opens a real perf record -g capture with the sample total the file holds', async () => {
    const { s, outcome } = session();
    const file = join(corpora, 'brendangregg-FlameGraph/test/perf-iperf-stacks-pidtid-01.txt');
    const done = await outcome(await s.openPath(file));
    expect(done.type).toBe('job-done');
    const profile = deserializeProfile((done as { profile: Uint8Array }).profile);
    // Every sample record starts at column 0; frames are indented, comments start with #.
    const records = (await readFile(file, 'utf8')).split('\n').filter((l) => /^[^\s#]/.test(l)).length;
    expect(records).toBe(201);
    expect(profile.samples.length).toBe(records);
    expect(await s.recentFiles()).toEqual([file]);
  });

  it('runs the default scenario in the worker and opens its recording (the window’s start)', async () => {
    const { s, outcome } = session();
    const done = await outcome(await s.openScenario('default'));
    expect(done.type).toBe('job-done');
    const profile = deserializeProfile((done as { profile: Uint8Array }).profile);
    expect(profile.meta.source).toBe('guestperf-record');
    expect(profile.samples.length).toBeGreaterThan(20_000);
    expect(profile.scenario).toContain('name: default');
    await expect(s.openScenario('nope')).rejects.toThrow(/no built-in scenario "nope"/);
  });

  it('says an empty file is empty', async () => {
    const { s, outcome } = session();
    const file = join(dir, 'empty.perf');
    await writeFile(file, '');
    const e = await outcome(await s.openPath(file));
    expect(e).toMatchObject({ type: 'job-failed', message: 'empty.perf: the file is empty' });
  });

  it('says a binary file is binary, and hints at perf script', async () => {
    const { s, outcome } = session();
    const file = join(dir, 'perf.data');
    await writeFile(file, Buffer.from([0x50, 0x45, 0x52, 0x46, 0x49, 0x4c, 0x45, 0x32, 0, 0, 1, 2, 3]));
    const e = await outcome(await s.openPath(file));
    expect(e.type).toBe('job-failed');
    expect((e as { message: string }).message).toMatch(/^perf\.data: binary data.*perf script/);
  });

  it('keeps the whole records of a truncated file and warns about the cut one', async () => {
    const { s, outcome } = session();
    const text = await readFile(join(corpora, 'brendangregg-FlameGraph/test/perf-funcab-pid-01.txt'), 'utf8');
    const file = join(dir, 'truncated.perf');
    const cut = text.slice(0, Math.floor(text.length / 2));
    await writeFile(file, cut.slice(0, cut.lastIndexOf('\n') - 3));
    const e = await outcome(await s.openPath(file));
    expect(e.type).toBe('job-done');
    const done = e as { profile: Uint8Array; warnings: string[] };
    expect(deserializeProfile(done.profile).samples.length).toBeGreaterThan(0);
    expect(done.warnings.join('\n')).toMatch(/truncated|cut off|incomplete/i);
  });

  it('rejects 1 GB of garbage within two seconds', async () => {
    const { s, outcome } = session();
    const file = join(dir, 'garbage.bin');
    const fh = await open(file, 'w');
    const noise = Buffer.alloc(1 << 20);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    await fh.write(noise);
    await fh.truncate(2 ** 30); // the rest is sparse: a 1 GiB file without writing 1 GiB
    await fh.close();
    const t0 = performance.now();
    const e = await outcome(await s.openPath(file));
    expect(performance.now() - t0).toBeLessThan(2000);
    expect((e as { message: string }).message).toMatch(/^garbage\.bin: binary data/);
  });

  it('refuses a file beyond the memory limit before reading it', async () => {
    const { s } = session(1024);
    const file = join(dir, 'big.perf');
    await writeFile(file, 'x'.repeat(4096));
    await expect(s.openPath(file)).rejects.toThrow(/big\.perf: .* GiB is more than this machine can load/);
  });

  it('refuses relative paths, directories and missing files with the reason', async () => {
    const { s } = session();
    await expect(s.openPath('relative.perf')).rejects.toThrow(/expected an absolute path/);
    await expect(s.openPath(dir)).rejects.toThrow(/not a regular file/);
    await expect(s.openPath(join(dir, 'missing.perf'))).rejects.toThrow(/cannot open \(ENOENT\)/);
  });

  it('cancels a load: one cancelled event, nothing else', async () => {
    const { s, events, outcome } = session();
    const job = await s.beginUpload('slow.perf', 1000);
    await s.uploadChunk(job, new TextEncoder().encode('a 1 [000] 1.0: 1 cycles:\n'));
    await s.cancelJob(job);
    await s.cancelJob(job); // idempotent
    expect(await outcome(job)).toEqual({ type: 'job-cancelled', job });
    expect(events.filter((e) => 'job' in e && e.job === job && e.type !== 'job-started')).toHaveLength(1);
    await expect(s.uploadChunk(job, new Uint8Array(1))).rejects.toThrow(/no upload in progress/);
  });

  it('exports the open profile in every export format, and each file opens again with the same total', async () => {
    const { s, outcome } = session();
    const src = join(corpora, 'brendangregg-FlameGraph/test/perf-dd-stacks-01.txt');
    const first = (await outcome(await s.openPath(src))) as { profile: Uint8Array };
    const total = totalWeight(deserializeProfile(first.profile));
    const count = deserializeProfile(first.profile).samples.length;
    const { exportFormats } = await s.info();
    expect(exportFormats.map((f) => f.id).sort()).toEqual(
      ['chrome-trace', 'cpuprofile', 'folded', 'guestperf', 'perf-script', 'pprof', 'speedscope'].filter((id) =>
        exportFormats.some((f) => f.id === id),
      ),
    );
    expect(exportFormats.length).toBeGreaterThanOrEqual(5);
    for (const f of exportFormats) {
      await outcome(await s.openPath(src)); // each re-import below becomes the current profile
      const file = await s.exportProfile(f.id);
      expect(file.name).toBe(`perf-dd-stacks-01.${f.extension}`);
      const path = join(dir, file.name);
      await writeFile(path, file.bytes);
      const again = await outcome(await s.openPath(path));
      expect(again.type, `${f.id}: ${(again as { message?: string }).message}`).toBe('job-done');
      const back = deserializeProfile((again as { profile: Uint8Array }).profile);
      // A .cpuprofile holds samples and time deltas, not periods: its weights are times.
      if (f.id === 'cpuprofile') expect(back.samples.length).toBe(count);
      else expect(totalWeight(back), f.id).toBeCloseTo(total, 0);
    }
    await expect(s.exportProfile('nope')).rejects.toThrow(/unknown export format "nope"/);
  });

  it('round-trips a profile through the native file, gzip and atomically written', async () => {
    const { s, outcome } = session();
    const src = join(corpora, 'brendangregg-FlameGraph/test/perf-dd-stacks-01.txt');
    const first = (await outcome(await s.openPath(src))) as { profile: Uint8Array };
    const file = join(dir, 'dd.guestperf');
    await writeNativeTrace(file, first.profile);
    expect(gunzipSync(await readFile(file)).subarray(0, 4).toString()).toBe('GPRF');
    const again = (await outcome(await s.openPath(file))) as { type: string; profile: Uint8Array };
    expect(again.type).toBe('job-done');
    const a = deserializeProfile(first.profile);
    const b = deserializeProfile(again.profile);
    expect(b.samples.length).toBe(a.samples.length);
    expect(totalWeight(b)).toBe(totalWeight(a));
    expect(Array.from(b.samples.stack)).toEqual(Array.from(a.samples.stack));
  });

  it('saves the window’s view state with the native trace, and a new trace starts without it', async () => {
    const { s, outcome } = session();
    const src = join(corpora, 'brendangregg-FlameGraph/test/perf-dd-stacks-01.txt');
    await expect(s.setViewState('{"view":{"tab":"tree"}}')).rejects.toThrow(/setViewState: nothing is open/);
    const first = (await outcome(await s.openPath(src))) as { profile: Uint8Array };
    const state = { version: 1, view: { tab: 'tree' }, profile: { event: 0, range: { start: 1, end: 2 }, zoomNode: 3 } };
    await s.setViewState(JSON.stringify(state));
    const file = await s.exportProfile('guestperf');
    const path = join(dir, 'with-view.guestperf');
    await writeFile(path, file.bytes);
    const again = (await outcome(await s.openPath(path))) as { profile: Uint8Array };
    const back = deserializeProfile(again.profile);
    expect(back.viewState).toEqual(state);
    // The columns are the original bytes behind a new header.
    expect(Array.from(back.samples.stack)).toEqual(Array.from(deserializeProfile(first.profile).samples.stack));
    // Opening resets it: the re-opened trace's own state, until the window sends another.
    const plain = join(dir, 'after-reopen.guestperf');
    await writeFile(plain, (await s.exportProfile('guestperf')).bytes);
    const third = (await outcome(await s.openPath(plain))) as { profile: Uint8Array };
    expect(deserializeProfile(third.profile).viewState).toEqual(state);
    await outcome(await s.openPath(src));
    const bare = join(dir, 'bare.guestperf');
    await writeFile(bare, (await s.exportProfile('guestperf')).bytes);
    expect(deserializeProfile(((await outcome(await s.openPath(bare))) as { profile: Uint8Array }).profile).viewState).toBeUndefined();
  });
});
