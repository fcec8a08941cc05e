/**
 * The window's view state as one saveable object.
 *
 * Every store that holds view state (tab, zoom, selection, search, range,
 * ...) registers a slice with `registerViewState(key, save, restore)`. The
 * whole state is `snapshotViewState()`: a plain JSON object saved with the
 * trace (Profile.viewState) and handed to `restoreViewState()` when the trace
 * opens. A slice restores only what it recognises, so a trace saved by an
 * older or newer window restores what both understand and ignores the rest.
 */

interface Slice {
  save(): unknown;
  restore(state: unknown): void;
}

const slices = new Map<string, Slice>();

/** Adds a store's slice; a second registration under a key replaces the first. */
export function registerViewState(key: string, save: () => unknown, restore: (state: unknown) => void): void {
  slices.set(key, { save, restore });
}

export const VIEW_STATE_VERSION = 1;

export function snapshotViewState(): Record<string, unknown> {
  const out: Record<string, unknown> = { version: VIEW_STATE_VERSION };
  for (const [key, slice] of slices) out[key] = slice.save();
  return out;
}

/** Slices the saved state does not mention keep their current state. */
export function restoreViewState(state: unknown): void {
  if (!isRecord(state)) return;
  for (const [key, slice] of slices) if (key in state) slice.restore(state[key]);
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
