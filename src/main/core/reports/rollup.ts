// The report rollup, defined once: its slot size, the statuses it keeps per
// key, its tables, the triggers that keep them in the same transaction as each
// mail-log row, and the bulk SQL that sums the same from the log (a day summed
// again, or an older database without the rollup). Migration 3 and reports.ts
// both build their SQL from here, so a change to one side is a change to both.
//
// report_slots: per UTC quarter hour (any zone's local hours are whole quarters)
// and status. report_keys: per local day by address, queue id and cause.

/** A slot of report_slots: a UTC quarter hour. */
export const SLOT_MS = 900_000

/** Statuses of a delivery attempt's outcome. */
export const DELIVERY_STATUSES = ['sent', 'deferred', 'bounced', 'expired'] as const
/** Statuses kept per address: what the sender and recipient lists read (Delete Queue's rows cost no more than they must). */
export const KEYED_STATUSES = ['received', ...DELIVERY_STATUSES] as const
/** Statuses kept per queue id: how many messages were deferred or held. */
export const QUEUE_KEYED_STATUSES = ['deferred', 'held'] as const
/** Statuses kept per cause and recipient: the deferral and bounce detail. */
export const CAUSE_STATUSES = ['deferred', 'bounced', 'expired'] as const

/** A list of statuses as SQL literals (they are constants above, never input). */
function sqlList(statuses: readonly string[]): string {
  return statuses.map((s) => `'${s}'`).join(', ')
}

/** The rollup tables; `prefix` makes scratch copies (e.g. 'temp.scratch_') for a report summed straight from the log. */
export function rollupTables(prefix = ''): string {
  return `
    CREATE TABLE IF NOT EXISTS ${prefix}report_slots (
      slot INTEGER NOT NULL,
      status TEXT NOT NULL,
      n INTEGER NOT NULL,
      bytes INTEGER NOT NULL,
      at_sum INTEGER NOT NULL,
      PRIMARY KEY (slot, status)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${prefix}report_keys (
      day TEXT NOT NULL,
      kind TEXT NOT NULL,
      status TEXT NOT NULL,
      key TEXT NOT NULL,
      n INTEGER NOT NULL,
      bytes INTEGER NOT NULL,
      delay_sum INTEGER NOT NULL,
      delay_max INTEGER NOT NULL,
      at_sum INTEGER NOT NULL DEFAULT 0,
      sample TEXT,
      PRIMARY KEY (day, kind, status, key)
    ) WITHOUT ROWID;`
}

