/**
 * The main window's options: the security settings live here, in one place, so
 * a unit test can pin them (Electron's security checklist, docs/tutorial/security.md).
 */
import type { BrowserWindowConstructorOptions } from 'electron';

export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 800,
    minWidth: 640,
    minHeight: 400,
    title: 'guestperf',
    show: false,
    backgroundColor: '#1e1e24',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  };
}

/**
 * IPC is accepted only from the window's own top frame showing our page: an
 * injected iframe or a navigated-away frame must not reach the handlers.
 */
export function isTrustedSender(frame: { url: string; parent: unknown } | null, appUrl: string): boolean {
  if (!frame || frame.parent !== null) return false;
  try {
    const got = new URL(frame.url);
    const want = new URL(appUrl);
    return got.protocol === want.protocol && got.host === want.host && got.pathname === want.pathname;
  } catch {
    return false;
  }
}
