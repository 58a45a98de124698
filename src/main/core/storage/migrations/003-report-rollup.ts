import { fillSlotsSql, rollupTables, ROLLUP_TRIGGERS } from '../../reports/rollup.ts'

// Migration 3: report rollups kept by triggers, so a day's report reads thousands of rows, not millions.
// The tables and triggers are defined in reports/rollup.ts, with the bulk SQL that must agree with them;
// reports.ts checks the two tables against each other and sums a day again when they disagree.
// Released: its SQL never changes (test/core/storage/schema.test.ts).

export const sql = `${rollupTables()}${ROLLUP_TRIGGERS}
    ${fillSlotsSql('report_slots', false)}
  `
