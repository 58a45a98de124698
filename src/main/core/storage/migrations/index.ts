import { sql as queueAndLogs } from './001-queue-and-logs.ts'
import { sql as queueStateIndex } from './002-queue-state-index.ts'
import { sql as reportRollup } from './003-report-rollup.ts'
import { sql as queueCounts } from './005-queue-counts.ts'
import { sql as messageBodies } from './006-message-bodies.ts'

// The schema's migrations in order: a database at user_version n has run the first n.
// A new one is a new numbered file, appended here; a released one never changes.
// 005 is written to run whatever runs before it (004, log search, lands beside it).

export const MIGRATIONS: readonly string[] = [queueAndLogs, queueStateIndex, reportRollup, queueCounts, messageBodies]
