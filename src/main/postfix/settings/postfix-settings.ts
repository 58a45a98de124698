import { join } from 'node:path'
import { validationError, type ApiParsedRequest, type SettingsChange } from '../../../shared/api.ts'
import { FIELD_LABELS, PASSWORD_LABEL } from '../../../shared/labels.ts'
import { DEFAULT_SETTINGS, isMailbox, settingsUpdateSchema, type SettingsFields, type SettingsView } from '../../../shared/settings.ts'
import { ConflictError } from '../../core/engine/api-errors.ts'
import { SettingsRejected } from '../../core/settings/settings-store.ts'
import type { PostfixTools } from '../tools.ts'
import { fieldsOfMainCf, MAIN_CF_PARAMS, plannedMainCf, type MainCfValues } from './main-cf.ts'
import { ServerFiles } from './server-files.ts'
import { SideFile } from './side-file.ts'

// Edit Settings on a Postfix server: read through `postconf`, validated with
// the embedded engine's schema, written with `postconf -e` and a SASL
// password map of the console's own (0600, postmapped), then `postfix
// reload`. The main.cf a save replaces is kept beside it for one-click undo,
// and put back at once when a step of the save fails.

/** One main.cf line a save changes (or the password map's line, its password only "set"). */
export type MainCfChange = SettingsChange

/** The console's password map, in the instance's configuration directory. */
const MAP_NAME = 'smtp_console_sasl_passwd'
/** What a save replaced, kept for undo; what a save in progress may have to put back. */
const PREVIOUS = '.smtp-console-previous'
const SAVING = '.smtp-console-saving'
/** The files postmap makes beside its source, by database type. */
const MAP_SUFFIXES: Record<string, string[]> = { hash: ['.db'], btree: ['.db'], lmdb: ['.lmdb'], cdb: ['.cdb'], dbm: ['.dir', '.pag'], sdbm: ['.dir', '.pag'] }
const ALL_SUFFIXES = [...new Set(Object.values(MAP_SUFFIXES).flat())]

interface MapEntry {
  key: string
  username: string
  password: string
}

/** The server's settings as read: main.cf's parameters, the console's map, and the side file. */
interface Current {
  configDir: string
  mainCf: string
  params: MainCfValues
  dbType: string
  mapPath: string
  /** smtp_sasl_password_maps naming the console's map. */
  mapSpec: string
  /** Whether smtp_sasl_password_maps is the console's map (else its username cannot be read). */
  ours: boolean
  entry: MapEntry | null
  side: SettingsFields
}

/** What a save would do: main.cf lines, the map's new text (null: unchanged), the side file. */
interface Plan {
  next: SettingsFields
  changes: MainCfChange[]
  map: string | null
  mapChange: MainCfChange | null
}

const NO_SECRETS: SettingsView['oauth'] = { microsoft: { hasClientSecret: false, hasPrivateKey: false }, google: { serviceAccount: null }, custom: { hasClientSecret: false } }

/** The first entry of a map's source text: `key username:password`. */
function readEntry(text: string): MapEntry | null {
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+([^:]*):(.*)$/.exec(line.trim())
    if (m && !line.trimStart().startsWith('#')) return { key: m[1]!, username: m[2]!, password: m[3]! }
  }
  return null
}

/** A map entry as the preview shows it: never the password, only that one is set (or newly typed). */
const describeEntry = (e: MapEntry | null, typed = false): string => (e ? `${e.key} ${e.username} (${typed ? 'new password' : 'password set'})` : '')

export class PostfixSettings {
  private readonly tools: PostfixTools
  private readonly files: ServerFiles
  private readonly side: SideFile
  /** Saves and undos one at a time: each reads main.cf, copies it aside and changes it. */
  private turn: Promise<unknown> = Promise.resolve()

  constructor(options: { tools: PostfixTools; dataDir: string }) {
    this.tools = options.tools
    this.files = new ServerFiles(options.tools.runner)
    this.side = new SideFile(options.dataDir)
  }

