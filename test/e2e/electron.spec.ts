import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { _electron as electron, expect, test } from '@playwright/test'

// The desktop app itself, through Playwright's Electron driver. It needs
// Electron's binary, which the npm package fetches on first use; where it is
// absent (an offline machine, this project's CI) the test says so and skips.
// Finding the binary reads the package's path file, never `require('electron')`,
// which would try to download it.

const ROOT = join(import.meta.dirname, '..', '..')
const electronDir = join(ROOT, 'node_modules', 'electron')
const pathFile = join(electronDir, 'path.txt')
const binary = process.env.ELECTRON_OVERRIDE_DIST_PATH
  ? join(process.env.ELECTRON_OVERRIDE_DIST_PATH, existsSync(pathFile) ? readFileSync(pathFile, 'utf8') : 'electron')
  : existsSync(pathFile)
    ? join(electronDir, 'dist', readFileSync(pathFile, 'utf8'))
    : null
const hasElectron = binary !== null && existsSync(binary)

test.describe('the desktop app (Electron)', () => {
  test.skip(!hasElectron, 'No Electron binary in node_modules/electron/dist (it cannot be downloaded here): the desktop app is checked by type-checking only.')

  test('opens the SMTP Dashboard with the seed’s menu and talks to the engine over IPC', async () => {
    execFileSync('npx', ['electron-vite', 'build'], { cwd: ROOT, stdio: 'inherit' })
    const dataDir = mkdtempSync(join(tmpdir(), 'smtp-console-electron-'))
    const app = await electron.launch({ executablePath: binary!, args: [join(ROOT, 'out', 'main', 'index.js'), `--data-dir=${dataDir}`] })
    try {
      const window = await app.firstWindow()
      const nav = window.getByRole('navigation', { name: 'SMTP Dashboard' })
      for (const name of ['Edit Settings', 'Send Test Email', 'Mail Queue', 'Delete Queue', 'Flush Queue', 'Mail Log', 'Logs', "Today's Report", "Yesterday's Report", 'Troubleshooting']) {
        await expect(nav.getByRole('link', { name, exact: true })).toBeVisible()
      }
      await nav.getByRole('link', { name: 'Edit Settings', exact: true }).click()
      await window.getByLabel('Hostname').fill('console.example.test')
      await window.getByRole('button', { name: 'Submit' }).click()
      await expect(window.getByText('Settings saved.')).toBeVisible()
      expect(await window.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined')
    } finally {
      await app.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
