import { migrateLogSearch } from '../../logs/log-search.ts'

// Migration 4: the Mail Log's and Logs' trigram text indexes, where this SQLite has FTS5 with
// trigram; logs/log-search.ts owns them (a build without the module gets them when one with it opens the file).

export const migrate = migrateLogSearch
