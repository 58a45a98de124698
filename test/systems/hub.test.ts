import { afterEach, describe, expect, it } from 'vitest'
import { parseRequest, type ApiEvents, type ApiMethod, type ApiRequest, type ApiResponse, type Result } from '../../src/shared/api.ts'
import { SYSTEM_HEADER, TOKEN_HEADER, apiPath, EVENTS_PATH, TOKEN_PARAM } from '../../src/shared/wire.ts'
import { openEngine, type CoreEngine } from '../../src/main/core/engine/engine.ts'
import { SystemsHub, type SystemEngine } from '../../src/main/systems/hub.ts'
import { startWebServer } from '../../src/main/web/server.ts'
import { removeDir, tempDir, unwrap, waitFor } from '../helpers/engine.ts'

// One console, several systems: the systems.* methods answered by the hub,
// every other call by the system it names — checked with real engines (a
// second embedded engine stands where a Postfix backend is opened), real
// files and the real web adapter.

const dirs: string[] = []
const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  while (closers.length) await closers.pop()!()
  while (dirs.length) removeDir(dirs.pop()!)
})

async function engineIn(dir: string): Promise<CoreEngine> {
  const engine = await openEngine({ dataDir: dir, startWorker: false, dnsServers: ['127.0.0.1:9'] })
  closers.push(() => engine.close())
  return engine
}

/** A hub whose Postfix systems are each a real embedded engine in the system's own directory. */
async function hubWith(extra: Partial<SystemEngine> = {}): Promise<{ hub: SystemsHub; local: CoreEngine; opened: Map<string, CoreEngine>; dir: string }> {
  const dir = tempDir()
  dirs.push(dir)
  const local = await engineIn(dir)
  const opened = new Map<string, CoreEngine>()
  const hub = new SystemsHub({
    dataDir: dir,
    local,
    summaryTimeoutMs: 1500,
    // The hub closes what it opened.
    openPostfix: async (info, systemDir) => {
      const engine = await openEngine({ dataDir: systemDir, startWorker: false, dnsServers: ['127.0.0.1:9'] })
      opened.set(info.id, engine)
      return Object.assign(Object.create(engine) as CoreEngine, extra)
    },
  })
  closers.push(() => hub.close())
  return { hub, local, opened, dir }
}

async function api<M extends ApiMethod>(hub: SystemsHub, method: M, raw: ApiRequest<M>, system?: string): Promise<Result<ApiResponse<M>>> {
  const parsed = parseRequest(method, raw)
  if (!parsed.ok) return parsed
  return hub.call(method, parsed.data, system)
}

const testMail = (to: string) => ({ to, subject: 'Hello' })

describe('the systems hub', () => {
  it('lists this computer first, adds a server, keeps the list in the data directory, and refuses what is wrong', async () => {
    const { hub, dir } = await hubWith()
    expect(unwrap(await api(hub, 'systems.list', undefined)).systems).toEqual([{ id: 'local', name: 'This computer', kind: 'embedded', where: 'this computer' }])

    const added = unwrap(await api(hub, 'systems.add', { name: 'Mail 1', kind: 'postfix', ssh: 'admin@mail1.example.net', configDir: '', identityFile: '' }))
    expect(added.system).toEqual({ id: 'mail-1', name: 'Mail 1', kind: 'postfix', where: 'admin@mail1.example.net:22' })
    expect(added.hostKey).toBeNull()

    const bad = await api(hub, 'systems.add', { name: 'x', kind: 'postfix', ssh: 'root@host; rm -rf /' })
    expect(!bad.ok && bad.error.fields?.ssh).toBe('Give the server as user@host or user@host:port, as ssh takes it.')
    const twice = await api(hub, 'systems.add', { name: 'Other', kind: 'postfix', ssh: 'admin@mail1.example.net:22' })
    expect(!twice.ok && twice.error.message).toBe('admin@mail1.example.net:22 is already in the list, as Mail 1.')
    const sameName = await api(hub, 'systems.add', { name: 'mail 1', kind: 'postfix' })
    expect(!sameName.ok && sameName.error.fields?.name).toBe('A system is already called mail 1: give this one another name.')
    const keyLocal = await api(hub, 'systems.add', { name: 'Local', kind: 'postfix', identityFile: '~/.ssh/id_ed25519' })
    expect(!keyLocal.ok && keyLocal.error.fields?.identityFile).toBe('A key file is for a server reached over SSH.')

    // Another hub on the same directory (the app restarted) has the same list.
    const again = new SystemsHub({ dataDir: dir, local: await hub.engine() })
    expect(unwrap(await api(again, 'systems.list', undefined)).systems.map((s) => s.id)).toEqual(['local', 'mail-1'])

    const local = await api(hub, 'systems.remove', { id: 'local' })
    expect(!local.ok && local.error.code).toBe('conflict')
    expect(unwrap(await api(hub, 'systems.remove', { id: 'mail-1' })).removed).toBe(true)
    const gone = await api(hub, 'queue.list', {}, 'mail-1')
    expect(!gone.ok && gone.error.code).toBe('not_found')
  })

  it('answers each call from the system it names, and the all-systems summary from each', async () => {
    const { hub, opened } = await hubWith()
    unwrap(await api(hub, 'systems.add', { name: 'mail1', kind: 'postfix' }))
    unwrap(await api(hub, 'settings.update', { settings: { ...unwrap(await api(hub, 'settings.get', undefined)).settings, fromAddress: 'alerts@example.test' } }, 'mail1'))
    unwrap(await api(hub, 'mail.sendTest', testMail('one@example.net'), 'mail1'))
    unwrap(await api(hub, 'mail.sendTest', testMail('two@example.net'), 'mail1'))

    expect(unwrap(await api(hub, 'queue.list', {}, 'mail1')).items.flatMap((e) => e.recipients)).toHaveLength(2)
    expect(unwrap(await api(hub, 'queue.list', {})).items).toEqual([])
    expect(opened.has('mail1')).toBe(true)

    const summary = unwrap(await api(hub, 'systems.summary', undefined)).systems
    expect(summary.map((s) => [s.system.id, s.counts?.total])).toEqual([
      ['local', 0],
      ['mail1', 2],
    ])
    expect(summary.every((s) => s.problem === null || typeof s.problem === 'string')).toBe(true)
  })

  it('says a system that does not answer cannot be reached, in its own row, without holding up the others', async () => {
    const { hub } = await hubWith({ call: () => new Promise(() => undefined) as never })
    unwrap(await api(hub, 'systems.add', { name: 'slow', kind: 'postfix' }))
    const summary = unwrap(await api(hub, 'systems.summary', undefined)).systems
    expect(summary[0]).toMatchObject({ system: { id: 'local' }, health: 'idle', counts: { total: 0 } })
    expect(summary[1]).toMatchObject({ system: { id: 'slow' }, health: 'unreachable', counts: null, problem: 'this computer did not answer within 1.5 s.' })
  })

  it('asks the admin to accept a new SSH host key, and accepts only through the system', async () => {
    const accepted: string[] = []
    const fingerprint = `SHA256:${'A'.repeat(43)}`
    const { hub } = await hubWith({
      unknownHostKey: async () => (accepted.length ? null : fingerprint),
      acceptHostKey: async (fp: string) => {
        if (fp !== fingerprint) throw new Error('The server now offers another key: nothing was written.')
        accepted.push(fp)
      },
    })
    const added = unwrap(await api(hub, 'systems.add', { name: 'far', kind: 'postfix', ssh: 'admin@127.0.0.1:2222' }))
    expect(added.hostKey).toEqual({ systemId: 'far', where: 'admin@127.0.0.1:2222', fingerprint })
    const wrong = await api(hub, 'systems.acceptHostKey', { id: 'far', fingerprint: `SHA256:${'B'.repeat(43)}` })
    expect(!wrong.ok && wrong.error.message).toBe('The server now offers another key: nothing was written.')
    unwrap(await api(hub, 'systems.acceptHostKey', { id: 'far', fingerprint }))
    expect(accepted).toEqual([fingerprint])
    const notSsh = await api(hub, 'systems.acceptHostKey', { id: 'local', fingerprint })
    expect(!notSsh.ok && notSsh.error.code).toBe('conflict')
  })
})

