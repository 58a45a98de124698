import { sql as queueAndLogs } from './001-queue-and-logs.ts'
import { sql as queueStateIndex } from './002-queue-state-index.ts'
import { sql as reportRollup } from './003-report-rollup.ts'

// The schema's migrations in order: a database at user_version n has run the first n.
// A new one is a new numbered file, appended here; a released one never changes.

export const MIGRATIONS: readonly string[] = [queueAndLogs, queueStateIndex, reportRollup]
