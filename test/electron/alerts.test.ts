import { describe, expect, it } from 'vitest'
import type { ApiEvents } from '../../src/shared/api.ts'
import type { Alert } from '../../src/shared/alerts.ts'
import type { Engine } from '../../src/main/core/engine/engine-types.ts'
import { wireDesktopAlerts, type DesktopAlertParts, type NotificationLike, type TrayLike } from '../../src/main/electron/alerts.ts'

// The desktop alerts against a stand-in for Electron's Notification, Tray and
// app (no Electron binary can run here); main.ts hands the real ones, and the
// type check holds them to the same shapes.

class Events implements Pick<Engine, 'on'> {
  readonly listeners = new Map<string, Set<(payload: never) => void>>()
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
})
