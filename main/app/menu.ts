/** The native menu: File > Open…, Open Recent, Save As…, Export…, Quit. */
import { Menu, type MenuItemConstructorOptions } from 'electron';
import type { ExportFormatInfo } from '../api/contract';

export interface MenuActions {
  open(): void;
  openRecent(path: string): void;
  saveAs(): void;
  exportAs(formatId: string): void;
}

export function buildMenu(recent: string[], exportFormats: ExportFormatInfo[], actions: MenuActions): Menu {
  const isMac = process.platform === 'darwin';
  const file: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      { label: 'Open…', accelerator: 'CmdOrCtrl+O', click: () => actions.open() },
      {
        label: 'Open Recent',
        submenu: recent.length
          ? recent.map((path) => ({ label: path, click: () => actions.openRecent(path) }))
          : [{ label: 'No recent files', enabled: false }],
      },
      { type: 'separator' },
      { label: 'Save As…', accelerator: 'CmdOrCtrl+Shift+S', click: () => actions.saveAs() },
      {
        label: 'Export…',
        submenu: exportFormats.map((f) => ({ label: `${f.name} (.${f.extension})…`, click: () => actions.exportAs(f.id) })),
      },
      { type: 'separator' },
      isMac ? { role: 'close' } : { role: 'quit', label: 'Quit' },
    ],
  };
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' } as MenuItemConstructorOptions] : []),
    file,
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ];
  return Menu.buildFromTemplate(template);
}
