import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { nextTick } from 'vue';
import { serializeProfile } from '../../profile/serialize';
import { useDiffStore } from '../../renderer/stores/diff';
import { useFlameStore } from '../../renderer/stores/flame';
import { useLoadStore } from '../../renderer/stores/load';
import { useProfileStore } from '../../renderer/stores/profile';
import { restoreViewState, snapshotViewState } from '../../renderer/stores/view-state';
import { fakeApi, smallProfile, type FakeApi } from './fake-api';

let api: FakeApi;

beforeEach(async () => {
  setActivePinia(createPinia());
  restoreViewState({});
  api = fakeApi();
  await useLoadStore().connect(api);
  api.emit({ type: 'job-done', job: 1, name: 'a.txt', warnings: [], profile: serializeProfile(smallProfile('a.txt')) });
  await nextTick();
});

describe('the flame graph’s and the differential’s view state', () => {
  it('saves orientation, palette, search, split, diff mode and normalisation, and restores them', async () => {
    const flame = useFlameStore();
    const diff = useDiffStore();
    const profile = useProfileStore();
    flame.setOrientation('icicle');
    flame.setPalette('colorblind');
    flame.setSearch('kvm_');
    profile.setSplit(false);
    diff.setMode('traces');
    diff.setNormalize(false);
    const saved = JSON.parse(JSON.stringify(snapshotViewState()));
    expect(saved.flame).toEqual({ orientation: 'icicle', palette: 'colorblind', search: 'kvm_' });
    expect(saved.diff).toEqual({ mode: 'traces', normalize: false });
    expect(saved.profile.split).toBe(false);

    flame.setOrientation('flame');
    flame.setPalette('context');
    flame.reset();
    profile.setSplit(true);
    diff.setMode('host-guest');
    diff.setNormalize(true);
    restoreViewState(saved);
    await nextTick();
    expect([flame.orientation, flame.palette, flame.search, profile.split]).toEqual(['icicle', 'colorblind', 'kvm_', false]);
    expect([diff.mode, diff.normalize]).toEqual(['traces', false]);
  });

  it('ignores values it does not know and keeps its state', () => {
    const flame = useFlameStore();
    restoreViewState({ flame: { orientation: 'sideways', palette: 42, search: null } });
    expect([flame.orientation, flame.palette, flame.search]).toEqual(['flame', 'context', '']);
  });

  it('routes a baseline’s profile to the differential and keeps the open profile', async () => {
    const diff = useDiffStore();
    const profile = useProfileStore();
    const shown = profile.profile;
    const bytes = new TextEncoder().encode('x');
    const file = { name: 'base.txt', size: bytes.length, stream: () => new Blob([bytes]).stream() };
    const pending = diff.compareWith(file);
    await expect.poll(() => api.calls.some((c) => c.method === 'endUpload')).toBe(true);
    const job = api.calls.find((c) => c.method === 'endUpload')!.args[0] as number;
    api.emit({ type: 'job-done', job, name: 'base.txt', warnings: [], profile: serializeProfile(smallProfile('base.txt')) });
    await pending;
    expect(profile.profile).toBe(shown);
    expect(diff.baseline?.meta.name).toBe('base.txt');
    expect(diff.mode).toBe('traces');
    expect(diff.diff).not.toBeNull();
  });
});