/** The triggers that keep the rollup as mail-log rows come and go. */
export const ROLLUP_TRIGGERS = `
    CREATE TRIGGER report_rollup_ins AFTER INSERT ON mail_log BEGIN
      INSERT INTO report_slots (slot, status, n, bytes, at_sum) VALUES (NEW.at / ${SLOT_MS}, NEW.status, 1, coalesce(NEW.size, 0), NEW.at / 1000)
        ON CONFLICT (slot, status) DO UPDATE SET n = n + 1, bytes = bytes + excluded.bytes, at_sum = at_sum + excluded.at_sum;
    END;
    -- Per address only for what the sender and recipient lists read: Delete Queue's rows cost no more than they must.
    CREATE TRIGGER report_rollup_ins_addr AFTER INSERT ON mail_log WHEN NEW.status IN (${sqlList(KEYED_STATUSES)}) BEGIN
      INSERT INTO report_keys (day, kind, status, key, n, bytes, delay_sum, delay_max, at_sum)
        VALUES (date(NEW.at / 1000, 'unixepoch', 'localtime'), 'addr', NEW.status,
          CASE NEW.status WHEN 'received' THEN NEW.sender ELSE NEW.recipient END,
          1, coalesce(NEW.size, 0), coalesce(NEW.delay_ms, 0), coalesce(NEW.delay_ms, 0), NEW.at / 1000)
        ON CONFLICT (day, kind, status, key) DO UPDATE SET n = n + 1, bytes = bytes + excluded.bytes,
          delay_sum = delay_sum + excluded.delay_sum, delay_max = max(delay_max, excluded.delay_max), at_sum = at_sum + excluded.at_sum;
    END;
    CREATE TRIGGER report_rollup_ins_queue AFTER INSERT ON mail_log WHEN NEW.status IN (${sqlList(QUEUE_KEYED_STATUSES)}) BEGIN
      INSERT INTO report_keys (day, kind, status, key, n, bytes, delay_sum, delay_max)
        VALUES (date(NEW.at / 1000, 'unixepoch', 'localtime'), 'queue', NEW.status, NEW.queue_id, 1, 0, 0, 0)
        ON CONFLICT (day, kind, status, key) DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER report_rollup_ins_cause AFTER INSERT ON mail_log WHEN NEW.status IN (${sqlList(CAUSE_STATUSES)}) BEGIN
      INSERT INTO report_keys (day, kind, status, key, n, bytes, delay_sum, delay_max, sample)
        VALUES (date(NEW.at / 1000, 'unixepoch', 'localtime'), 'cause', NEW.status,
          coalesce(NEW.cause, '') || char(9) || NEW.recipient, 1, 0, 0, 0, NEW.reply)
        ON CONFLICT (day, kind, status, key) DO UPDATE SET n = n + 1, sample = coalesce(excluded.sample, sample);
    END;
    -- Pruning: slots stay exact; a day losing rows loses its key rows and is summed again when asked for.
    CREATE TRIGGER report_rollup_del AFTER DELETE ON mail_log BEGIN
      UPDATE report_slots SET n = n - 1, bytes = bytes - coalesce(OLD.size, 0), at_sum = at_sum - OLD.at / 1000 WHERE slot = OLD.at / ${SLOT_MS} AND status = OLD.status;
      DELETE FROM report_slots WHERE slot = OLD.at / ${SLOT_MS} AND status = OLD.status AND n <= 0;
      DELETE FROM report_keys WHERE day = date(OLD.at / 1000, 'unixepoch', 'localtime');
    END;`

/** The rollup's triggers on mail-log inserts: a bulk insert sets them aside and adds `rollupAppendedSql` once instead. */
export const ROLLUP_INSERT_TRIGGERS = ['report_rollup_ins', 'report_rollup_ins_addr', 'report_rollup_ins_queue', 'report_rollup_ins_cause'] as const

const LOCAL_DAY = "date(at / 1000, 'unixepoch', 'localtime')"

/**
 * What the insert triggers would have added for mail-log rows of one status with
 * ids above one given (param: that id, for each statement), summed once per slot,
 * day and key: only the statements whose triggers that status fires.
 */
