/**
 * The window's view state as one saveable object.
 *
 * Every store that holds view state (tab, zoom, selection, search, range,
 * ...) registers a slice with `registerViewState(key, save, restore)`. The
 * whole state is `snapshotViewState()`: a plain JSON object saved with the
 * trace (Profile.viewState) and handed to `restoreViewState()` when the trace
 * opens. A slice restores only what it recognises, so a trace saved by an
 * older or newer window restores what both understand and ignores the rest.
 *
 * Stores are created when their view first shows, which may be after the
 * trace opened: the restored state is kept, and a slice registered later
 * gets its part at registration.
 */
import { ref } from 'vue';

interface Slice {
  save(): unknown;
  restore(state: unknown): void;
}

const slices = new Map<string, Slice>();
/** The state the open trace was saved with, for slices not registered yet. */
let restored: Record<string, unknown> = {};
/** Bumped per registration, so a watcher of snapshotViewState() sees new slices. */
const registrations = ref(0);

/** Adds a store's slice; a second registration under a key replaces the first. */
export function registerViewState(key: string, save: () => unknown, restore: (state: unknown) => void): void {
  slices.set(key, { save, restore });
  registrations.value++;
  if (key in restored) restore(restored[key]);
}

export const VIEW_STATE_VERSION = 1;

export function snapshotViewState(): Record<string, unknown> {
  void registrations.value;
  const out: Record<string, unknown> = { version: VIEW_STATE_VERSION };
  for (const [key, slice] of slices) out[key] = slice.save();
  return out;
}

/** Slices the saved state does not mention keep their current state. */
export function restoreViewState(state: unknown): void {
  restored = isRecord(state) ? state : {};
  for (const [key, slice] of slices) if (key in restored) slice.restore(restored[key]);
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
