// Migration 5: the queue's counts kept by triggers, in the transaction that changes the rows,
// so the dashboard, the Mail Queue's total and the Delete Queue page's domains never count a million rows.
// `queue_counts` holds one row per state ('state:queued', …); `queue_domain_counts` the messages with
// a pending recipient at each domain (a message with two recipients at one domain counts once).
// Idempotent (IF NOT EXISTS, counts rebuilt from the rows), so it is safe whatever ran before it.
// Released: its SQL never changes.

export const sql = `
  CREATE TABLE IF NOT EXISTS queue_counts (k TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS queue_domain_counts (domain TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS queue_domain_counts_n ON queue_domain_counts (n DESC, domain);

  DELETE FROM queue_counts;
  INSERT INTO queue_counts (k, n) SELECT 'state:' || state, count(*) FROM messages GROUP BY state;
  DELETE FROM queue_domain_counts;
  INSERT INTO queue_domain_counts (domain, n)
    SELECT domain, count(DISTINCT message_id) FROM recipients WHERE status = 'pending' GROUP BY domain;

  CREATE TRIGGER IF NOT EXISTS messages_count_ins AFTER INSERT ON messages BEGIN
    INSERT INTO queue_counts (k, n) VALUES ('state:' || NEW.state, 1) ON CONFLICT (k) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER IF NOT EXISTS messages_count_del AFTER DELETE ON messages BEGIN
    UPDATE queue_counts SET n = n - 1 WHERE k = 'state:' || OLD.state;
  END;
  CREATE TRIGGER IF NOT EXISTS messages_count_state AFTER UPDATE OF state ON messages WHEN OLD.state IS NOT NEW.state BEGIN
    UPDATE queue_counts SET n = n - 1 WHERE k = 'state:' || OLD.state;
    INSERT INTO queue_counts (k, n) VALUES ('state:' || NEW.state, 1) ON CONFLICT (k) DO UPDATE SET n = n + 1;
  END;

  -- A domain gains a message when its first pending recipient there appears, and loses it with the last.
  CREATE TRIGGER IF NOT EXISTS recipients_domain_ins AFTER INSERT ON recipients WHEN NEW.status = 'pending' BEGIN
    INSERT INTO queue_domain_counts (domain, n)
      SELECT NEW.domain, 1 WHERE NOT EXISTS (SELECT 1 FROM recipients WHERE message_id = NEW.message_id AND domain = NEW.domain AND status = 'pending' AND address <> NEW.address)
      ON CONFLICT (domain) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER IF NOT EXISTS recipients_domain_del AFTER DELETE ON recipients WHEN OLD.status = 'pending' BEGIN
    UPDATE queue_domain_counts SET n = n - 1 WHERE domain = OLD.domain
      AND NOT EXISTS (SELECT 1 FROM recipients WHERE message_id = OLD.message_id AND domain = OLD.domain AND status = 'pending');
    DELETE FROM queue_domain_counts WHERE domain = OLD.domain AND n <= 0;
  END;
  CREATE TRIGGER IF NOT EXISTS recipients_domain_done AFTER UPDATE OF status ON recipients WHEN OLD.status = 'pending' AND NEW.status <> 'pending' BEGIN
    UPDATE queue_domain_counts SET n = n - 1 WHERE domain = OLD.domain
      AND NOT EXISTS (SELECT 1 FROM recipients WHERE message_id = OLD.message_id AND domain = OLD.domain AND status = 'pending');
    DELETE FROM queue_domain_counts WHERE domain = OLD.domain AND n <= 0;
  END;
  CREATE TRIGGER IF NOT EXISTS recipients_domain_again AFTER UPDATE OF status ON recipients WHEN OLD.status <> 'pending' AND NEW.status = 'pending' BEGIN
    INSERT INTO queue_domain_counts (domain, n)
      SELECT NEW.domain, 1 WHERE NOT EXISTS (SELECT 1 FROM recipients WHERE message_id = NEW.message_id AND domain = NEW.domain AND status = 'pending' AND address <> NEW.address)
      ON CONFLICT (domain) DO UPDATE SET n = n + 1;
  END;
  `
