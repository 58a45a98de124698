// Migration 7: the source of messages that left the queue by delivery (sent, bounced, expired), kept for
// the source retention so a delivered message can still be opened. Owned by queue/sent-sources.ts.
// A pruned source keeps its row with raw NULL and why it went, so the console can say so plainly;
// those rows go with the mail log's retention.
// Released: its SQL never changes.

export const sql = `
  CREATE TABLE sent_sources (
    queue_id TEXT PRIMARY KEY,
    left_at INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    subject TEXT NOT NULL,
    size INTEGER NOT NULL,
    raw BLOB,
    pruned_at INTEGER,
    pruned_why TEXT
  );
  CREATE INDEX sent_sources_left_at ON sent_sources (left_at);
  `
