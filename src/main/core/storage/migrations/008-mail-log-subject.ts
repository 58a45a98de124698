import type { DatabaseSync } from 'node:sqlite'

// Migration 8: the Mail Log keeps each message's subject, so a search by subject finds its rows
// as the Mail Queue's does. The trigram index has its columns fixed: it is dropped here, and
// logs/log-search.ts's openLogSearch makes it again with the subject; the indexer refills it.
// Released: what it does never changes.

export function migrate(db: DatabaseSync): void {
  db.exec('ALTER TABLE mail_log ADD COLUMN subject TEXT')
  db.exec('DROP TRIGGER IF EXISTS mail_log_fts_del; DROP TRIGGER IF EXISTS mail_log_fts_upd')
  try {
    db.exec('DROP TABLE IF EXISTS mail_log_fts')
  } catch {
    // A build without FTS5 cannot drop the index; one with it remakes it (openLogSearch finds it without its triggers).
  }
}
