import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { configureBuildCommand, createYargs, normalizeOptions, type CliOptions } from 'electron-builder/out/builder.js'
import { Platform } from 'app-builder-lib'
import { ROOT } from '../helpers/child.ts'

// `npm run package` must build only what this machine can build: macOS
// packages need a Mac, Windows ones need Windows (or Wine). Each script's
// electron-builder arguments go through electron-builder's own command line
// parser, so what is checked is what it would build.

const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts

function platformsOf(script: string | undefined): string[] {
  expect(script).toMatch(/^electron-vite build && electron-builder(\s|$)/)
  const args = script!.slice(script!.indexOf('electron-builder') + 'electron-builder'.length).trim().split(/\s+/).filter(Boolean)
  const parsed = configureBuildCommand(createYargs()).parseSync(args) as unknown as CliOptions
  return [...normalizeOptions(parsed).targets!.keys()].map((p) => p.name)
}

describe('npm run package', () => {
  it('builds for the platform it runs on, and a script per platform builds only that one', () => {
    expect(platformsOf(scripts.package)).toEqual([Platform.current().name])
    expect(platformsOf(scripts['package:linux'])).toEqual(['linux'])
    expect(platformsOf(scripts['package:win'])).toEqual(['windows'])
    expect(platformsOf(scripts['package:mac'])).toEqual(['mac'])
  })
})
