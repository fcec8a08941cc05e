/**
 * Electron main process: one secure window, the native menu, and the same
 * ApiSession the web host uses, bound to IPC. Everything that is not Electron
 * lifecycle lives in main/api and main/parse.
 */
import { existsSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, Menu, session as electronSession } from 'electron';
import type { ApiEvent } from '../api/contract';
import { recentFilesAt } from '../api/recent-files';
import { ApiSession } from '../api/session';
import { maxFileBytes } from '../files/limits';
import { VERSION } from '../version';
import { bindIpc, EVENT_CHANNEL } from './ipc';
import { buildMenu } from './menu';
import { mainWindowOptions } from './window-options';

const here = fileURLToPath(new URL('.', import.meta.url));
const indexHtml = join(here, '../renderer/index.html');
const appUrl = process.env.ELECTRON_RENDERER_URL ?? pathToFileURL(indexHtml).href;

/** A trace named on the command line (`guestperf-app trace.perf`), if any. */
function fileFromArgv(argv: string[]): string | null {
  const args = argv.slice(app.isPackaged ? 1 : 2).filter((a) => !a.startsWith('-'));
  for (const a of args) {
    const p = resolve(a);
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  return null;
}

function createWindow(): void {
  const win = new BrowserWindow(mainWindowOptions(join(here, '../preload/preload.cjs')));
  const recent = recentFilesAt(join(app.getPath('userData'), 'recent.json'));
  const emit = (event: ApiEvent) => {
    if (!win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, event);
  };
  const session = new ApiSession({
    host: 'electron',
    version: VERSION,
    workerUrl: new URL('./parse-worker.js', import.meta.url),
    exportWorkerUrl: new URL('./export-worker.js', import.meta.url),
    emit,
    recent,
    maxFileBytes: maxFileBytes(totalmem()),
    shell: {
      async showOpenDialog(extensions) {
        const r = await dialog.showOpenDialog(win, {
          properties: ['openFile'],
          filters: [{ name: 'Traces', extensions: [...extensions] }, { name: 'All files', extensions: ['*'] }],
        });
        return r.canceled ? null : (r.filePaths[0] ?? null);
      },
      async showSaveDialog(defaultName, format) {
        const r = await dialog.showSaveDialog(win, {
          defaultPath: defaultName,
          filters: [{ name: format.name, extensions: [format.extension] }],
        });
        return r.canceled || !r.filePath ? null : r.filePath;
      },
    },
  });
  const unbind = bindIpc(win, session, appUrl);

  const report = (e: unknown) => dialog.showErrorBox('guestperf', e instanceof Error ? e.message : String(e));
  const refreshMenu = async () => {
    const { exportFormats } = await session.info();
    Menu.setApplicationMenu(
      buildMenu(await recent.list(), exportFormats, {
        open: () => void session.openDialog().then(refreshMenu, report),
        openRecent: (path) => void session.openPath(path).then(refreshMenu, report),
        saveAs: () => void session.saveDialog().then(refreshMenu, report),
        exportAs: (formatId) => void session.exportDialog(formatId).catch(report),
      }),
    );
  };
  void refreshMenu();

  // Navigation and new windows are never needed: the window is one page.
  win.webContents.on('will-navigate', (e) => e.preventDefault());
  win.webContents.on('will-attach-webview', (e) => e.preventDefault());
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    unbind();
    session.dispose();
  });

  const initial = fileFromArgv(process.argv);
  win.webContents.once('did-finish-load', () => {
    // With no file to open, the window starts on the built-in default scenario, recorded.
    if (initial) void session.openPath(initial).then(refreshMenu, report);
    else void session.openScenario('default').catch(report);
  });
  void win.loadURL(appUrl);
}

app.enableSandbox();
app.whenReady().then(() => {
  electronSession.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});
app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
