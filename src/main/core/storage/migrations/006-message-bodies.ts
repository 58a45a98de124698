// Migration 6: the raw message in a table of its own, so that a state change (Flush Queue, claim,
// defer) rewrites a row of ~100 bytes instead of one holding the whole message.
// Existing bodies are moved over in bulk; messages.raw is then dropped.
// Released: its SQL never changes.

export const sql = `
  CREATE TABLE message_bodies (message_id INTEGER PRIMARY KEY, raw BLOB NOT NULL);
  INSERT INTO message_bodies (message_id, raw) SELECT id, raw FROM messages;
  ALTER TABLE messages DROP COLUMN raw;
  `
