import type { Alert } from '../../shared/alerts.ts'
import type { Engine } from '../core/engine/engine-types.ts'

// The engine's alerts on the desktop: a native notification for each (a click
// opens the Mail Queue) and the count of waiting messages on the dock badge
// where the system has one, else on a tray icon's tooltip and title. Written
// against the few parts of Electron it uses, so a stand-in can test it.

/** Electron's Notification, as used here. */
export interface NotificationLike {
  on(event: 'click', listener: () => void): unknown
  on(event: 'close', listener: () => void): unknown
  show(): void
}

/** Electron's Tray, as used here. */
export interface TrayLike {
  setToolTip(toolTip: string): void
  setTitle(title: string): void
  on(event: 'click', listener: () => void): unknown
  destroy(): void
}

export interface DesktopAlertParts {
  platform: NodeJS.Platform
  app: {
    /** False where the system has no badge (Windows, most Linux desktops). */
    setBadgeCount(count?: number): boolean
    setAppUserModelId(id: string): void
  }
  Notification: { isSupported(): boolean; new (options: { title: string; body: string }): NotificationLike }
  /** Makes the tray icon, the first time a count needs showing where there is no badge. */
  createTray(): TrayLike
  /** The installers' appId: Windows shows notifications only for an app with this id. */
  appUserModelId: string
  appName: string
  /** Shows the window on the Mail Queue. */
  openQueue(): void
}

export interface DesktopAlerts {
  /** The notifications shown and not yet closed or clicked (kept so a click still reaches its handler). */
  readonly open: ReadonlySet<NotificationLike>
  stop(): void
}

export function wireDesktopAlerts(engine: Pick<Engine, 'on' | 'call'>, parts: DesktopAlertParts): DesktopAlerts {
  if (parts.platform === 'win32') parts.app.setAppUserModelId(parts.appUserModelId)
  const open = new Set<NotificationLike>()
  let tray: TrayLike | null = null

  const show = (alert: Alert) => {
    if (!parts.Notification.isSupported()) return
    const notification = new parts.Notification({ title: alert.title, body: alert.body })
    // Electron drops a notification's handlers once nothing holds it; it is held until clicked or closed.
    open.add(notification)
    notification.on('click', () => {
      open.delete(notification)
      parts.openQueue()
    })
    notification.on('close', () => open.delete(notification))
    notification.show()
  }

  const badge = (count: number) => {
    if (tray === null && parts.app.setBadgeCount(count)) return
    if (tray === null && count === 0) return
    if (tray === null) {
      tray = parts.createTray()
      tray.on('click', () => parts.openQueue())
    }
    const text = count === 0 ? `${parts.appName}: no mail waiting on a problem` : `${parts.appName}: ${count.toLocaleString('en-US')} message${count === 1 ? '' : 's'} waiting`
    tray.setToolTip(text)
    tray.setTitle(count === 0 ? '' : count.toLocaleString('en-US'))
  }

  let counted = false
  let stopped = false
  const offs = [
    engine.on('alerts.raised', show),
    engine.on('alerts.badge', ({ count }) => {
      counted = true
      badge(count)
    }),
  ]
  // The engine looked at its queue as it opened, before anything listened: the count of an outage under way is asked once.
  void engine.call('alerts.current', undefined).then((current) => {
    if (current.ok && current.data.badge.count > 0 && !counted && !stopped) badge(current.data.badge.count)
  })
  return {
    open,
    stop() {
      stopped = true
      for (const off of offs) off()
      tray?.destroy()
      tray = null
      open.clear()
    },
  }
}