  async get(): Promise<SettingsView> {
    return this.viewOf(await this.read())
  }

  /** The settings in force (test mail takes its From Name and From Address from them). */
  async effective(): Promise<SettingsFields> {
    return (await this.get()).settings
  }

  /** The main.cf lines (and the password map's line) `update` would change; nothing is changed. */
  async preview(u: ApiParsedRequest<'settings.update'>): Promise<MainCfChange[]> {
    const plan = this.plan(await this.read(), u)
    return plan.mapChange ? [...plan.changes, plan.mapChange] : plan.changes
  }

  update(u: ApiParsedRequest<'settings.update'>): Promise<SettingsView> {
    return this.oneAtATime(() => this.save(u))
  }

  /** Puts back the main.cf (and password map) the last save replaced, then reloads Postfix. */
  undo(): Promise<SettingsView> {
    return this.oneAtATime(() => this.putBackPrevious())
  }

  private oneAtATime<T>(work: () => Promise<T>): Promise<T> {
    const run = this.turn.then(work, work)
    this.turn = run.catch(() => undefined)
    return run
  }

  private async save(u: ApiParsedRequest<'settings.update'>): Promise<SettingsView> {
    const current = await this.read()
    const plan = this.plan(current, u)
    const sideChanged = JSON.stringify(sidePart(plan.next)) !== JSON.stringify(sidePart(current.side))
    if (plan.changes.length === 0 && plan.map === null && !sideChanged) return this.viewOf(current)
    await this.apply(current, plan)
    return this.get()
  }

  private async putBackPrevious(): Promise<SettingsView> {
    const c = await this.read()
    const previous = c.mainCf + PREVIOUS
    if (!(await this.files.exists(previous))) {
      throw new ConflictError(`Nothing to undo: SMTP Console has not changed ${c.mainCf} on ${this.tools.runner.where} since its last undo.`)
    }
    await this.files.copy(previous, c.mainCf)
    await this.putBackMap(c, c.mapPath + PREVIOUS)
    await this.files.remove(previous, c.mapPath + PREVIOUS)
    this.side.undo()
    await this.reloadIfRunning()
    return this.get()
  }

  private async read(): Promise<Current> {
    const names = [...MAIN_CF_PARAMS, 'default_database_type', 'config_directory']
    // -x expands $name, so a default such as smtp_sasl_tls_security_options = $smtp_sasl_security_options reads as what Postfix uses.
    const values = (await this.tools.text('postconf', ['-xh', ...names])).replace(/\n$/, '').split('\n')
    if (values.length !== names.length) throw new Error(`postconf printed ${values.length} values for ${names.length} parameters on ${this.tools.runner.where}.`)
    const params = Object.fromEntries(MAIN_CF_PARAMS.map((n, i) => [n, values[i]!])) as MainCfValues
    const dbType = values[names.length - 2]!.trim() || 'hash'
    const configDir = this.tools.configDir ?? values[names.length - 1]!.trim()
    const mapPath = join(configDir, MAP_NAME)
    const mapSpec = `${dbType}:${mapPath}`
    const ours = params.smtp_sasl_password_maps.split(/[\s,]+/).some((m) => m.endsWith(`:${mapPath}`))
    const text = ours ? await this.files.read(mapPath) : null
    return { configDir, mainCf: join(configDir, 'main.cf'), params, dbType, mapPath, mapSpec, ours, entry: text ? readEntry(text.toString('utf8')) : null, side: this.side.read() }
  }

