/**
 * Keeps the main side's copy of the view state current (API setViewState),
 * so Save and the native export — including the desktop menu's, which the
 * window does not see coming — write the state the user sees.
 */
import { watch } from 'vue';
import type { GuestperfApi } from '../../main/api/contract';
import { useProfileStore } from './profile';
import { snapshotViewState } from './view-state';

/** Quiet period before a change is sent: zooming or typing a search sends once. */
const DEBOUNCE_MS = 250;

export function syncViewState(api: GuestperfApi): () => void {
  const profile = useProfileStore();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let sent = '';
  const stop = watch(
    () => (profile.profile ? JSON.stringify(snapshotViewState()) : ''),
    (json) => {
      clearTimeout(timer);
      if (!json || json === sent) return;
      timer = setTimeout(() => {
        sent = json;
        // A trace closing in between makes the host refuse: nothing to keep.
        api.setViewState(json).catch(() => undefined);
      }, DEBOUNCE_MS);
    },
  );
  return () => {
    clearTimeout(timer);
    stop();
  };
}
