// The method names alone, without schemas, so the preload stays small.

/** The methods one system answers (this computer's engine, or a Postfix server). */
export const ENGINE_METHODS = [
  'status.get',
  'settings.get',
  'settings.update',
  'settings.preview',
  'settings.undo',
  'dkim.generateKey',
  'mail.sendTest',
  'mail.transcript',
  'queue.list',
  'queue.summary',
  'queue.get',
  'queue.source',
  'message.get',
  'queue.flush',
  'queue.deleteAll',
  'queue.delete',
  'queue.hold',
  'queue.release',
  'queue.retry',
  'queue.countMatching',
  'queue.actOnMatching',
  'mailLog.list',
  'events.list',
  'logs.exportCsv',
  'reports.day',
  'reports.export',
  'diagnostics.run',
  'alerts.current',
] as const

/** The methods about the systems themselves: answered by the console, whichever system is shown. */
export const SYSTEMS_METHODS = ['systems.list', 'systems.add', 'systems.remove', 'systems.summary', 'systems.acceptHostKey'] as const

export const API_METHODS = [...ENGINE_METHODS, ...SYSTEMS_METHODS] as const

export type ApiMethod = (typeof API_METHODS)[number]
export type EngineMethod = (typeof ENGINE_METHODS)[number]
export type SystemsMethod = (typeof SYSTEMS_METHODS)[number]

export function isSystemsMethod(method: string): method is SystemsMethod {
  return (SYSTEMS_METHODS as readonly string[]).includes(method)
}

export const EVENT_NAMES = ['queue.changed', 'mailLog.appended', 'events.appended', 'delivery.progress', 'settings.changed', 'queue.progress', 'diagnostics.progress', 'alerts.raised', 'alerts.badge'] as const
