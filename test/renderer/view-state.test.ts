import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { nextTick } from 'vue';
import { useLoadStore } from '../../renderer/stores/load';
import { useProfileStore } from '../../renderer/stores/profile';
import { useViewStore } from '../../renderer/stores/view';
import { registerViewState, restoreViewState, snapshotViewState } from '../../renderer/stores/view-state';
import { syncViewState } from '../../renderer/stores/view-state-sync';
import { serializeProfile } from '../../profile/serialize';
import { VIEW_TABS } from '../../renderer/views';
import { VIEW_TAB_IDS } from '../../renderer/stores/view';
import { fakeApi, smallProfile, type FakeApi } from './fake-api';

let api: FakeApi;

beforeEach(async () => {
  setActivePinia(createPinia());
  restoreViewState({});
  api = fakeApi();
  await useLoadStore().connect(api);
});

function open(job: number, viewState?: unknown): void {
  const profile = { ...smallProfile('a.txt'), viewState };
  api.emit({ type: 'job-done', job, name: 'a.txt', warnings: [], profile: serializeProfile(profile) });
}

describe('the view state saved with a trace', () => {
  it('has a component for every tab id', () => {
    expect(VIEW_TABS.map((t) => t.id)).toEqual([...VIEW_TAB_IDS]);
  });

  it('restores the saved tab and zoom after the stores have reset for the new trace', async () => {
    const view = useViewStore();
    const profile = useProfileStore();
    open(1, { version: 1, view: { tab: 'tree' }, profile: { event: 0, range: null, zoomNode: 1 } });
    expect(profile.profile?.meta.name).toBe('a.txt');
    await nextTick();
    expect(view.tab).toBe('tree');
    expect(profile.zoomNode).toBe(1);
    expect(snapshotViewState()).toMatchObject({ version: 1, view: { tab: 'tree' }, profile: { zoomNode: 1, range: null } });
  });

  it('ignores what it does not understand and keeps the rest', async () => {
    const view = useViewStore();
    view.setTab('stat');
    open(1, { view: { tab: 'no-such-tab' }, future: { x: 1 }, profile: 'garbage' });
    await nextTick();
    expect(view.tab).toBe('stat');
    expect(useProfileStore().zoomNode).toBe(0);
  });

  it('gives a store registered after the trace opened its part of the saved state', async () => {
    open(1, { late: { value: 42 } });
    await nextTick();
    const restore = vi.fn();
    registerViewState('late', () => null, restore);
    expect(restore).toHaveBeenCalledWith({ value: 42 });
  });

  it('sends the state to the host once it settles, not per change', async () => {
    vi.useFakeTimers();
    try {
      const stop = syncViewState(api);
      open(1);
      await nextTick();
      const view = useViewStore();
      view.setTab('tree');
      await nextTick();
      view.setTab('timeline');
      await nextTick();
      vi.advanceTimersByTime(300);
      const sent = api.calls.filter((c) => c.method === 'setViewState');
      expect(sent).toHaveLength(1);
      expect(JSON.parse(sent[0].args[0] as string)).toMatchObject({ view: { tab: 'timeline' } });
      stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
