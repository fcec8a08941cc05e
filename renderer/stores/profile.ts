/**
 * The profile on screen and how it is viewed (event, zoom). Derived data
 * (call tree, layout) is computed here from the pure profile/ modules, once
 * per (profile, event), and kept out of Vue's reactivity: it is large,
 * columnar and immutable.
 */
import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import { ROOT_NODE, ancestors, buildCallTree, nodeName, type CallTree } from '../../profile/call-tree';
import { buildFlameLayout, zoom, type FlameLayout } from '../../profile/flame-layout';
import type { Profile } from '../../profile/model';

interface Derived {
  tree: CallTree;
  layout: FlameLayout;
}

/** Per profile, per event: switching events back and forth does not rebuild. */
const derivedCache = new WeakMap<Profile, Map<number, Derived>>();

function derive(profile: Profile, event: number): Derived {
  let perEvent = derivedCache.get(profile);
  if (!perEvent) derivedCache.set(profile, (perEvent = new Map()));
  let d = perEvent.get(event);
  if (!d) {
    const tree = buildCallTree(profile, { event });
    d = markRaw({ tree, layout: buildFlameLayout(tree) });
    perEvent.set(event, d);
  }
  return d;
}

export const useProfileStore = defineStore('profile', () => {
  const profile = shallowRef<Profile | null>(null);
  const warnings = ref<string[]>([]);
  const event = ref(0);
  const zoomNode = ref(ROOT_NODE);
  /** Increments each time a new profile is shown (the flame graph marks its first paint). */
  const serial = ref(0);

  const derived = computed(() => (profile.value ? derive(profile.value, event.value) : null));
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

  return {
    profile,
    warnings,
    event,
    zoomNode,
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
  };
});
