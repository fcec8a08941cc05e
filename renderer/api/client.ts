/**
 * Which GuestperfApi the window talks to: the preload's `window.guestperf`
 * in Electron, else the web host's WebSocket.
 *
 * Browser mode: the web host opens the page as `/?token=...`. The token is
 * kept in sessionStorage (so a reload of this tab keeps working) and removed
 * from the address bar, so it does not end up in history, bookmarks or
 * screenshots.
 */
import type { GuestperfApi } from '../../main/api/contract';
import { connectWebSocketApi, type WsClientOptions } from './ws-client';

declare global {
  interface Window {
    /** Exposed by the Electron preload (main/preload); absent in a browser. */
    guestperf?: GuestperfApi;
  }
}

const TOKEN_KEY = 'guestperf.token';

/** The API token: from `?token=` (then remembered), else the one remembered for this tab. */
export function takeToken(loc: Location = location, storage: Storage = sessionStorage, hist: History = history): string {
  const url = new URL(loc.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    storage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    hist.replaceState(hist.state, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return storage.getItem(TOKEN_KEY) ?? '';
}

export function webSocketUrl(host: string, token: string): string {
  return `ws://${host}/api?token=${encodeURIComponent(token)}`;
}

export async function connectApi(options: Pick<WsClientOptions, 'onClose'> = {}): Promise<GuestperfApi> {
  if (window.guestperf) return window.guestperf;
  const token = takeToken();
  if (!token) {
    throw new Error('No API token: open the address the guestperf web host printed (it ends in ?token=…).');
  }
  return connectWebSocketApi(webSocketUrl(location.host, token), options);
}
