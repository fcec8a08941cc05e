import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { useLoadStore } from '../../renderer/stores/load';
import { useProfileStore } from '../../renderer/stores/profile';
import { rechunk, uploadFile } from '../../renderer/api/upload';
import { serializeProfile } from '../../profile/serialize';
import { fakeApi, smallProfile, type FakeApi } from './fake-api';

let api: FakeApi;

beforeEach(async () => {
  setActivePinia(createPinia());
  api = fakeApi();
  await useLoadStore().connect(api);
});

const done = (job: number, name: string, warnings: string[] = []) =>
  api.emit({ type: 'job-done', job, name, warnings, profile: serializeProfile(smallProfile(name)) });

function blobFile(name: string, bytes: number) {
  const data = new Uint8Array(bytes).map((_, i) => i & 0xff);
  const blob = new Blob([data]);
  return { name, size: bytes, stream: () => blob.stream() as ReadableStream<Uint8Array> };
}

describe('load store', () => {
  it('shows a finished profile, its warnings, and clears the progress', () => {
    const load = useLoadStore();
    const profile = useProfileStore();
    api.emit({ type: 'job-started', job: 1, name: 'a.txt', total: 100 });
    api.emit({ type: 'job-progress', job: 1, bytes: 40, total: 100 });
    expect(load.job).toMatchObject({ id: 1, name: 'a.txt', bytes: 40, total: 100 });
    done(1, 'a.txt');
    expect(load.job).toBeNull();
    expect(profile.profile?.meta.name).toBe('a.txt');
    expect(profile.warnings).toEqual(['line 3: skipped a line']); // from the profile when the event has none
    expect(profile.layout?.total).toBe(10);
  });

  it('keeps the previous profile when a load fails, and says why', () => {
    const load = useLoadStore();
    const profile = useProfileStore();
    done(1, 'good.txt', ['w1']);
    profile.zoomTo(1);
    api.emit({ type: 'job-started', job: 2, name: 'bad.txt', total: 10 });
    api.emit({ type: 'job-failed', job: 2, name: 'bad.txt', message: 'line 4: expected a sample header' });
    expect(load.error).toBe('Could not open bad.txt: line 4: expected a sample header');
    expect(load.job).toBeNull();
    expect(profile.profile?.meta.name).toBe('good.txt');
    expect(profile.warnings).toEqual(['w1']);
    expect(profile.zoomNode).toBe(1);
  });

  it('keeps the previous profile when the profile bytes are unreadable', () => {
    const load = useLoadStore();
    done(1, 'good.txt');
    api.emit({ type: 'job-done', job: 2, name: 'x', warnings: [], profile: new Uint8Array([1, 2, 3]) });
    expect(load.error).toMatch(/^Could not open x: the profile data from the host is unreadable/);
    expect(useProfileStore().profile?.meta.name).toBe('good.txt');
  });

  it('ignores events of an older job once a newer one started', () => {
    const load = useLoadStore();
    api.emit({ type: 'job-started', job: 1, name: 'old', total: 10 });
    api.emit({ type: 'job-started', job: 2, name: 'new', total: 10 });
    done(1, 'old');
    api.emit({ type: 'job-failed', job: 1, name: 'old', message: 'x' });
    expect(useProfileStore().profile).toBeNull();
    expect(load.error).toBeNull();
    expect(load.job?.id).toBe(2);
  });

  it('Open… uses the native dialog in Electron and the file picker in a browser', async () => {
    const load = useLoadStore();
    await load.open();
    expect(load.pickFileRequests).toBe(1);
    expect(api.calls.some((c) => c.method === 'openDialog')).toBe(false);
    api.emit({ type: 'menu', command: 'open-browser-file' });
    expect(load.pickFileRequests).toBe(2);

    setActivePinia(createPinia());
    api = fakeApi('electron');
    const desktop = useLoadStore();
    await desktop.connect(api);
    await desktop.open();
    expect(api.calls.map((c) => c.method)).toEqual(['info', 'openDialog']);
    expect(desktop.job?.id).toBe(7);
  });

  it('streams a file in chunks of at most 4 MiB, one in flight at a time', async () => {
    const load = useLoadStore();
    const size = 9 * 1024 * 1024 + 5;
    await load.openFile(blobFile('big.txt', size));
    expect(api.calls[1]).toEqual({ method: 'beginUpload', args: ['big.txt', size] });
    expect(api.chunkSizes).toEqual([4 * 1024 * 1024, 4 * 1024 * 1024, 1024 * 1024 + 5]);
    expect(api.maxInFlight).toBe(1);
    expect(api.calls.at(-1)).toEqual({ method: 'endUpload', args: [7] });
    expect(load.job).toMatchObject({ id: 7, bytes: size, total: size });
  });

  it('cancels a running upload: no more chunks, cancelJob sent, progress gone', async () => {
    const load = useLoadStore();
    const upload = load.openFile(blobFile('big.txt', 20 * 1024 * 1024));
    while (api.chunkSizes.length === 0) await new Promise((r) => setTimeout(r, 0));
    await load.cancel();
    await upload;
    expect(load.job).toBeNull();
    expect(api.calls.filter((c) => c.method === 'cancelJob')).toEqual([{ method: 'cancelJob', args: [7] }]);
    expect(api.calls.some((c) => c.method === 'endUpload')).toBe(false);
    expect(api.chunkSizes.length).toBeLessThan(5);
    done(7, 'big.txt'); // a late answer for the cancelled job is ignored
    expect(useProfileStore().profile).toBeNull();
  });

  it('refuses a file over the host limit before uploading', async () => {
    const load = useLoadStore();
    api.hostInfo.maxFileBytes = 1024;
    await load.connect(api);
    await load.openFile(blobFile('huge.txt', 4096));
    expect(load.error).toBe('Could not open huge.txt: it is 4.0 KiB, and the largest file guestperf loads is 1.0 KiB.');
    expect(api.calls.some((c) => c.method === 'beginUpload')).toBe(false);
  });

  it('reports an upload the host rejects', async () => {
    const load = useLoadStore();
    api.beginUpload = async () => {
      throw new Error('too many uploads');
    };
    await load.openFile(blobFile('a.txt', 10));
    expect(load.error).toBe('Could not open a.txt: too many uploads');
    expect(load.job).toBeNull();
  });
});