describe('the web adapter over several systems', () => {
  it('routes a call by its system header and streams the events of the system the stream names', async () => {
    const { hub } = await hubWith()
    unwrap(await api(hub, 'systems.add', { name: 'mail1', kind: 'postfix' }))
    const web = await startWebServer(hub)
    closers.push(() => web.close())
    const post = async (method: string, body: unknown, system?: string) => {
      const res = await fetch(`http://127.0.0.1:${web.port}${apiPath(method)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [TOKEN_HEADER]: web.token, ...(system ? { [SYSTEM_HEADER]: system } : {}) },
        body: JSON.stringify(body),
      })
      return (await res.json()) as Result<unknown>
    }

    // Events of mail1 on a stream for mail1, none on this computer's.
    const frames = { local: '', mail1: '' }
    const streams = (['local', 'mail1'] as const).map((system) => {
      const controller = new AbortController()
      void fetch(`http://127.0.0.1:${web.port}${EVENTS_PATH}?${TOKEN_PARAM}=${web.token}${system === 'mail1' ? '&system=mail1' : ''}`, { signal: controller.signal }).then(async (res) => {
        const reader = res.body!.getReader()
        for (;;) {
          const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }))
          if (done) return
          frames[system] += new TextDecoder().decode(value)
        }
      })
      return controller
    })
    closers.push(async () => streams.forEach((c) => c.abort()))
    await waitFor(() => frames.local.includes(': connected') && frames.mail1.includes(': connected'), 'both event streams to open')

    const settings = (await post('settings.get', null, 'mail1')) as Result<ApiResponse<'settings.get'>>
    expect(settings.ok).toBe(true)
    if (!settings.ok) return
    expect((await post('settings.update', { settings: { ...settings.data.settings, fromAddress: 'alerts@example.test' } }, 'mail1')).ok).toBe(true)
    const sent = (await post('mail.sendTest', testMail('one@example.net'), 'mail1')) as Result<ApiResponse<'mail.sendTest'>>
    if (!sent.ok) throw new Error(sent.error.message)

    const listed = (await post('queue.list', {}, 'mail1')) as Result<ApiResponse<'queue.list'>>
    expect(listed.ok && listed.data.items).toHaveLength(1)
    const here = (await post('queue.list', {})) as Result<ApiResponse<'queue.list'>>
    expect(here.ok && here.data.items).toHaveLength(0)
    const unknown = await post('queue.list', {}, 'nowhere')
    expect(!unknown.ok && unknown.error.code).toBe('not_found')

    // The test email's progress names its queue id: on mail1's stream, never on this computer's.
    const progress: keyof ApiEvents = 'delivery.progress'
    await waitFor(() => frames.mail1.includes(`event: ${progress}`) && frames.mail1.includes(sent.data.queueId), 'mail1’s delivery.progress on its stream')
    expect(frames.local).not.toContain(sent.data.queueId)
  })
})
