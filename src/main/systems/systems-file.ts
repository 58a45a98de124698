import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LOCAL_SYSTEM, type SystemAdd, type SystemInfo } from '../../shared/systems.ts'

// The systems the console manages, kept in systems.json in its data
// directory; each Postfix system's own files (its log index, queue snapshot,
// known host keys) in systems/<id>/. This computer's engine is not in the
// file: it is always there, first, and cannot be removed.

const FILE = 'systems.json'

export const LOCAL_INFO: SystemInfo = { id: LOCAL_SYSTEM, name: 'This computer', kind: 'embedded', where: 'this computer' }

interface Stored {
  version: 1
  systems: SystemInfo[]
}

export class SystemsFile {
  private readonly dataDir: string
  private systems: SystemInfo[]

  constructor(dataDir: string) {
    this.dataDir = dataDir
    this.systems = this.read()
  }

  /** This computer first, then the servers in the order they were added. */
  list(): SystemInfo[] {
    return [LOCAL_INFO, ...this.systems]
  }

  get(id: string): SystemInfo | undefined {
    return this.list().find((s) => s.id === id)
  }

  /** The directory a system keeps its own files in. */
  dirOf(id: string): string {
    return join(this.dataDir, 'systems', id)
  }

  add(spec: SystemAdd): SystemInfo {
    const where = spec.ssh ? (/:\d+$/.test(spec.ssh) ? spec.ssh : `${spec.ssh}:22`) : 'this computer'
    const same = this.systems.find((s) => s.where === where && (s.configDir ?? '') === (spec.configDir ?? ''))
    if (same) throw new Error(`${where}${spec.configDir ? ` (${spec.configDir})` : ''} is already in the list, as ${same.name}.`)
    if (this.list().some((s) => s.name.toLowerCase() === spec.name.toLowerCase())) throw new Error(`A system is already called ${spec.name}: give this one another name.`)
    const info: SystemInfo = {
      id: this.freeId(spec.name),
      name: spec.name,
      kind: 'postfix',
      where,
      ...(spec.configDir ? { configDir: spec.configDir } : {}),
      ...(spec.identityFile ? { identityFile: spec.identityFile } : {}),
    }
    this.write([...this.systems, info])
    return info
  }

  remove(id: string): boolean {
    if (id === LOCAL_SYSTEM) throw new Error('This computer’s own engine is always there: it cannot be removed.')
    const left = this.systems.filter((s) => s.id !== id)
    if (left.length === this.systems.length) return false
    this.write(left)
    return true
  }

  /** An id from the name: lowercase letters, digits and hyphens, made unique with a number. */
  private freeId(name: string): string {
    const base = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 32) || 'postfix'
    const taken = new Set(this.list().map((s) => s.id))
    if (!taken.has(base)) return base
    for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`
  }

  private read(): SystemInfo[] {
    const path = join(this.dataDir, FILE)
    if (!existsSync(path)) return []
    const stored = JSON.parse(readFileSync(path, 'utf8')) as Partial<Stored>
    if (stored.version !== 1 || !Array.isArray(stored.systems)) throw new Error(`${path} is not a systems list this version of SMTP Console can read.`)
    return stored.systems.filter((s) => s.id !== LOCAL_SYSTEM)
  }

  private write(systems: SystemInfo[]): void {
    mkdirSync(this.dataDir, { recursive: true })
    const path = join(this.dataDir, FILE)
    const tmp = `${path}.tmp-${process.pid}`
    writeFileSync(tmp, `${JSON.stringify({ version: 1, systems } satisfies Stored, null, 2)}\n`, { mode: 0o600 })
    renameSync(tmp, path)
    this.systems = systems
  }
}
