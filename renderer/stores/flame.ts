/**
 * How the flame graph is viewed, beside what the profile store holds (tree,
 * zoom, split): orientation, palette, the regex search, the keyboard's
 * selection and the key overlay. All but the selection and the overlay save
 * with the trace.
 */
import { defineStore } from 'pinia';
import { computed, markRaw, ref, watch } from 'vue';
import { ROOT_NODE, isGroupNode, type CallTree } from '../../profile/call-tree';
import type { FrameColors, Orientation } from '../flame/model';
import { moveSelection, type Move } from '../flame/navigate';
import { PALETTES, frameColor, type PaletteName } from '../flame/palette';
import { searchTree } from '../flame/search';
import { useProfileStore } from './profile';
import { isRecord, registerViewState } from './view-state';

const ROOT_COLOR = { light: 'hsl(220 8% 78%)', dark: 'hsl(220 8% 46%)' };

/** Group nodes (host, vm0, ...) are places, not functions: one flat colour of their context. */
function contextColors(palette: PaletteName): FrameColors {
  return markRaw((tree: CallTree, node: number, dark: boolean) => {
    if (node === ROOT_NODE) return dark ? ROOT_COLOR.dark : ROOT_COLOR.light;
    const name = isGroupNode(tree, node) ? '' : tree.strings[tree.name[node]];
    return frameColor(tree.context[node], name, dark, palette);
  });
}

/** One function per palette, so the painter's colour cache keys on it. */
const COLORS: Record<PaletteName, FrameColors> = { context: contextColors('context'), colorblind: contextColors('colorblind') };

export const useFlameStore = defineStore('flame', () => {
  const profile = useProfileStore();
  const orientation = ref<Orientation>('flame');
  const palette = ref<PaletteName>('context');
  const search = ref('');
  const selected = ref(-1);
  const helpOpen = ref(false);

  const result = computed(() => markRaw(searchTree(profile.tree, search.value)));
  const colors = computed(() => COLORS[palette.value]);

  // A selection is a node of one tree: a new tree (profile, event, split, range) drops it.
  watch(
    () => profile.tree,
    () => (selected.value = -1),
  );

  function setOrientation(next: string): void {
    if (next === 'flame' || next === 'icicle') orientation.value = next;
  }

  function setPalette(next: string): void {
    const known = PALETTES.find((p) => p === next);
    if (known) palette.value = known;
  }

  /** An invalid pattern is kept as typed (the view shows the error); the last valid highlight is not needed. */
  function setSearch(next: string): void {
    search.value = next;
  }

  function select(node: number): void {
    const tree = profile.tree;
    selected.value = tree && node >= 0 && node < tree.length ? node : -1;
  }

  /** Moves the selection; with none yet, the first move selects the zoomed node. */
  function move(step: Move): void {
    const tree = profile.tree;
    if (!tree) return;
    if (selected.value < 0) selected.value = profile.view?.node ?? ROOT_NODE;
    else selected.value = moveSelection(tree, selected.value, step);
  }

  function zoomToSelection(): void {
    if (selected.value >= 0) profile.zoomTo(selected.value);
  }

  /** Esc: zoom, search and selection back to where a fresh view starts. */
  function reset(): void {
    profile.resetZoom();
    search.value = '';
    selected.value = -1;
    helpOpen.value = false;
  }

  registerViewState(
    'flame',
    () => ({ orientation: orientation.value, palette: palette.value, search: search.value }),
    (s) => {
      if (!isRecord(s)) return;
      if (typeof s.orientation === 'string') setOrientation(s.orientation);
      if (typeof s.palette === 'string') setPalette(s.palette);
      if (typeof s.search === 'string') setSearch(s.search);
    },
  );

  return { orientation, palette, search, selected, helpOpen, result, colors, setOrientation, setPalette, setSearch, select, move, zoomToSelection, reset };
});