describe('upload chunking', () => {
  it('coalesces small reads and splits large ones', async () => {
    const parts = [new Uint8Array(3), new Uint8Array(3), new Uint8Array(11), new Uint8Array(1)];
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        parts.forEach((p) => c.enqueue(p));
        c.close();
      },
    });
    const sizes: number[] = [];
    for await (const chunk of rechunk(stream, 5)) sizes.push(chunk.length);
    expect(sizes).toEqual([5, 5, 5, 3]);
  });

  it('uploads an empty file as begin + end', async () => {
    const job = await uploadFile(api, blobFile('empty', 0), { cancelled: false }, 1 << 20);
    expect(job).toBe(7);
    expect(api.calls.map((c) => c.method)).toEqual(['info', 'beginUpload', 'endUpload']);
  });
});

describe('profile store', () => {
  it('zooms, resets, and builds breadcrumbs root first', () => {
    const profile = useProfileStore();
    profile.show(smallProfile(), []);
    const tree = profile.tree!;
    const deepest = tree.length - 1;
    profile.zoomTo(deepest);
    expect(profile.breadcrumbs.map((c) => c.name)[0]).toBe('all');
    expect(profile.breadcrumbs.at(-1)?.node).toBe(deepest);
    expect(profile.view?.end).toBe((profile.view?.start ?? 0) + tree.total[deepest]);
    profile.resetZoom();
    expect(profile.breadcrumbs.map((c) => c.name)).toEqual(['all']);
  });
});
