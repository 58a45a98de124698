// The method names alone, without schemas, so the preload stays small.
export const API_METHODS = [
  'status.get',
  'settings.get',
  'settings.update',
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
] as const

export type ApiMethod = (typeof API_METHODS)[number]

export const EVENT_NAMES = ['queue.changed', 'mailLog.appended', 'events.appended', 'delivery.progress', 'settings.changed', 'queue.progress', 'diagnostics.progress', 'alerts.raised', 'alerts.badge'] as const
