/**
 * The timeline's view state: which CPU's tracks are shown (-1: system-wide),
 * the visible time window (null: the whole trace) and the series the user
 * hid. The selected time range is the profile store's (every view filters
 * by it); this store only holds how the timeline looks.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { isRecord, registerViewState } from './view-state';

export interface TimeWindow {
  start: number;
  end: number;
}

/** Narrower than this the counter points are far apart and the view says nothing more. */
const MIN_WINDOW_NS = 1_000;

export const useTimelineStore = defineStore('timeline', () => {
  const cpu = ref(-1);
  const window = ref<TimeWindow | null>(null);
  const hidden = ref<string[]>([]);

  /** Shows [start, end] clamped to `extent`; the whole extent resets the zoom. */
  function setWindow(start: number, end: number, extent: TimeWindow): void {
    let width = Math.max(MIN_WINDOW_NS, end - start);
    width = Math.min(width, extent.end - extent.start);
    const s = Math.min(Math.max(start, extent.start), extent.end - width);
    window.value = s <= extent.start && s + width >= extent.end ? null : { start: s, end: s + width };
  }

  function resetWindow(): void {
    window.value = null;
  }

  function setCpu(next: number): void {
    cpu.value = Number.isInteger(next) && next >= -1 ? next : -1;
  }

  function toggleSeries(label: string): void {
    hidden.value = hidden.value.includes(label) ? hidden.value.filter((l) => l !== label) : [...hidden.value, label];
  }

  registerViewState(
    'timeline',
    () => ({ cpu: cpu.value, window: window.value, hidden: hidden.value }),
    (s) => {
      if (!isRecord(s)) return;
      if (typeof s.cpu === 'number') setCpu(s.cpu);
      const w = s.window;
      window.value = isRecord(w) && typeof w.start === 'number' && typeof w.end === 'number' && w.end > w.start ? { start: w.start, end: w.end } : null;
      hidden.value = Array.isArray(s.hidden) ? s.hidden.filter((l): l is string => typeof l === 'string') : [];
    },
  );

  return { cpu, window, hidden, setWindow, resetWindow, setCpu, toggleSeries };
});
