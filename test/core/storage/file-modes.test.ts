import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openEngine, type CoreEngine } from '../../../src/main/core/engine/engine.ts'
import { removeDir, tempDir, testSettings, unwrap } from '../../helpers/engine.ts'

// The data directory holds every queued message in full and the settings name
// the relay: the directory is 0700 and its files 0600, whatever the umask,
// for a new directory and for one an older version left readable.

const dirs: string[] = []
const engines: CoreEngine[] = []
let umask: number
beforeEach(() => {
  // The usual umask, which leaves new files 0644 and directories 0755 unless the console says otherwise.
  umask = process.umask(0o022)
})
afterEach(async () => {
  while (engines.length) await engines.pop()!.close()
  while (dirs.length) removeDir(dirs.pop()!)
  process.umask(umask)
})

const mode = (path: string) => statSync(path).mode & 0o777

/** Opens an engine, saves settings and queues a message, so that every data file exists while it is open. */
async function useDataDir(dataDir: string): Promise<CoreEngine> {
  const engine = await openEngine({ dataDir, startWorker: false, dnsServers: ['127.0.0.1:9'] })
  engines.push(engine)
  unwrap(await engine.call('settings.update', { settings: testSettings({ relayHost: 'relay.example.test', useSasl: true, username: 'relayuser' }), password: 'Zq7-relay' }))
  await engine.submit([{ to: ['admin@example.net'], subject: 'Modes', text: 'x' }])
  return engine
}

function expectPrivate(dataDir: string): void {
  const files = ['settings.json', 'queue.sqlite', 'queue.sqlite-wal', 'queue.sqlite-shm', 'secret.key'].map((f) => join(dataDir, f))
  for (const file of files) expect(existsSync(file), file).toBe(true)
  expect({ dir: mode(dataDir), ...Object.fromEntries(files.map((f) => [f.slice(dataDir.length + 1), mode(f)])) }).toEqual({
    dir: 0o700,
    'settings.json': 0o600,
    'queue.sqlite': 0o600,
    'queue.sqlite-wal': 0o600,
    'queue.sqlite-shm': 0o600,
    'secret.key': 0o600,
  })
}

describe('modes of the data directory and its files, with umask 022', () => {
  it('a new data directory is 0700 and every file created in it 0600', async () => {
    const parent = tempDir()
    dirs.push(parent)
    const dataDir = join(parent, 'nested', 'smtp-console')
    await useDataDir(dataDir)
    expectPrivate(dataDir)
  })

  it('an existing data directory left 0755 with 0644 files is made 0700, its files 0600', async () => {
    const dataDir = tempDir()
    dirs.push(dataDir)
    const first = await useDataDir(dataDir)
    await first.close()
    engines.splice(engines.indexOf(first), 1)
    chmodSync(dataDir, 0o755)
    for (const f of ['settings.json', 'queue.sqlite', 'secret.key']) chmodSync(join(dataDir, f), 0o644)

    await useDataDir(dataDir)
    expectPrivate(dataDir)
  })

  it('a data directory made 0755 by someone else before the first start is made 0700', async () => {
    const parent = tempDir()
    dirs.push(parent)
    const dataDir = join(parent, 'data')
    mkdirSync(dataDir, { mode: 0o755 })
    expect(mode(dataDir)).toBe(0o755)
    await useDataDir(dataDir)
    expectPrivate(dataDir)
  })
})
