// Migration 2: the Mail Queue filtered by state pages newest-first without sorting the whole state.
// Released: its SQL never changes (test/core/storage/schema.test.ts).

export const sql = `
  CREATE INDEX messages_state_id ON messages (state, id);
  `
