import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import vm from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { build as viteBuild, type InlineConfig } from 'vite'
import { PreloadConfigFactory } from 'electron-vite'
import config from '../../electron.vite.config.ts'
import { API_METHODS, EVENT_NAMES } from '../../src/shared/methods.ts'

// Builds the preload with the project's own electron-vite config and runs the
// bundle the way a sandboxed renderer does: one CommonJS script whose only
// require is 'electron'. What it hands to contextBridge is what the page gets.

let outDir = ''
let code = ''

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'smtp-console-preload-'))
  const preload = structuredClone({ ...config.preload, plugins: [] })
  preload.build = { ...preload.build, outDir }
  const factory = new PreloadConfigFactory(preload, { configFile: false, logLevel: 'silent', mode: 'production' }, { root: process.cwd() })
  const resolved = (await factory.build()) as InlineConfig
  await viteBuild({ ...resolved, configFile: false, logLevel: 'silent' })
  const files = await readdir(outDir)
  expect(files).toEqual(['preload.cjs'])
  code = await readFile(join(outDir, 'preload.cjs'), 'utf8')
}, 60_000)

afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true })
})

/** Runs the built preload as Electron's sandbox would, for a window whose address ends in `search`. */
function runInSandbox(source: string, search = '') {
  const required: string[] = []
  const exposed = new Map<string, unknown>()
  const invoked: unknown[][] = []
  const subscribed: string[] = []
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, value: unknown) => exposed.set(key, value) },
    ipcRenderer: {
      invoke: async (channel: string, request: unknown, system?: string) => {
        invoked.push(system === undefined ? [channel, request] : [channel, request, system])
        return { ok: true, data: null }
      },
      on: (channel: string) => subscribed.push(channel),
      removeListener: () => {},
    },
  }
  const require = (name: string) => {
    required.push(name)
    if (name === 'electron') return electron
    throw new Error(`module not found: ${name}`)
  }
  const module = { exports: {} }
  const wrapper = vm.runInNewContext(`(function (exports, require, module) {${source}\n})`, { window: { location: { search } } }) as (e: unknown, r: unknown, m: unknown) => void
  wrapper(module.exports, require, module)
  return { required, exposed, invoked, subscribed }
}

describe('the built preload', () => {
  it('is a CommonJS script that requires nothing but electron', () => {
    expect(code).not.toMatch(/^\s*(import|export)\s/m)
    expect(code).not.toMatch(/zod/)
    const { required } = runInSandbox(code)
    expect([...new Set(required)]).toEqual(['electron'])
  })

  it('exposes window.smtpConsole with exactly one function per API method plus on', async () => {
    const { exposed, invoked, subscribed } = runInSandbox(code)
    expect([...exposed.keys()]).toEqual(['smtpConsole'])
    const api = exposed.get('smtpConsole') as Record<string, (...args: unknown[]) => unknown>
    expect(Object.keys(api).sort()).toEqual([...API_METHODS, 'on'].sort())

    await api['queue.delete']!({ queueId: 'ABCDEF12' })
    expect(invoked).toEqual([['queue.delete', { queueId: 'ABCDEF12' }, 'local']])

    api.on!('delivery.progress', () => {})
    expect(subscribed).toEqual(['event:delivery.progress'])
    expect(() => api.on!('anything.else', () => {})).toThrow(/Unknown event/)
    expect(EVENT_NAMES).toContain('delivery.progress')
  })

  it('names the system of its window’s address (?system=) on every call', async () => {
    const { exposed, invoked } = runInSandbox(code, '?system=mail-1&x=y')
    const api = exposed.get('smtpConsole') as Record<string, (...args: unknown[]) => unknown>
    await api['queue.list']!({})
    expect(invoked).toEqual([['queue.list', {}, 'mail-1']])
  })
})
