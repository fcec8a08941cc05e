/**
 * The call tree tab's state: top-down or bottom-up, which nodes are expanded,
 * the row cursor, and the sandwich of the selected function (shown as tables
 * or as flame graphs).
 *
 * Expansion is per tree (node numbers mean nothing in another tree), kept in
 * a TreeState: a plain Set behind a revision counter, since a reactive Set of
 * 100k nodes would cost more than the table it feeds. When the tree changes
 * (a new range, event or split), the expanded paths carry over by function
 * path; saved with the trace, they are paths too.
 */
import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowReactive } from 'vue';
import { ROOT_NODE, isGroupNode, nodeName, type CallTree } from '../../profile/call-tree';
import { buildBottomUpTree } from '../../profile/bottom-up';
import type { Profile } from '../../profile/model';
import { buildSandwich, type Sandwich } from '../../profile/sandwich';
import { expandAll, findPath, hasChildren, heaviestPath, nodePath } from '../components/calltree/tree-rows';
import { useProfileStore } from './profile';
import { useSelectionStore, type SelectedFunction } from './selection';
import { isRecord, registerViewState } from './view-state';

export interface TreeState {
  readonly expanded: Set<number>;
  /** The row the keyboard acts on, -1 for none. */
  cursor: number;
  /** Bumped on every change of `expanded`; what the table's rows depend on. */
  rev: number;
}

/** Paths saved or carried over at most: enough for any hand-expanded tree. */
const MAX_SAVED_PATHS = 2000;

function createState(tree: CallTree, expandedPaths: readonly string[][] | null, cursorPath: readonly string[] | null): TreeState {
  const expanded = new Set<number>();
  if (expandedPaths) {
    expanded.add(ROOT_NODE);
    for (const path of expandedPaths) {
      const n = findPath(tree, path);
      if (n >= 0 && hasChildren(tree, n)) expanded.add(n);
    }
  } else {
    for (const n of heaviestPath(tree)) expanded.add(n);
  }
  const cursor = cursorPath ? findPath(tree, cursorPath) : -1;
  return shallowReactive({ expanded: markRaw(expanded), cursor, rev: 0 });
}

function expandedPaths(tree: CallTree, state: TreeState): string[][] {
  const out: string[][] = [];
  for (const n of state.expanded) {
    if (n === ROOT_NODE) continue;
    if (out.length >= MAX_SAVED_PATHS) break;
    out.push(nodePath(tree, n));
  }
  return out;
}

export function toggle(state: TreeState, node: number, open?: boolean): void {
  const isOpen = state.expanded.has(node);
  if (open ?? !isOpen) state.expanded.add(node);
  else state.expanded.delete(node);
  if (isOpen !== state.expanded.has(node)) state.rev++;
}

export function moveCursor(state: TreeState, node: number): void {
  state.cursor = node;
}

export function expandBelow(tree: CallTree, state: TreeState, node: number): void {
  expandAll(tree, node, state.expanded);
  state.rev++;
}

/** Sandwich trees open on the function and its heaviest callers or callees. */
function sandwichState(tree: CallTree): TreeState {
  return createState(tree, null, null);
}

const bottomUpCache = new WeakMap<Profile, Map<number, CallTree>>();

function bottomUpOf(profile: Profile, event: number): CallTree {
  let perEvent = bottomUpCache.get(profile);
  if (!perEvent) bottomUpCache.set(profile, (perEvent = new Map()));
  let tree = perEvent.get(event);
  if (!tree) perEvent.set(event, (tree = markRaw(buildBottomUpTree(profile, { event }))));
  return tree;
}

/** How the sandwich's callers and callees are shown. */
export type SandwichAs = 'tables' | 'flames';

interface Saved {
  inverted: boolean;
  /** Absent in traces saved before the flame graphs. */
  sandwichAs?: SandwichAs;
  expanded: string[][] | null;
  cursor: string[] | null;
}

