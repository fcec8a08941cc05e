// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, nextTick, type App as VueApp } from 'vue';
import { createPinia } from 'pinia';
import App from '../../renderer/App.vue';
import { useLoadStore } from '../../renderer/stores/load';
import { useProfileStore } from '../../renderer/stores/profile';
import { serializeProfile } from '../../profile/serialize';
import { fakeApi, smallProfile } from './fake-api';

let app: VueApp | null = null;

afterEach(() => {
  app?.unmount();
  app = null;
  document.body.innerHTML = '';
});

async function mount() {
  const root = document.createElement('div');
  document.body.appendChild(root);
  const pinia = createPinia();
  app = createApp(App).use(pinia);
  app.mount(root);
  const api = fakeApi();
  await useLoadStore(pinia).connect(api);
  await nextTick();
  return { api, pinia, $: (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`) };
}

const frame = () => new Promise((r) => requestAnimationFrame(() => r(null)));

describe('window', () => {
  it('shows the empty state with an Open button until a profile arrives', async () => {
    const { $ } = await mount();
    expect($('empty-state')?.textContent).toContain('No profile open');
    expect($('open-button')).not.toBeNull();
    expect($('file-input')?.getAttribute('type')).toBe('file');
    expect($('flame-canvas')).toBeNull();
    expect($('status')?.textContent).toContain('No profile loaded');
  });

  it('shows progress with Cancel, then the flame graph, status and warnings', async () => {
    const { api, pinia, $ } = await mount();
    api.emit({ type: 'job-started', job: 3, name: 'p.txt', total: 200 });
    api.emit({ type: 'job-progress', job: 3, bytes: 50, total: 200 });
    await nextTick();
    expect($('progress')?.getAttribute('aria-valuenow')).toBe('50');
    expect($('cancel-button')).not.toBeNull();

    api.emit({ type: 'job-done', job: 3, name: 'p.txt', warnings: ['line 9: odd'], profile: serializeProfile(smallProfile('p.txt')) });
    await nextTick();
    await frame();
    expect($('progress')).toBeNull();
    const canvas = $('flame-canvas')!;
    expect(canvas.dataset.rootTotal).toBe('10');
    expect(canvas.dataset.framesDrawn).toBeDefined();
    expect($('status')?.textContent).toContain('p.txt · cycles · 10 samples total · 2 samples');
    expect($('warnings')?.textContent).toContain('line 9: odd');
    expect($('breadcrumbs')?.querySelectorAll('button').length).toBe(1);

    // Zoom in, then a breadcrumb and Esc zoom back out (node numbers of the merged tree).
    useProfileStore(pinia).setSplit(false);
    useProfileStore(pinia).zoomTo(3);
    await nextTick();
    const crumbs = () => Array.from($('breadcrumbs')!.querySelectorAll('button'), (b) => b.textContent?.trim());
    expect(crumbs()).toEqual(['all', 'main', 'kvm_vcpu_run', 'guest_fn']);
    $('breadcrumbs')!.querySelectorAll('button')[1].click();
    await nextTick();
    expect(crumbs()).toEqual(['all', 'main']);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    await nextTick();
    expect(crumbs()).toEqual(['all']);
  });

  it('shows a failed load in the error banner and keeps the shown profile', async () => {
    const { api, $ } = await mount();
    api.emit({ type: 'job-done', job: 1, name: 'ok.txt', warnings: [], profile: serializeProfile(smallProfile('ok.txt')) });
    api.emit({ type: 'job-failed', job: 2, name: 'bad.txt', message: 'not a profile' });
    await nextTick();
    expect($('error-banner')?.textContent).toContain('Could not open bad.txt: not a profile');
    expect($('flame-canvas')).not.toBeNull();
    expect($('status')?.textContent).toContain('ok.txt');
  });
});
