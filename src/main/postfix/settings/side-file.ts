import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DEFAULT_SETTINGS, settingsFieldsSchema, type SettingsFields } from '../../../shared/settings.ts'

// What main.cf has no parameter for (From Name and From Address, used for
// test mail, and the fields a Postfix server does not take from the console),
// kept in a small JSON file in the system's data directory, with the one
// before the last save beside it for undo.

const FILE = 'postfix-settings.json'
const PREVIOUS = 'postfix-settings.previous.json'

export class SideFile {
  private readonly file: string
  private readonly previous: string

  constructor(dataDir: string) {
    this.file = join(dataDir, FILE)
    this.previous = join(dataDir, PREVIOUS)
  }

  /** The saved fields over the defaults; a field that does not read as valid takes its default. */
  read(): SettingsFields {
    const settings: Record<string, unknown> = { ...DEFAULT_SETTINGS }
    let raw: unknown = null
    try {
      raw = JSON.parse(readFileSync(this.file, 'utf8'))
    } catch {
      return settings as SettingsFields
    }
    if (typeof raw !== 'object' || raw === null) return settings as SettingsFields
    for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof SettingsFields)[]) {
      const parsed = settingsFieldsSchema.shape[key].safeParse((raw as Record<string, unknown>)[key])
      if (parsed.success) settings[key] = parsed.data
    }
    return settings as SettingsFields
  }

  /** Saves `settings`, the file it replaces kept as the previous one. */
  write(settings: Partial<SettingsFields>): void {
    if (existsSync(this.file)) renameSync(this.file, this.previous)
    else rmSync(this.previous, { force: true })
    const temp = `${this.file}.tmp`
    writeFileSync(temp, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 })
    renameSync(temp, this.file)
  }

  /** Puts back the file before the last save (none when there was none). */
  undo(): void {
    if (existsSync(this.previous)) renameSync(this.previous, this.file)
    else rmSync(this.file, { force: true })
  }
}
