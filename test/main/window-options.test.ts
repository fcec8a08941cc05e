import { describe, expect, it } from 'vitest';
import { isTrustedSender, mainWindowOptions } from '../../main/app/window-options';

describe('main window options', () => {
  const prefs = mainWindowOptions('/app/out/preload/preload.cjs').webPreferences!;

  it('isolates the page: context isolation and sandbox on, no Node anywhere', () => {
    expect(prefs.contextIsolation).toBe(true);
    expect(prefs.sandbox).toBe(true);
    expect(prefs.nodeIntegration).toBe(false);
    expect(prefs.nodeIntegrationInWorker).toBe(false);
    expect(prefs.nodeIntegrationInSubFrames).toBe(false);
  });

  it('keeps web security on and refuses webviews, insecure content and drag-navigation', () => {
    expect(prefs.webSecurity).toBe(true);
    expect(prefs.allowRunningInsecureContent).toBe(false);
    expect(prefs.webviewTag).toBe(false);
    expect(prefs.experimentalFeatures).toBe(false);
    expect(prefs.navigateOnDragDrop).toBe(false);
  });

  it('loads the CommonJS preload it is given', () => {
    expect(prefs.preload).toBe('/app/out/preload/preload.cjs');
  });
});

describe('IPC sender check', () => {
  const appUrl = 'file:///opt/guestperf/out/renderer/index.html';

  it('accepts the top frame of our own page', () => {
    expect(isTrustedSender({ url: appUrl, parent: null }, appUrl)).toBe(true);
    expect(isTrustedSender({ url: `${appUrl}#view=flame`, parent: null }, appUrl)).toBe(true);
  });

  it('refuses subframes, other pages, other origins and missing frames', () => {
    expect(isTrustedSender({ url: appUrl, parent: {} }, appUrl)).toBe(false);
    expect(isTrustedSender({ url: 'file:///tmp/evil.html', parent: null }, appUrl)).toBe(false);
    expect(isTrustedSender({ url: 'https://example.com/index.html', parent: null }, appUrl)).toBe(false);
    expect(isTrustedSender({ url: 'not a url', parent: null }, appUrl)).toBe(false);
    expect(isTrustedSender(null, appUrl)).toBe(false);
  });

  it('accepts the dev server page only on its own host', () => {
    const dev = 'http://localhost:5173/';
    expect(isTrustedSender({ url: 'http://localhost:5173/', parent: null }, dev)).toBe(true);
    expect(isTrustedSender({ url: 'http://localhost:5174/', parent: null }, dev)).toBe(false);
  });
});
