// Migration 1: queue, recipients, mail log, event log, transcripts.
// Released: its SQL never changes (test/core/storage/schema.test.ts).

export const sql = `
  CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    queue_id TEXT NOT NULL UNIQUE,
    message_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    subject TEXT NOT NULL,
    size INTEGER NOT NULL,
    arrival_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'active', 'deferred', 'hold')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    last_reason TEXT,
    last_cause TEXT,
    is_test INTEGER NOT NULL DEFAULT 0,
    raw BLOB NOT NULL
  );
  CREATE INDEX messages_due ON messages (state, next_attempt_at);

  CREATE TABLE recipients (
    message_id INTEGER NOT NULL,
    address TEXT NOT NULL,
    domain TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'bounced', 'expired')),
    dsn TEXT,
    reply TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (message_id, address)
  ) WITHOUT ROWID;

  CREATE TABLE mail_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    queue_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    status TEXT NOT NULL,
    relay TEXT,
    delay_ms INTEGER,
    dsn TEXT,
    reply TEXT,
    size INTEGER,
    tls TEXT,
    cause TEXT
  );
  CREATE INDEX mail_log_at ON mail_log (at);
  CREATE INDEX mail_log_status ON mail_log (status, id);
  CREATE INDEX mail_log_queue ON mail_log (queue_id);

  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('info', 'warning', 'error')),
    source TEXT NOT NULL,
    message TEXT NOT NULL,
    details TEXT
  );
  CREATE INDEX events_at ON events (at);
  CREATE INDEX events_level ON events (level, id);

  -- Row counts kept by triggers, so a page knows its total without counting a million rows.
  CREATE TABLE row_counts (tbl TEXT NOT NULL, k TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (tbl, k)) WITHOUT ROWID;
  CREATE TRIGGER mail_log_count_ins AFTER INSERT ON mail_log BEGIN
    INSERT INTO row_counts (tbl, k, n) VALUES ('mail_log', NEW.status, 1)
      ON CONFLICT (tbl, k) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER mail_log_count_del AFTER DELETE ON mail_log BEGIN
    UPDATE row_counts SET n = n - 1 WHERE tbl = 'mail_log' AND k = OLD.status;
  END;
  CREATE TRIGGER events_count_ins AFTER INSERT ON events BEGIN
    INSERT INTO row_counts (tbl, k, n) VALUES ('events', NEW.level, 1)
      ON CONFLICT (tbl, k) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER events_count_del AFTER DELETE ON events BEGIN
    UPDATE row_counts SET n = n - 1 WHERE tbl = 'events' AND k = OLD.level;
  END;

  CREATE TABLE transcripts (
    queue_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    at INTEGER NOT NULL,
    lines TEXT NOT NULL,
    PRIMARY KEY (queue_id, attempt)
  ) WITHOUT ROWID;

  CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;
  `
