/** Binds a window's ApiSession to Electron IPC, one channel per method. */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import type { ApiSession } from '../api/session';
import { API_METHOD_NAMES, dispatch } from '../api/validate';
import { isTrustedSender } from './window-options';

export const CHANNEL_PREFIX = 'guestperf:';
export const EVENT_CHANNEL = 'guestperf:event';

export function bindIpc(win: BrowserWindow, session: ApiSession, appUrl: string): () => void {
  const handle = (method: string) => (event: IpcMainInvokeEvent, ...args: unknown[]) => {
    if (event.sender !== win.webContents || !isTrustedSender(event.senderFrame, appUrl)) {
      throw new Error(`${method}: refused: the request did not come from the guestperf window`);
    }
    return dispatch(session, method, args);
  };
  for (const method of API_METHOD_NAMES) ipcMain.handle(CHANNEL_PREFIX + method, handle(method));
  return () => {
    for (const method of API_METHOD_NAMES) ipcMain.removeHandler(CHANNEL_PREFIX + method);
  };
}
