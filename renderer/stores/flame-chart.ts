/**
 * The flame chart tab's state: lanes by thread or by CPU, which lanes are
 * expanded (the others show an activity strip), the focused lane, and the
 * one time window every lane shares. The chart itself (profile/flame-chart.ts) is
 * built from the profile store's shown profile and event, once per
 * (profile, event, lane mode), outside Vue's reactivity.
 */
import { defineStore } from 'pinia';
import { computed, markRaw, ref } from 'vue';
import { buildFlameChart, type FlameChart, type LaneMode } from '../../profile/flame-chart';
import type { Profile } from '../../profile/model';
import { useProfileStore } from './profile';
import { isRecord, registerViewState } from './view-state';

/** The visible x range, in the chart's units (ns, or weight for untimed traces). */
export interface ChartWindow {
  start: number;
  end: number;
}

const cache = new WeakMap<Profile, Map<string, FlameChart>>();

function chartOf(profile: Profile, event: number, lanes: LaneMode): FlameChart {
  let perKey = cache.get(profile);
  if (!perKey) cache.set(profile, (perKey = new Map()));
  const key = `${event}/${lanes}`;
  let chart = perKey.get(key);
  if (!chart) perKey.set(key, (chart = markRaw(buildFlameChart(profile, { event, lanes }))));
  return chart;
}

export const useFlameChartStore = defineStore('flame-chart', () => {
  const profile = useProfileStore();
  const mode = ref<LaneMode>('thread');
  /** The lane focused by key; null (or a key the chart lacks) focuses the busiest. */
  const laneKey = ref<string | null>(null);
  /** Keys of the expanded lanes; null: only the busiest. */
  const expandedKeys = ref<string[] | null>(null);
  /** null: the whole chart. */
  const zoomWindow = ref<ChartWindow | null>(null);

  const chart = computed(() => (profile.shown ? chartOf(profile.shown, profile.event, mode.value) : null));
  const lane = computed(() => {
    const c = chart.value;
    if (!c || c.lanes.length === 0) return null;
    return c.lanes.find((l) => l.key === laneKey.value) ?? c.lanes[0];
  });
  const expanded = computed<ReadonlySet<string>>(() => {
    const c = chart.value;
    if (expandedKeys.value) return new Set(expandedKeys.value);
    return new Set(c && c.lanes.length > 0 ? [c.lanes[0].key] : []);
  });
  /** The window clamped to the chart; the whole chart when none is set. */
  const view = computed<ChartWindow>(() => {
    const c = chart.value;
    if (!c) return { start: 0, end: 1 };
    const full = { start: c.start, end: c.end > c.start ? c.end : c.start + 1 };
    const w = zoomWindow.value;
    if (!w || !(w.end > w.start)) return full;
    const span = Math.min(w.end - w.start, full.end - full.start);
    const start = Math.min(Math.max(w.start, full.start), full.end - span);
    return { start, end: start + span };
  });

  function setMode(next: LaneMode): void {
    if (next === mode.value) return;
    mode.value = next;
    laneKey.value = null;
    expandedKeys.value = null;
  }

  /** Focuses a lane: it is expanded, and the chart scrolls to it. */
  function setLane(key: string): void {
    laneKey.value = key;
    if (!expanded.value.has(key)) expandedKeys.value = [...expanded.value, key];
  }

  function toggleLane(key: string): void {
    const keys = [...expanded.value];
    expandedKeys.value = keys.includes(key) ? keys.filter((k) => k !== key) : [...keys, key];
  }

  /** Expands every lane (true) or collapses them all. */
  function expandAll(open: boolean): void {
    expandedKeys.value = open ? (chart.value?.lanes.map((l) => l.key) ?? []) : [];
  }

  /** Shows [start, end), clamped to the chart when drawn. */
  function setWindow(start: number, end: number): void {
    zoomWindow.value = end > start ? { start, end } : null;
  }

  function resetWindow(): void {
    zoomWindow.value = null;
  }

  registerViewState(
    'flameChart',
    () => ({ mode: mode.value, lane: laneKey.value, expanded: expandedKeys.value, window: zoomWindow.value }),
    (s) => {
      if (!isRecord(s)) return;
      if (s.mode === 'thread' || s.mode === 'cpu') setMode(s.mode);
      laneKey.value = typeof s.lane === 'string' ? s.lane : null;
      const open = s.expanded;
      expandedKeys.value = Array.isArray(open) ? open.filter((k): k is string => typeof k === 'string') : null;
      const w = s.window;
      if (isRecord(w) && typeof w.start === 'number' && typeof w.end === 'number') setWindow(w.start, w.end);
      else resetWindow();
    },
  );

  return { mode, laneKey, expandedKeys, zoomWindow, chart, lane, expanded, view, setMode, setLane, toggleLane, expandAll, setWindow, resetWindow };
});