  private viewOf(c: Current): SettingsView {
    const side = c.side
    const fields = fieldsOfMainCf(c.params, side)
    const fromAddress = side.fromAddress !== DEFAULT_SETTINGS.fromAddress || !isMailbox(`root@${fields.hostname}`) ? side.fromAddress : `root@${fields.hostname}`
    return {
      settings: { ...side, ...fields, fromAddress, username: c.entry?.username ?? '', authMethod: 'password' },
      // A map of the admin's own may hold a password the console cannot read; it is there all the same.
      hasPassword: c.ours ? c.entry !== null && c.entry.password !== '' : c.params.smtp_sasl_password_maps.trim() !== '',
      oauth: NO_SECRETS,
      hasListenPassword: false,
      secretStorage: { kind: 'keyfile', description: `On the Postfix server, in ${c.mapPath} (mode 0600, owner root), where Postfix reads it.` },
      dkim: { key: null, record: null },
    }
  }

  /** Validates an update as the embedded engine does, plus what Postfix cannot do; throws SettingsRejected. */
  private plan(c: Current, u: ApiParsedRequest<'settings.update'>): Plan {
    const parsed = settingsUpdateSchema.safeParse(u)
    if (!parsed.success) throw new SettingsRejected(validationError(parsed.error).fields ?? {})
    const next = parsed.data.settings
    const password = parsed.data.password
    refusePostfixLimits(next, password)

    const planned = plannedMainCf(next, c.params, c.mapSpec)
    const changes = MAIN_CF_PARAMS.filter((n) => planned[n] !== c.params[n]).map((n) => ({ name: n, from: c.params[n], to: planned[n] }))

    let entry: MapEntry | null | undefined
    if (next.useSasl) {
      const secret = password ?? (c.ours ? c.entry?.password : undefined)
      if (secret === null || secret === undefined || secret === '') {
        const why = c.ours || c.params.smtp_sasl_password_maps.trim() === '' ? `${FIELD_LABELS.useSasl} is on` : `the server's smtp_sasl_password_maps (${c.params.smtp_sasl_password_maps}) is not SMTP Console's, so its password cannot be carried over`
        throw new SettingsRejected({ password: `Enter the ${PASSWORD_LABEL}: ${why}.` })
      }
      entry = { key: planned.relayhost, username: next.username.trim(), password: secret }
    } else if ((password === null || password === '') && c.entry) {
      entry = null
    }
    const same = entry === undefined || (c.ours && JSON.stringify(entry) === JSON.stringify(c.entry))
    const map = same ? null : entry ? `${entry.key} ${entry.username}:${entry.password}\n` : ''
    const mapChange = same ? null : { name: c.mapPath, from: describeEntry(c.ours ? c.entry : null), to: describeEntry(entry ?? null, typeof password === 'string' && password !== c.entry?.password) }
    return { next: { ...next, username: next.username.trim() }, changes, map, mapChange }
  }

  private async apply(c: Current, plan: Plan): Promise<void> {
    const saving = c.mainCf + SAVING
    const mapSaving = c.mapPath + SAVING
    await this.files.copy(c.mainCf, saving)
    if (await this.files.exists(c.mapPath)) await this.files.copy(c.mapPath, mapSaving)
    else await this.files.remove(mapSaving)
    try {
      if (plan.changes.length) await this.tools.text('postconf', ['-e', ...plan.changes.map((ch) => `${ch.name}=${ch.to}`)])
      if (plan.map !== null) await this.writeMap(c, plan.map)
      await this.reloadIfRunning()
    } catch (err) {
      const failed = `The settings were not applied on ${this.tools.runner.where}: ${(err as Error).message}.`
      try {
        await this.putBack(c)
      } catch (again) {
        throw new Error(`${failed} Putting the previous main.cf back failed too (${(again as Error).message}): it is kept as ${saving}.`, { cause: err })
      }
      throw new Error(`${failed} The previous main.cf was put back.`, { cause: err })
    }
    // The save is done: what it replaced becomes what undo puts back.
    await this.files.copy(saving, c.mainCf + PREVIOUS)
    if (await this.files.exists(mapSaving)) await this.files.copy(mapSaving, c.mapPath + PREVIOUS)
    else await this.files.remove(c.mapPath + PREVIOUS)
    await this.files.remove(saving, mapSaving)
    this.side.write(sidePart(plan.next))
  }

