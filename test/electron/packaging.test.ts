import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { FuseV1Options } from '@electron/fuses'
import { PlatformPackager, type FuseOptionsV1 } from 'app-builder-lib'
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

  it('packs the entry point package.json names, which is where electron-vite writes main, and the listener thread beside it', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { main: string }
    const input = config.main?.build?.rolldownOptions?.input as Record<string, string>
    // index is the app; listener-thread the module main.ts hands the engine for local submission's sessions (boot.test.ts runs it).
    expect(Object.keys(input)).toEqual(['index', 'listener-thread'])
    expect(input['listener-thread']).toMatch(/src\/main\/core\/listener\/listener-thread\.ts$/)
    expect(pkg.main).toBe('out/main/index.js')
  })

  it('has a 512×512 PNG icon', () => {
    const png = readFileSync('assets/icon.png')
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG')
    expect(png.readUInt32BE(16)).toBe(512)
    expect(png.readUInt32BE(20)).toBe(512)
  })
})

// What the fuses must be. `satisfies` checks each name against app-builder-lib's
// own type, so a misspelt key fails the type check as well as the test.
const EXPECTED_FUSES = {
  runAsNode: false,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true,
  grantFileProtocolExtraPrivileges: false,
  enableCookieEncryption: true,
} as const satisfies FuseOptionsV1

// The YAML parser electron-builder itself reads the file with (it ships no typings).
const parseYaml = (createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown }).load

interface BuilderSchema {
  properties: Record<string, { anyOf?: Array<{ $ref?: string }> }>
  definitions: Record<string, { properties: Record<string, { type: string }>; additionalProperties: boolean }>
}

describe('Electron fuses in electron-builder.yml', () => {
  const yml = parseYaml(readFileSync('electron-builder.yml', 'utf8')) as { electronFuses?: Record<string, unknown>; asar?: unknown; disableAsarIntegrity?: unknown }

  it('turns off running as Node, NODE_OPTIONS, --inspect and file:// privileges, and turns on asar integrity, asar only and cookie encryption', () => {
    expect(yml.electronFuses).toEqual(EXPECTED_FUSES)
  })

  it("names only fuses in app-builder-lib's schema, with boolean values", () => {
    const schema = JSON.parse(readFileSync('node_modules/app-builder-lib/scheme.json', 'utf8')) as BuilderSchema
    const ref = schema.properties.electronFuses?.anyOf?.find((option) => option.$ref)?.$ref
    expect(ref).toBe('#/definitions/FuseOptionsV1')
    const fuses = schema.definitions.FuseOptionsV1!
    expect(fuses.additionalProperties).toBe(false)
    for (const [name, value] of Object.entries(yml.electronFuses ?? {})) {
      expect(fuses.properties[name]?.type, name).toBe('boolean')
      expect(typeof value, name).toBe('boolean')
    }
  })

  it('is refused by the schema when a fuse name is misspelt, so a typo cannot pass unnoticed', async () => {
    const builder = await getConfig(process.cwd(), null, null)
    const misspelt = { ...builder, electronFuses: { ...builder.electronFuses, runAsnode: false } }
    await expect(validateConfiguration(misspelt as typeof builder, new DebugLogger(false))).rejects.toThrow(/configuration\.electronFuses/)
  })

  it('becomes the fuse wire electron-builder flips in the binary', async () => {
    const builder = await getConfig(process.cwd(), null, null)
    // The method reads only its argument; calling it is how the packer turns the yml into fuse positions.
    const generate = (PlatformPackager.prototype as unknown as { generateFuseConfig(fuses: FuseOptionsV1): Promise<Record<number, boolean>> }).generateFuseConfig
    const wire = await generate.call(null, builder.electronFuses!)
    expect(wire[FuseV1Options.RunAsNode]).toBe(false)
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(false)
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(false)
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(true)
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(true)
    expect(wire[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(false)
    expect(wire[FuseV1Options.EnableCookieEncryption]).toBe(true)
  })

  it('packs an asar with its integrity hash, without which the integrity fuse would stop the app from starting', () => {
    expect(yml.asar).toBe(true)
    expect(yml.disableAsarIntegrity).toBeUndefined()
  })
})