export const useCallTreeStore = defineStore('calltree', () => {
  const profile = useProfileStore();
  const selection = useSelectionStore();
  const inverted = ref(false);
  const sandwichAs = ref<SandwichAs>('tables');

  const bottomUp = computed(() => (profile.shown ? bottomUpOf(profile.shown, profile.event) : null));
  const tree = computed(() => (inverted.value ? bottomUp.value : profile.tree));

  // One state per tree; the last one of each direction is what a new tree of
  // that direction inherits its expansion from.
  let states = new WeakMap<CallTree, TreeState>();
  const last: Record<'down' | 'up', { tree: CallTree; state: TreeState } | null> = { down: null, up: null };
  let pending: Saved | null = null;
  const restored = ref(0);

  const state = computed(() => {
    void restored.value;
    const t = tree.value;
    if (!t) return null;
    let s = states.get(t);
    if (!s) {
      const dir = inverted.value ? 'up' : 'down';
      const prev = last[dir];
      if (pending && pending.inverted === inverted.value) {
        s = createState(t, pending.expanded, pending.cursor);
        pending = null;
      } else if (prev) {
        s = createState(t, expandedPaths(prev.tree, prev.state), prev.state.cursor >= 0 ? nodePath(prev.tree, prev.state.cursor) : null);
      } else {
        s = createState(t, null, null);
      }
      states.set(t, s);
      last[dir] = markRaw({ tree: t, state: s });
    }
    return s;
  });

  const sandwich = computed<Sandwich | null>(() => {
    const sel = selection.selected;
    const p = profile.shown;
    return sel && p ? sandwichOf(p, profile.event, sel) : null;
  });
  const callersState = computed(() => (sandwich.value ? sandwichState(sandwich.value.callers) : null));
  const calleesState = computed(() => (sandwich.value ? sandwichState(sandwich.value.callees) : null));

  function setInverted(next: boolean): void {
    inverted.value = next;
  }

  function setSandwichAs(next: SandwichAs): void {
    sandwichAs.value = next;
  }

  /** Selects the function of a row: the sandwich shows it. The root and split groups are no function. */
  function selectNode(t: CallTree, node: number): void {
    if (node <= ROOT_NODE || node >= t.length || isGroupNode(t, node)) return;
    selection.select(nodeName(t, node), t.context[node]);
  }

  registerViewState(
    'calltree',
    (): Saved => {
      const t = tree.value;
      const s = state.value;
      return {
        inverted: inverted.value,
        sandwichAs: sandwichAs.value,
        expanded: t && s ? expandedPaths(t, s) : null,
        cursor: t && s && s.cursor >= 0 ? nodePath(t, s.cursor) : null,
      };
    },
    (saved) => {
      if (!isRecord(saved)) return;
      const paths = (v: unknown): string[][] | null =>
        Array.isArray(v) ? v.filter((p): p is string[] => Array.isArray(p) && p.every((k) => typeof k === 'string')) : null;
      const cursor = paths([saved.cursor])?.[0] ?? null;
      const next = saved.inverted === true;
      sandwichAs.value = saved.sandwichAs === 'flames' ? 'flames' : 'tables';
      pending = { inverted: next, expanded: paths(saved.expanded), cursor };
      inverted.value = next;
      states = new WeakMap();
      last.down = last.up = null;
      restored.value++;
    },
  );

  return { inverted, sandwichAs, tree, state, bottomUp, sandwich, callersState, calleesState, setInverted, setSandwichAs, selectNode };
});

/** The last sandwich built: selecting a function again, or switching tabs, costs nothing. */
let lastSandwich: { profile: Profile; event: number; name: string; context: number; value: Sandwich | null } | null = null;

function sandwichOf(p: Profile, event: number, sel: SelectedFunction): Sandwich | null {
  const l = lastSandwich;
  if (l && l.profile === p && l.event === event && l.name === sel.name && l.context === sel.context) return l.value;
  const value = buildSandwich(p, sel.name, sel.context, { event });
  lastSandwich = { profile: p, event, name: sel.name, context: sel.context, value: value && markRaw(value) };
  return lastSandwich.value;
}
