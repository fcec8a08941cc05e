/**
 * The profile on screen and how it is viewed (event, time range, zoom).
 * Derived data (the range-filtered profile, call tree, layout) is computed
 * here from the pure profile/ modules, once per (profile, range, event), and
 * kept out of Vue's reactivity: it is large, columnar and immutable.
 *
 * `shown` is the profile every view projects: the whole profile, or only
 * its time range once one is selected (the timeline selects it).
 */
import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import { ROOT_NODE, ancestors, buildCallTree, nodeName, type CallTree } from '../../profile/call-tree';
import { buildFlameLayout, zoom, type FlameLayout } from '../../profile/flame-layout';
import type { Profile } from '../../profile/model';
import { filterTimeRange } from '../../profile/transforms';
import { isRecord, registerViewState } from './view-state';

/** A selected time range, [start, end) in the profile's nanoseconds. */
export interface TimeRange {
  start: number;
  end: number;
}

interface Derived {
  tree: CallTree;
  layout: FlameLayout;
}

/** Per profile, per (event, split): switching back and forth does not rebuild. */
const derivedCache = new WeakMap<Profile, Map<string, Derived>>();

function derive(profile: Profile, event: number, split: boolean): Derived {
  let perKey = derivedCache.get(profile);
  if (!perKey) derivedCache.set(profile, (perKey = new Map()));
  const key = `${event}/${split}`;
  let d = perKey.get(key);
  if (!d) {
    const tree = buildCallTree(profile, { event, split });
    d = markRaw({ tree, layout: buildFlameLayout(tree) });
    perKey.set(key, d);
  }
  return d;
}

export const useProfileStore = defineStore('profile', () => {
  const profile = shallowRef<Profile | null>(null);
  const warnings = ref<string[]>([]);
  const event = ref(0);
  const range = ref<TimeRange | null>(null);
  const zoomNode = ref(ROOT_NODE);
  /** The root split into host, hypervisor, guests and vCPUs (call-tree.ts), or merged. */
  const split = ref(true);
  /** Increments each time a new profile is shown (the flame graph marks its first paint). */
  const serial = ref(0);

  const shown = computed(() => {
    const p = profile.value;
    if (!p || !range.value) return p;
    return markRaw(filterTimeRange(p, range.value.start, range.value.end));
  });
  const derived = computed(() => (shown.value ? derive(shown.value, event.value, split.value) : null));
  const tree = computed(() => derived.value?.tree ?? null);
  const layout = computed(() => derived.value?.layout ?? null);
  const view = computed(() => (layout.value ? zoom(layout.value, zoomNode.value) : null));
  const breadcrumbs = computed(() => {
    const t = tree.value;
    if (!t || t.length === 0) return [];
    return ancestors(t, view.value?.node ?? ROOT_NODE).map((node) => ({ node, name: nodeName(t, node) }));
  });
  const weightUnit = computed(() => profile.value?.meta.weightUnit ?? 'samples');

  function show(next: Profile, nextWarnings: string[]): void {
    profile.value = markRaw(next);
    warnings.value = nextWarnings;
    event.value = 0;
    range.value = null;
    zoomNode.value = ROOT_NODE;
    serial.value++;
  }

  function setEvent(index: number): void {
    if (!profile.value || index === event.value) return;
    if (index < 0 || index >= profile.value.events.length) return;
    event.value = index;
    zoomNode.value = ROOT_NODE;
  }

  /** Zooms so `node` fills the width; zooming to the root is a reset. */
  function zoomTo(node: number): void {
    if (tree.value && node >= 0 && node < tree.value.length) zoomNode.value = node;
  }

  function resetZoom(): void {
    zoomNode.value = ROOT_NODE;
  }

  /** Splits or merges the root; zoom is a node of the other tree, so it resets. */
  function setSplit(next: boolean): void {
    if (next === split.value) return;
    split.value = next;
    zoomNode.value = ROOT_NODE;
  }

  /** Shows only [start, end); an empty or inverted range clears the selection. */
  function setRange(start: number, end: number): void {
    if (!(end > start)) {
      clearRange();
      return;
    }
    range.value = { start, end };
    zoomNode.value = ROOT_NODE;
  }

  function clearRange(): void {
    if (range.value === null) return;
    range.value = null;
    zoomNode.value = ROOT_NODE;
  }

  // Zoom is a call-tree node, meaningful only for the tree it was saved with:
  // restore it after the event, split and range that build that tree.
  registerViewState(
    'profile',
    () => ({ event: event.value, split: split.value, range: range.value, zoomNode: zoomNode.value }),
    (s) => {
      if (!isRecord(s)) return;
      if (typeof s.event === 'number') setEvent(s.event);
      if (typeof s.split === 'boolean') setSplit(s.split);
      const r = s.range;
      if (isRecord(r) && typeof r.start === 'number' && typeof r.end === 'number') setRange(r.start, r.end);
      else clearRange();
      if (typeof s.zoomNode === 'number') zoomTo(s.zoomNode);
    },
  );

  return {
    profile,
    warnings,
    event,
    range,
    shown,
    zoomNode,
    split,
    serial,
    tree,
    layout,
    view,
    breadcrumbs,
    weightUnit,
    show,
    setEvent,
    zoomTo,
    resetZoom,
    setSplit,
    setRange,
    clearRange,
  };
});
