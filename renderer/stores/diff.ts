/**
 * The differential view: which two sides it compares, and its own zoom.
 *
 * Modes: the host against the guests of the open trace; a baseline trace
 * the user opens ("Compare with…", through the load store's upload path)
 * against the open trace; or one scenario recorded under two vPMU designs
 * of one VM (two scenario runs on the main side). The sides become one
 * differential tree (profile/diff.ts), rebuilt only when a side changes.
 */
import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import type { ScenarioInfo, VpmuDesignName } from '../../main/api/contract';
import { ROOT_NODE } from '../../profile/call-tree';
import { buildDiffTree, diffOfProfiles, hostGuestDiff, type DiffTree } from '../../profile/diff';
import { zoom } from '../../profile/flame-layout';
import type { Profile } from '../../profile/model';
import type { FileLike } from '../api/upload';
import { useLoadStore } from './load';
import { useProfileStore } from './profile';
import { isRecord, registerViewState } from './view-state';

export const DIFF_MODES = ['host-guest', 'traces', 'designs'] as const;
export type DiffMode = (typeof DIFF_MODES)[number];

export interface DesignRun {
  scenario: string;
  vm: string;
  before: VpmuDesignName;
  after: VpmuDesignName;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The event of `p` named like `name`, else its first. */
function eventNamed(p: Profile, name: string | undefined): number {
  const i = p.events.findIndex((e) => e.name === name);
  return i >= 0 ? i : 0;
}

export const useDiffStore = defineStore('diff', () => {
  const profile = useProfileStore();
  const mode = ref<DiffMode>('host-guest');
  const normalize = ref(true);
  const baseline = shallowRef<Profile | null>(null);
  const designs = shallowRef<{ run: DesignRun; before: Profile; after: Profile } | null>(null);
  const scenarios = ref<ScenarioInfo[]>([]);
  const running = ref(false);
  const error = ref<string | null>(null);
  const zoomNode = ref(ROOT_NODE);
  const serial = ref(0);

  /** The differential profile and tree of the current mode, or why there is none. */
  const result = computed((): { diff: DiffTree; before: string; after: string } | { reason: string } => {
    const shown = profile.shown;
    try {
      if (mode.value === 'host-guest') {
        if (!shown) return { reason: 'Open a trace first.' };
        const d = hostGuestDiff(shown, profile.event, normalize.value);
        return side(buildDiffTree(d, { mergeContexts: true }), 'host', 'guests');
      }
      if (mode.value === 'traces') {
        if (!shown) return { reason: 'Open a trace first.' };
        const base = baseline.value;
        if (!base) return { reason: 'Choose “Compare with…” to open a baseline trace.' };
        const event = shown.events[profile.event]?.name;
        const d = diffOfProfiles(base, eventNamed(base, event), shown, profile.event, normalize.value);
        return side(buildDiffTree(d), base.meta.name, shown.meta.name);
      }
      const run = designs.value;
      if (!run) return { reason: 'Choose a scenario, a VM and two designs, then Run both.' };
      const d = diffOfProfiles(run.before, 0, run.after, 0, normalize.value);
      return side(buildDiffTree(d), `${run.run.vm}: ${run.run.before}`, `${run.run.vm}: ${run.run.after}`);
    } catch (e) {
      return { reason: message(e) };
    }
  });

  function side(diff: DiffTree, before: string, after: string) {
    if (diff.beforeTotal === 0 || diff.afterTotal === 0) {
      const empty = diff.beforeTotal === 0 ? before : after;
      return { reason: `Nothing to compare: ${empty} has no samples of this event.` };
    }
    return { diff: markRaw(diff), before, after };
  }

  const diff = computed(() => ('diff' in result.value ? result.value.diff : null));
  const view = computed(() => (diff.value ? zoom(diff.value.layout, zoomNode.value) : null));

  function setMode(next: string): void {
    const known = DIFF_MODES.find((m) => m === next);
    if (!known || known === mode.value) return;
    mode.value = known;
    zoomNode.value = ROOT_NODE;
    serial.value++;
  }

  function setNormalize(next: boolean): void {
    normalize.value = next;
    zoomNode.value = ROOT_NODE;
  }

  function zoomTo(node: number): void {
    const d = diff.value;
    if (d && node >= 0 && node < d.tree.length) zoomNode.value = node;
  }

  function resetZoom(): void {
    zoomNode.value = ROOT_NODE;
  }

  /** "Compare with…": the file's profile becomes the baseline; the open trace stays open. */
  async function compareWith(file: FileLike): Promise<void> {
    error.value = null;
    await useLoadStore().openFile(file, (p) => {
      baseline.value = markRaw(p);
      mode.value = 'traces';
      zoomNode.value = ROOT_NODE;
      serial.value++;
    });
  }

  async function loadScenarios(): Promise<void> {
    const api = useLoadStore().api;
    if (!api || scenarios.value.length > 0) return;
    try {
      scenarios.value = await api.listScenarios();
    } catch (e) {
      error.value = `Could not list scenarios: ${message(e)}`;
    }
  }

  /** Records the scenario once per design (the VM's design overridden) and diffs the two. */
  async function runDesigns(run: DesignRun): Promise<void> {
    if (running.value) return;
    running.value = true;
    error.value = null;
    const load = useLoadStore();
    const record = (design: VpmuDesignName) =>
      new Promise<Profile>((resolve, reject) => {
        const failed = (m: string) => reject(new Error(m));
        load.openInto((api) => api.openScenario(run.scenario, { vpmu: { [run.vm]: design } }), resolve, failed).catch(reject);
      });
    try {
      const before = await record(run.before);
      const after = await record(run.after);
      designs.value = markRaw({ run: { ...run }, before, after });
      mode.value = 'designs';
      zoomNode.value = ROOT_NODE;
      serial.value++;
    } catch (e) {
      error.value = `Could not run ${run.scenario} under ${run.before} and ${run.after}: ${message(e)}`;
    } finally {
      running.value = false;
    }
  }

  // The sides themselves are not saved (a baseline is another file); the mode and normalisation are.
  registerViewState(
    'diff',
    () => ({ mode: mode.value, normalize: normalize.value }),
    (s) => {
      if (!isRecord(s)) return;
      if (typeof s.mode === 'string') setMode(s.mode);
      if (typeof s.normalize === 'boolean') setNormalize(s.normalize);
    },
  );

  return {
    mode,
    normalize,
    baseline,
    designs,
    scenarios,
    running,
    error,
    result,
    diff,
    view,
    zoomNode,
    serial,
    setMode,
    setNormalize,
    zoomTo,
    resetZoom,
    compareWith,
    loadScenarios,
    runDesigns,
  };
});
