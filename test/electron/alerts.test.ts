import { afterEach, describe, expect, it } from 'vitest'
import type { ApiEvents, ApiResponse, EngineMethod, Result } from '../../src/shared/api.ts'
import type { Alert } from '../../src/shared/alerts.ts'
import type { Engine } from '../../src/main/core/engine/engine-types.ts'
import { engineWith, removeDir, waitFor } from '../helpers/engine.ts'
import { smtpError, startSmtp } from '../helpers/smtp.ts'
import { wireDesktopAlerts, type DesktopAlertParts, type NotificationLike, type TrayLike } from '../../src/main/electron/alerts.ts'

// The desktop alerts against a stand-in for Electron's Notification, Tray and
// app (no Electron binary can run here); main.ts hands the real ones, and the
// type check holds them to the same shapes.

class Events implements Pick<Engine, 'on' | 'call'> {
  readonly listeners = new Map<string, Set<(payload: never) => void>>()
  /** Nothing standing when wired: these tests tell the count by events (a real engine's outage at start is below). */
  call<M extends EngineMethod>(method: M): Promise<Result<ApiResponse<M>>> {
    if (method !== 'alerts.current') return Promise.resolve({ ok: false, error: { code: 'internal', message: `The stand-in answers no ${method}.` } })
    const nothingStanding: Result<ApiResponse<'alerts.current'>> = { ok: true, data: { alerts: [], badge: { count: 0 } } }
    return Promise.resolve(nothingStanding as Result<ApiResponse<M>>)
  }
  on<E extends keyof ApiEvents>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set())
    this.listeners.get(event)!.add(listener)
    return () => this.listeners.get(event)!.delete(listener)
  }
  emit<E extends keyof ApiEvents>(event: E, payload: ApiEvents[E]): void {
    for (const listener of this.listeners.get(event) ?? []) (listener as (p: ApiEvents[E]) => void)(payload)
  }
}

/** A desktop with or without a badge, recording what the shell does to it. */
function desktop(options: { platform?: NodeJS.Platform; badge?: boolean; notifications?: boolean } = {}) {
  const shown: { title: string; body: string; handlers: Map<string, () => void> }[] = []
  const badges: number[] = []
  const trays: { toolTip: string; title: string; click?: () => void; destroyed: boolean }[] = []
  const calls: string[] = []
  class StandInNotification implements NotificationLike {
    static isSupported() {
      return options.notifications ?? true
    }
    readonly entry: (typeof shown)[number]
    constructor(o: { title: string; body: string }) {
      this.entry = { ...o, handlers: new Map() }
    }
    on(event: 'click' | 'close', listener: () => void) {
      this.entry.handlers.set(event, listener)
      return this
    }
    show() {
      shown.push(this.entry)
    }
  }
  const parts: DesktopAlertParts = {
    platform: options.platform ?? 'darwin',
    app: {
      setBadgeCount: (count = 0) => {
        if (!(options.badge ?? true)) return false
        badges.push(count)
        return true
      },
      setAppUserModelId: (id) => calls.push(`setAppUserModelId ${id}`),
    },
    Notification: StandInNotification,
    createTray: (): TrayLike => {
      const tray = { toolTip: '', title: '', destroyed: false } as (typeof trays)[number]
      trays.push(tray)
      return {
        setToolTip: (t) => (tray.toolTip = t),
        setTitle: (t) => (tray.title = t),
        on: (_event, listener) => (tray.click = listener),
        destroy: () => (tray.destroyed = true),
      }
    },
    appUserModelId: 'io.smtpconsole.app',
    appName: 'SMTP Console',
    openQueue: () => calls.push('openQueue'),
  }
  return { parts, shown, badges, trays, calls }
}

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const alert = (kind: Alert['kind'], title: string, body: string, waiting: number): Alert => ({ id: `${kind}-1`, kind, at: 1_800_000_000_000, severity: 'warning', title, body, waiting })

