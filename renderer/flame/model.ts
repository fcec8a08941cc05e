/**
 * What the flame-graph canvas draws, as one object: the flame graph view
 * and the differential each build one from their store, and FlameGraph.vue
 * only maps it to pixels. Everything here is read-only for the canvas; it
 * reports clicks through `zoomTo`.
 */
import type { CallTree } from '../../profile/call-tree';
import type { FlameLayout, FlameView } from '../../profile/flame-layout';

/** Root at the bottom (flamegraph.pl) or at the top (an icicle graph). */
export type Orientation = 'flame' | 'icicle';

/** A frame's fill; the painter caches it per (tree, colours, theme), so it must not depend on anything else. */
export type FrameColors = (tree: CallTree, node: number, dark: boolean) => string;

export interface TooltipContent {
  title: string;
  rows: [label: string, value: string][];
}

export interface FlameModel {
  layout: FlameLayout | null;
  view: FlameView | null;
  orientation: Orientation;
  colors: FrameColors;
  /** Per node: 1 when it matches the search, 0 when it is dimmed; null when nothing is searched. */
  match: Uint8Array | null;
  /** The keyboard's selected node, -1 for none. */
  selected: number;
  /** Changes when a new profile is shown: the canvas marks its first paint (`markName`) once per value. */
  serial: number;
  tooltip(node: number): TooltipContent | null;
  zoomTo(node: number): void;
}