export function rollupAppendedSql(status: string): string[] {
  const fires = (statuses: readonly string[]) => statuses.includes(status)
  return [
    `INSERT INTO report_slots (slot, status, n, bytes, at_sum)
       SELECT at / ${SLOT_MS}, status, count(*), coalesce(sum(size), 0), sum(at / 1000) FROM mail_log WHERE id > ? GROUP BY 1, 2 ORDER BY 1, 2
       ON CONFLICT (slot, status) DO UPDATE SET n = n + excluded.n, bytes = bytes + excluded.bytes, at_sum = at_sum + excluded.at_sum`,
    ...(fires(KEYED_STATUSES) ? [`INSERT INTO report_keys (day, kind, status, key, n, bytes, delay_sum, delay_max, at_sum)
       SELECT ${LOCAL_DAY} AS d, 'addr', status, CASE status WHEN 'received' THEN sender ELSE recipient END AS k,
         count(*), coalesce(sum(size), 0), coalesce(sum(delay_ms), 0), coalesce(max(delay_ms), 0), sum(at / 1000)
       FROM mail_log WHERE id > ? AND status IN (${sqlList(KEYED_STATUSES)}) GROUP BY d, status, k ORDER BY d, status, k
       ON CONFLICT (day, kind, status, key) DO UPDATE SET n = n + excluded.n, bytes = bytes + excluded.bytes,
         delay_sum = delay_sum + excluded.delay_sum, delay_max = max(delay_max, excluded.delay_max), at_sum = at_sum + excluded.at_sum`] : []),
    ...(fires(QUEUE_KEYED_STATUSES) ? [`INSERT INTO report_keys (day, kind, status, key, n, bytes, delay_sum, delay_max)
       SELECT ${LOCAL_DAY} AS d, 'queue', status, queue_id, count(*), 0, 0, 0
       FROM mail_log WHERE id > ? AND status IN (${sqlList(QUEUE_KEYED_STATUSES)}) GROUP BY d, status, queue_id ORDER BY d, status, queue_id
       ON CONFLICT (day, kind, status, key) DO UPDATE SET n = n + excluded.n`] : []),
    // The sample is the last reply given, as the trigger keeps it: the newest row of the group with one.
    ...(fires(CAUSE_STATUSES) ? [`INSERT INTO report_keys (day, kind, status, key, n, bytes, delay_sum, delay_max, sample)
       SELECT d, 'cause', status, k, n, 0, 0, 0, (SELECT reply FROM mail_log WHERE id = last_reply) FROM (
         SELECT ${LOCAL_DAY} AS d, status, coalesce(cause, '') || char(9) || recipient AS k, count(*) AS n,
           max(CASE WHEN reply IS NOT NULL THEN id END) AS last_reply
         FROM mail_log WHERE id > ? AND status IN (${sqlList(CAUSE_STATUSES)}) GROUP BY d, status, k ORDER BY d, status, k)
       WHERE true
       ON CONFLICT (day, kind, status, key) DO UPDATE SET n = n + excluded.n, sample = coalesce(excluded.sample, sample)`] : []),
  ]
}

/** Fills `slots` from the log, optionally between two instants (`at >= ? AND at < ?`). */
export function fillSlotsSql(slots: string, range: boolean): string {
  return `INSERT INTO ${slots} (slot, status, n, bytes, at_sum)
      SELECT at / ${SLOT_MS}, status, count(*), coalesce(sum(size), 0), sum(at / 1000) FROM mail_log${range ? ' WHERE at >= ? AND at < ?' : ''} GROUP BY 1, 2;`
}

/** Rows, bytes and time sums per status straight from the log between two instants: what the slots hold, for any range. */
export const STATUS_SUMS_FROM_LOG =
  'SELECT status, count(*) AS n, coalesce(sum(size), 0) AS bytes, sum(at / 1000) AS atSum FROM mail_log WHERE at >= ? AND at < ? GROUP BY status'

/** The statements that sum one local day (params: day, from, to) of the log into `keys`, as the triggers would have. */
export function sumDayFromLogSql(keys: string): string[] {
  return [
    `INSERT INTO ${keys} (day, kind, status, key, n, bytes, delay_sum, delay_max, at_sum)
     SELECT ?, 'addr', status, CASE status WHEN 'received' THEN sender ELSE recipient END AS k,
       count(*), coalesce(sum(size), 0), coalesce(sum(delay_ms), 0), coalesce(max(delay_ms), 0), sum(at / 1000)
     FROM mail_log WHERE at >= ? AND at < ? AND status IN (${sqlList(KEYED_STATUSES)}) GROUP BY status, k`,
    `INSERT INTO ${keys} (day, kind, status, key, n, bytes, delay_sum, delay_max)
     SELECT ?, 'queue', status, queue_id, count(*), 0, 0, 0
     FROM mail_log WHERE at >= ? AND at < ? AND status IN (${sqlList(QUEUE_KEYED_STATUSES)}) GROUP BY status, queue_id`,
    // The sample is the reply of the cause's last row: SQLite takes a bare column from the max() row.
    `INSERT INTO ${keys} (day, kind, status, key, n, bytes, delay_sum, delay_max, sample)
     SELECT ?, 'cause', status, k, n, 0, 0, 0, sample FROM (
       SELECT status, coalesce(cause, '') || char(9) || recipient AS k, count(*) AS n, max(id), reply AS sample
       FROM mail_log WHERE at >= ? AND at < ? AND status IN (${sqlList(CAUSE_STATUSES)}) GROUP BY status, k)`,
  ]
}
