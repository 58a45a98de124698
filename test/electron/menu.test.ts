import { describe, expect, it } from 'vitest'
import { menuTemplate } from '../../src/main/electron/menu.ts'

// The item type comes from the function, so this test needs nothing from electron.
type MenuItemConstructorOptions = ReturnType<typeof menuTemplate>[number]

const noop = { about: () => {}, openDataFolder: () => {}, addSystem: () => {} }

function submenu(template: MenuItemConstructorOptions[], label: string): MenuItemConstructorOptions[] {
  const item = template.find((entry) => entry.label === label)
  expect(item, label).toBeDefined()
  return item!.submenu as MenuItemConstructorOptions[]
}

describe('menuTemplate', () => {
  it('has File, Edit, View and Help, with Quit in File on Windows and Linux', () => {
    const template = menuTemplate({ isPackaged: true, platform: 'linux', appName: 'SMTP Console' }, noop)
    expect(template.map((item) => item.label)).toEqual(['File', 'Edit', 'View', 'Help'])
    expect(submenu(template, 'File').map((item) => item.role)).toContain('quit')
    expect(submenu(template, 'Edit').map((item) => item.role)).toEqual(expect.arrayContaining(['undo', 'redo', 'cut', 'copy', 'paste', 'selectAll']))
  })

  it('offers reload and the developer tools only in a development build', () => {
    const roles = (isPackaged: boolean) =>
      submenu(menuTemplate({ isPackaged, platform: 'win32', appName: 'SMTP Console' }, noop), 'View').map((item) => item.role)
    expect(roles(false)).toEqual(expect.arrayContaining(['reload', 'forceReload', 'toggleDevTools']))
    for (const role of ['reload', 'forceReload', 'toggleDevTools']) expect(roles(true)).not.toContain(role)
  })

  it('puts the app menu first on macOS', () => {
    const template = menuTemplate({ isPackaged: true, platform: 'darwin', appName: 'SMTP Console' }, noop)
    expect(template[0]?.role).toBe('appMenu')
  })

  it('runs the About, Open Data Folder and Add a Postfix Server actions', () => {
    const calls: string[] = []
    const template = menuTemplate(
      { isPackaged: true, platform: 'linux', appName: 'SMTP Console' },
      { about: () => calls.push('about'), openDataFolder: () => calls.push('data'), addSystem: () => calls.push('add') },
    )
    const click = (item: MenuItemConstructorOptions | undefined) => (item?.click as (() => void) | undefined)?.()
    click(submenu(template, 'Help').find((item) => item.label === 'About SMTP Console'))
    click(submenu(template, 'File').find((item) => item.label === 'Open Data Folder'))
    click(submenu(template, 'File').find((item) => item.label === 'Add a Postfix Server…'))
    expect(calls).toEqual(['about', 'data', 'add'])
  })
})