describe('the desktop alerts', () => {
  it('shows each alert as a notification whose click opens the Mail Queue, and counts on the dock badge', () => {
    const engine = new Events()
    const d = desktop({ platform: 'darwin' })
    const wired = wireDesktopAlerts(engine, d.parts)
    engine.emit('alerts.raised', alert('deferred', 'Mail is being deferred', '60 deliveries deferred; 60 messages are waiting, retried automatically.', 60))
    engine.emit('alerts.badge', { count: 60 })
    expect(d.shown.map((n) => [n.title, n.body])).toEqual([['Mail is being deferred', '60 deliveries deferred; 60 messages are waiting, retried automatically.']])
    expect(d.badges).toEqual([60])
    expect(wired.open.size).toBe(1)

    d.shown[0]!.handlers.get('click')!()
    expect(d.calls).toEqual(['openQueue'])
    expect(wired.open.size).toBe(0)

    engine.emit('alerts.badge', { count: 0 })
    expect(d.badges).toEqual([60, 0])
    // A badge is enough: no tray icon where the dock shows the count, and no Windows id off Windows.
    expect(d.trays).toEqual([])

    wired.stop()
    engine.emit('alerts.raised', alert('resolved', 'Mail is flowing again', 'The mail queue has drained.', 0))
    expect(d.shown).toHaveLength(1)
    for (const set of engine.listeners.values()) expect(set.size).toBe(0)
  })

  it('on Windows sets the app id and keeps the count on a tray icon, made when first needed', () => {
    const engine = new Events()
    const d = desktop({ platform: 'win32', badge: false })
    const wired = wireDesktopAlerts(engine, d.parts)
    expect(d.calls).toEqual(['setAppUserModelId io.smtpconsole.app'])
    engine.emit('alerts.badge', { count: 0 })
    expect(d.trays).toEqual([])

    engine.emit('alerts.badge', { count: 1234 })
    expect(d.trays).toMatchObject([{ toolTip: 'SMTP Console: 1,234 messages waiting', title: '1,234', destroyed: false }])
    d.trays[0]!.click!()
    expect(d.calls.at(-1)).toBe('openQueue')

    engine.emit('alerts.badge', { count: 0 })
    expect(d.trays).toHaveLength(1)
    expect(d.trays[0]).toMatchObject({ toolTip: 'SMTP Console: no mail waiting on a problem', title: '' })
    wired.stop()
    expect(d.trays[0]!.destroyed).toBe(true)
  })

  it('shows no notification where the system has none, and forgets a closed one', () => {
    const engine = new Events()
    const none = desktop({ notifications: false })
    wireDesktopAlerts(engine, none.parts)
    engine.emit('alerts.raised', alert('oldest', 'Mail is waiting too long', 'The oldest message has waited 2 hours.', 3))
    expect(none.shown).toEqual([])

    const engine2 = new Events()
    const d = desktop()
    const wired = wireDesktopAlerts(engine2, d.parts)
    engine2.emit('alerts.raised', alert('oldest', 'Mail is waiting too long', 'The oldest message has waited 2 hours.', 3))
    d.shown[0]!.handlers.get('close')!()
    expect(wired.open.size).toBe(0)
    expect(d.calls).toEqual([])
  })

  it('counts on the badge at once an outage the engine found as it opened, before any new alert', async () => {
    const relay = await startSmtp({ tls: 'none', onRcpt: () => smtpError(451, '4.3.0 Mailbox temporarily unavailable, try again later') })
    cleanups.push(() => relay.close())
    const engine = await engineWith({ relayHost: '127.0.0.1', relayPort: relay.port })
    cleanups.push(async () => {
      await engine.close()
      removeDir(engine.dataDir)
    })
    await engine.submit(Array.from({ length: 3 }, (_, i) => ({ to: [`ops${i}@example.org`], subject: `Nightly backup ${i}`, text: 'Backup finished.' })))
    await waitFor(() => engine.queueView.counts().deferred === 3 && engine.alerts.badge === 3, 'the outage counted before the shell listens')

    // The shell wires itself after the engine opened (main.ts): the count is asked, not waited for.
    const d = desktop({ platform: 'darwin' })
    const wired = wireDesktopAlerts(engine, d.parts)
    cleanups.push(() => wired.stop())
    await waitFor(() => d.badges.length > 0, 'the badge set')
    expect(d.badges).toEqual([3])
    expect(d.shown).toEqual([])
  })
})
