/**
 * The sandboxed preload: exposes exactly one typed object, `window.guestperf`,
 * whose methods map one-to-one onto the validated IPC channels. ipcRenderer
 * itself never reaches the page.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ApiEvent, GuestperfApi } from '../api/contract';
import { API_METHOD_NAMES } from '../api/validate';

const api = Object.fromEntries(
  API_METHOD_NAMES.map((method) => [method, (...args: unknown[]) => ipcRenderer.invoke(`guestperf:${method}`, ...args)]),
) as Omit<GuestperfApi, 'onEvent'>;

const exposed: GuestperfApi = {
  ...api,
  onEvent(listener) {
    const handler = (_e: IpcRendererEvent, event: ApiEvent) => listener(event);
    ipcRenderer.on('guestperf:event', handler);
    return () => void ipcRenderer.removeListener('guestperf:event', handler);
  },
};

contextBridge.exposeInMainWorld('guestperf', exposed);
