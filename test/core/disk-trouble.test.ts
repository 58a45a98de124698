import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { StorageError, storageErrorOf } from '../../src/main/core/db.ts'
import { openEngine } from '../../src/main/core/engine.ts'
import { removeDir, tempDir } from '../helpers/engine.ts'

// A full disk and a read-only data directory, made for real: a small tmpfs
// filled to the last page, and a read-only bind mount (root passes permission
// checks, not a read-only mount). Without root, the read-only cases use a
// directory chmod 0500, and the tmpfs case cannot run.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

function canMount(): boolean {
  if (process.getuid?.() !== 0) return false
  const probe = tempDir('smtp-console-mount-probe-')
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' })
    execFileSync('umount', [probe], { stdio: 'ignore' })
    return true
  } catch {
    return false
  } finally {
    removeDir(probe)
  }
}
const MOUNT = canMount()

/** `dir` as seen through a read-only mount (root) or `dir` itself made 0500 (any other user). */
function readOnly(dir: string): string {
  if (!MOUNT) {
    execFileSync('chmod', ['0500', dir])
    cleanups.push(() => void execFileSync('chmod', ['0700', dir]))
    return dir
  }
  const view = tempDir('smtp-console-ro-')
  execFileSync('mount', ['--bind', dir, view])
  execFileSync('mount', ['-o', 'remount,bind,ro', view])
  cleanups.push(() => {
    execFileSync('umount', [view])
    removeDir(view)
  })
  return view
}

describe('a read-only data directory', () => {
  it('with a queue in it: refused as read-only, not "unable to open database file", nothing changed', async () => {
    const dir = tempDir()
    cleanups.push(() => removeDir(dir))
    const setup = await openEngine({ dataDir: dir, startWorker: false })
    await setup.submit([{ to: ['admin@example.net'], subject: 'Kept', text: 'kept' }])
    await setup.close()
    const before = readFileSync(join(dir, 'queue.sqlite'))

    const view = readOnly(dir)
    const error = await openEngine({ dataDir: view, startWorker: false }).then(
      async (engine) => {
        await engine.close()
        throw new Error('the engine opened a read-only directory')
      },
      (err: unknown) => err as Error,
    )
    expect(error).toBeInstanceOf(StorageError)
    expect(error.message).toMatch(new RegExp(`^The data directory ${view} is read-only \\(E(ROFS|ACCES)`))
    expect(error.message).toMatch(/Nothing was changed/)
    expect(error.message).not.toMatch(/unable to open database file|ENOENT/)
    expect(readFileSync(join(dir, 'queue.sqlite')).equals(before)).toBe(true)
  })

  it('to be created inside a read-only directory: refused as read-only', async () => {
    const parent = tempDir()
    cleanups.push(() => removeDir(parent))
    const view = readOnly(parent)
    const dataDir = join(view, 'smtp-console')
    await expect(openEngine({ dataDir, startWorker: false })).rejects.toThrow(new RegExp(`^The data directory ${dataDir} is read-only \\(E(ROFS|ACCES)`))
  })

  it('a write SQLite refuses as read-only is named so', () => {
    const dir = tempDir()
    cleanups.push(() => removeDir(dir))
    const path = join(dir, 'q.sqlite')
    new DatabaseSync(path).close()
    const db = new DatabaseSync(path, { readOnly: true })
    let caught: unknown
    try {
      db.exec('CREATE TABLE t (x)')
    } catch (err) {
      caught = err
    } finally {
      db.close()
    }
    expect(storageErrorOf(caught, dir)?.message).toMatch(new RegExp(`^The data directory ${dir} is read-only \\(attempt to write a readonly database\\)`))
  })

})
