import type { DatabaseSync } from 'node:sqlite'
import { sql as queueAndLogs } from './001-queue-and-logs.ts'
import { sql as queueStateIndex } from './002-queue-state-index.ts'
import { sql as reportRollup } from './003-report-rollup.ts'
import { migrate as logSearch } from './004-log-search.ts'
import { sql as queueCounts } from './005-queue-counts.ts'
import { sql as messageBodies } from './006-message-bodies.ts'
import { sql as sentSources } from './007-sent-sources.ts'
import { migrate as mailLogSubject } from './008-mail-log-subject.ts'

// The schema's migrations in order: a database at user_version n has run the first n.
// A new one is a new numbered file, appended here; a released one never changes.

/** SQL, or a function for a migration that depends on what this SQLite can do. */
export type Migration = string | ((db: DatabaseSync) => void)

export const MIGRATIONS: readonly Migration[] = [queueAndLogs, queueStateIndex, reportRollup, logSearch, queueCounts, messageBodies, sentSources, mailLogSubject]

/** Runs one migration on an open database, inside whatever transaction the caller holds. */
export function applyMigration(db: DatabaseSync, migration: Migration): void {
  if (typeof migration === 'string') db.exec(migration)
  else migration(db)
}
