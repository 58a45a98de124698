import type { ApiError } from '../../../shared/api.ts'
import { storageErrorOf } from '../storage/db.ts'
import { StaleCursorError } from '../logs/paging.ts'
import { QueueError } from '../queue/queue.ts'
import { NotACalendarDay } from '../reports/day-report.ts'
import { SettingsRejected } from '../settings/settings-store.ts'

// Error class → ApiError. Only the explicit input-error classes below reach the
// admin as invalid input; anything else (a TypeError or RangeError included)
// is a fault of the console: reported as internal and written to Logs.

/** Input the admin gave that the engine refuses, in the admin's words. */
export class InputError extends Error {
  override name = 'InputError'
  readonly fields: Record<string, string> | undefined
  constructor(message: string, fields?: Record<string, string>) {
    super(message)
    this.fields = fields
  }
}

/** A request that cannot be done in the state things are in (nothing to undo, say); nothing was changed. */
export class ConflictError extends Error {
  override name = 'ConflictError'
}

/** The ApiError for `err`, and whether it is a fault of ours that belongs in the event log. */
export function toApiError(method: string, err: Error, dataDir: string): { error: ApiError; internal: boolean } {
  const known = expectedError(err, dataDir)
  if (known) return { error: known, internal: false }
  return { error: { code: 'internal', message: `${method} failed: ${err.message}. See Logs for details.` }, internal: true }
}

function expectedError(err: Error, dataDir: string): ApiError | null {
  if (err instanceof SettingsRejected) return { code: 'invalid_request', message: err.message, fields: err.fields }
  if (err instanceof InputError) return { code: 'invalid_request', message: err.message, ...(err.fields ? { fields: err.fields } : {}) }
  if (err instanceof ConflictError) return { code: 'conflict', message: err.message }
  if (err instanceof QueueError) return { code: err.code, message: err.message }
  // The field tells the window to start again from the newest page.
  if (err instanceof StaleCursorError) return { code: 'invalid_request', message: err.message, fields: { cursor: err.message } }
  if (err instanceof NotACalendarDay) return { code: 'invalid_request', message: err.message }
  const storage = storageErrorOf(err, dataDir)
  if (storage) return { code: 'storage', message: storage.message }
  return null
}
