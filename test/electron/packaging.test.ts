import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js'
import { DebugLogger } from 'builder-util/out/DebugLogger.js'
import config from '../../electron.vite.config.ts'

// The installers cannot be built here (no Electron binary), so check what
// can be: the builder's own schema accepts the config, the files it names
// exist, and the app's entry point is where the build puts it.

const root = process.cwd()

describe('electron-builder.yml', () => {
  it("passes electron-builder's schema with the promised targets", async () => {
    const builder = await getConfig(root, null, null)
    await validateConfiguration(builder, new DebugLogger(false))
    expect(builder.appId).toBe('io.smtpconsole.app')
    expect(builder.productName).toBe('SMTP Console')
    expect(builder.linux?.target).toEqual(['AppImage', 'deb'])
    expect(builder.linux?.category).toBe('Network;Email')
    expect(builder.linux?.maintainer).toMatch(/<[^@\s]+@[^>\s]+>/)
    expect(builder.win?.target).toEqual(['nsis'])
    expect(builder.mac?.target).toEqual(['dmg'])
    expect(JSON.stringify(builder.files)).toContain('"out/**"')
    for (const icon of [builder.linux?.icon, builder.win?.icon, builder.mac?.icon]) {
      expect(typeof icon === 'string' && existsSync(icon), String(icon)).toBe(true)
    }
  })

  it('packs the entry point package.json names, which is where electron-vite writes main', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { main: string }
    const input = config.main?.build?.rolldownOptions?.input as Record<string, string>
    expect(Object.keys(input)).toEqual(['index'])
    expect(pkg.main).toBe('out/main/index.js')
  })

  it('has a 512×512 PNG icon', () => {
    const png = readFileSync('assets/icon.png')
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG')
    expect(png.readUInt32BE(16)).toBe(512)
    expect(png.readUInt32BE(20)).toBe(512)
  })
})
