import type { MenuItemConstructorOptions } from 'electron'

// The application menu. Reload and the developer tools are for development
// builds only: in the installed app a reload would drop the admin's unsaved form.

export interface MenuActions {
  about(): void
  openDataFolder(): void
  /** Opens the Add a Postfix server dialog in the window. */
  addSystem(): void
}

export function menuTemplate(options: { isPackaged: boolean; platform: NodeJS.Platform; appName: string }, actions: MenuActions): MenuItemConstructorOptions[] {
  const mac = options.platform === 'darwin'
  const view: MenuItemConstructorOptions[] = [
    ...(options.isPackaged
      ? []
      : ([{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, { type: 'separator' }] satisfies MenuItemConstructorOptions[])),
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ]
  return [
    ...(mac ? [{ label: options.appName, role: 'appMenu' } satisfies MenuItemConstructorOptions] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Add a Postfix Server…', click: () => actions.addSystem() },
        { type: 'separator' },
        { label: 'Open Data Folder', click: () => actions.openDataFolder() },
        { type: 'separator' },
        mac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    {
      label: 'Edit',
      submenu: [
        { role: 'undo' },
        { role: 'redo' },
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'selectAll' },
      ],
    },
    { label: 'View', submenu: view },
    { label: 'Help', role: 'help', submenu: [{ label: `About ${options.appName}`, click: () => actions.about() }] },
  ]
}