  /** After a failed step: main.cf and the map as they were before the save, and Postfix told so. */
  private async putBack(c: Current): Promise<void> {
    await this.files.copy(c.mainCf + SAVING, c.mainCf)
    await this.putBackMap(c, c.mapPath + SAVING)
    await this.files.remove(c.mainCf + SAVING, c.mapPath + SAVING)
    // The files are back; a reload that fails again leaves Postfix running on what it had loaded before.
    await this.reloadIfRunning().catch(() => undefined)
  }

  /** The map as in `copy`, postmapped; no copy means there was no map, so it goes. */
  private async putBackMap(c: Current, copy: string): Promise<void> {
    if (await this.files.exists(copy)) {
      await this.files.copy(copy, c.mapPath)
      await this.postmap(c)
    } else {
      await this.files.remove(c.mapPath, ...ALL_SUFFIXES.map((s) => c.mapPath + s))
    }
  }

  private async writeMap(c: Current, text: string): Promise<void> {
    await this.files.writeSecret(c.mapPath, text)
    await this.postmap(c)
  }

  /** postmap, and the database it makes as closed as its source: it holds the password too. */
  private async postmap(c: Current): Promise<void> {
    await this.tools.text('postmap', [`${c.dbType}:${c.mapPath}`])
    const made = (MAP_SUFFIXES[c.dbType] ?? []).map((s) => c.mapPath + s)
    if (made.length) await this.files.chmod('0600', ...made)
  }

  /** `postfix reload` when the instance runs (`postfix status`); a stopped one reads main.cf when it starts. */
  private async reloadIfRunning(): Promise<void> {
    const status = await this.tools.run('postfix', ['status'])
    if (status.code === 0) await this.tools.text('postfix', ['reload'])
  }
}

/** The fields main.cf and the password map hold; the side file keeps the rest (Use TLS off keeps the mode and Verify certificate there). */
const SERVER_FIELDS = ['relayHost', 'relayPort', 'useTls', 'useSasl', 'allowPlainAuth', 'hostname', 'username'] as const

function sidePart(s: SettingsFields): Partial<SettingsFields> {
  const rest: Partial<SettingsFields> = { ...s }
  for (const k of SERVER_FIELDS) delete rest[k]
  return rest
}

/** What the console cannot set up on Postfix, refused with the field to change rather than saved and ignored. */
function refusePostfixLimits(next: SettingsFields, password: string | null | undefined): void {
  const fields: Record<string, string> = {}
  if (next.useSasl && next.authMethod !== 'password') {
    fields.authMethod = `Postfix signs in to the relay with the ${FIELD_LABELS.username} and ${PASSWORD_LABEL} (smtp_sasl_password_maps): choose Password as the ${FIELD_LABELS.authMethod}.`
  }
  if (next.useSasl && /[\s:]/.test(next.username.trim())) {
    fields.username = `On a Postfix server the ${FIELD_LABELS.username} must have no spaces or colons: Postfix's password map separates it from the ${PASSWORD_LABEL} with a colon.`
  }
  if (password && password !== password.trim()) {
    fields.password = `On a Postfix server the ${PASSWORD_LABEL} must not start or end with a space: Postfix's password map drops them.`
  }
  if (next.dkimEnabled) {
    fields.dkimEnabled = `Postfix signs with DKIM through a milter such as OpenDKIM, which SMTP Console does not set up: turn ${FIELD_LABELS.dkimEnabled} off for a Postfix server.`
  }
  if (next.listenEnabled) {
    fields.listenEnabled = `A Postfix server takes local mail itself (smtpd, sendmail): turn ${FIELD_LABELS.listenEnabled} off for it.`
  }
  if (Object.keys(fields).length) throw new SettingsRejected(fields)
}
