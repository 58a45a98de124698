import type { DatabaseSync } from 'node:sqlite'
import { compose } from '../src/main/core/queue/compose.ts'
import { openEngine, type CoreEngine } from '../src/main/core/engine/engine.ts'
import { encodeCursor } from '../src/main/core/logs/paging.ts'
import type { NewMessage } from '../src/main/core/queue/queue.ts'
import { onCleanup, removeDir, tempDir } from './measure.ts'

// The data the benchmark's parts stand on: fresh data directories, a full
// queue and a month of mail log, made the same way by every part that needs them.

export const SENDER = 'bench@example.test'
export const HOSTNAME = 'bench.example.test'
export const ENQUEUE_BATCH = 1_000

/** An engine on a fresh data directory under the temp dir, closed and removed at the end of the run (or on Ctrl-C). */
export async function freshEngine(label: string): Promise<CoreEngine> {
  const dir = tempDir(`smtp-console-bench-${label}-`)
  const engine = await openEngine({ dataDir: dir, startWorker: false })
  onCleanup(async () => {
    await engine.close()
    removeDir(dir)
  })
  return engine
}

/** Closes a part's engine early, so the next part does not share the disk cache with it. */
export async function closeEngine(engine: CoreEngine): Promise<void> {
  const dir = engine.dataDir
  await engine.close()
  removeDir(dir)
}

export function recipientOf(i: number): string {
  return `user${i % 5000}@d${i % 100}.example.test`
}

/** Queue rows that all carry the same composed bytes: the cost measured is the queue's, not the composer's. */
export function drafts(from: number, count: number, raw: Buffer, messageId: string): NewMessage[] {
  const out: NewMessage[] = []
  for (let i = from; i < from + count; i++) {
    out.push({ sender: SENDER, subject: `Nightly report ${i}`, messageId, raw, recipients: [recipientOf(i)] })
  }
  return out
}

/** `total` drafts cut into submit-sized batches, built before any timing starts. */
export function draftBatches(total: number, raw: Buffer, messageId: string, batch = ENQUEUE_BATCH): NewMessage[][] {
  const out: NewMessage[][] = []
  for (let i = 0; i < total; i += batch) out.push(drafts(i, Math.min(batch, total - i), raw, messageId))
  return out
}

/** One transaction per batch, as a burst of alerts reaches the queue. */
export function submitBatches(engine: CoreEngine, batches: NewMessage[][]): void {
  for (const b of batches) engine.queue.submit(b)
}

/** A ~1.2 KB plain-text alert, composed once. */
export async function sampleMessage(): Promise<{ raw: Buffer; messageId: string }> {
  const text = Array.from(
    { length: 11 },
    (_, i) => `Line ${String(i + 1).padStart(2, '0')}: /var on app-${i}.example.test is at ${60 + i}% of its size; nothing to do yet.`,
  ).join('\n')
  return compose({ fromName: 'Bench', fromAddress: SENDER, to: ['ops@example.test'], subject: 'Nightly disk report', text, hostname: HOSTNAME, date: new Date() })
}

// A month of a busy system's log: a `received` row and a delivery row per
// message, mostly sent, some greylisted, a few bounced or expired.
const FILL_MAIL_LOG = `
INSERT INTO mail_log (at, queue_id, sender, recipient, status, relay, delay_ms, dsn, reply, size, tls, cause)
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < :rows),
rows AS (
  SELECT i, (i + 1) / 2 AS msg,
    CASE WHEN i % 2 = 1 THEN 'received' ELSE
      CASE WHEN ((i + 1) / 2) * 2654435761 % 100 < 86 THEN 'sent'
           WHEN ((i + 1) / 2) * 2654435761 % 100 < 94 THEN 'deferred'
           WHEN ((i + 1) / 2) * 2654435761 % 100 < 98 THEN 'bounced'
           ELSE 'expired' END
    END AS status
  FROM seq
)
SELECT
  :start + i * :step,
  printf('%012X', msg * 2654435761 % 281474976710656),
  CASE msg % 4 WHEN 0 THEN 'alerts@example.test' WHEN 1 THEN 'backup@example.test' WHEN 2 THEN 'noreply@example.test' ELSE 'cron@ops.example.test' END,
  'user' || (msg * 7919 % 5000) || '@' || CASE msg % 5 WHEN 0 THEN 'example.com' WHEN 1 THEN 'example.org' WHEN 2 THEN 'mail.example.net' WHEN 3 THEN 'corp.example.test' ELSE 'example.co.uk' END,
  status,
  CASE WHEN status = 'received' THEN NULL ELSE 'relay.example.test[192.0.2.10]:587' END,
  CASE WHEN status = 'received' THEN NULL ELSE 80 + msg * 37 % 5000 END,
  CASE status WHEN 'sent' THEN '2.0.0' WHEN 'deferred' THEN '4.7.1' WHEN 'bounced' THEN '5.7.23' WHEN 'expired' THEN '4.4.7' END,
  CASE status
    WHEN 'sent' THEN '250 2.0.0 Ok: queued as ' || printf('%010X', msg * 97 % 1099511627776)
    WHEN 'deferred' THEN '451 4.7.1 <' || 'user' || (msg * 7919 % 5000) || '>: Recipient address rejected: Greylisted, try again in 300 seconds'
    WHEN 'bounced' THEN '550 5.7.23 Message rejected due to: SPF fail - not authorized'
    WHEN 'expired' THEN 'message expired after the maximal queue lifetime; last error: 421 4.4.2 Connection timed out'
  END,
  900 + msg % 20000,
  CASE WHEN status = 'received' THEN NULL ELSE 'TLSv1.3' END,
  CASE status WHEN 'deferred' THEN 'greylisted' WHEN 'bounced' THEN 'spf-failed' WHEN 'expired' THEN 'expired' END
FROM rows`

/** Appends `rows` mail log rows spread over the last 30 days, in one transaction. */
export function fillMailLog(db: DatabaseSync, rows: number): void {
  const step = Math.floor((30 * 86400 * 1000) / rows)
  db.exec('BEGIN IMMEDIATE')
  try {
    db.prepare(FILL_MAIL_LOG).run({ rows, start: Date.now() - 30 * 86400 * 1000, step })
    db.exec('COMMIT')
  } catch (err) {
    db.exec('ROLLBACK')
    throw err
  }
}

export type MailLogStatusFilter = 'deferred' | 'expired'

/**
 * The cursor the UI holds after paging down to where `olderRows` rows are left,
 * counting the page's own: `b.<id>.<position>.<tag>`, signed as Next hands it out.
 */
export function mailLogCursorAt(db: DatabaseSync, olderRows: number, status?: MailLogStatusFilter): { cursor: string; position: number } {
  const where = status ? 'WHERE status = ?' : ''
  const args = status ? [status] : []
  const id = (db.prepare(`SELECT id FROM mail_log ${where} ORDER BY id LIMIT 1 OFFSET ?`).get(...args, olderRows) as { id: number }).id
  const newer = (db.prepare(`SELECT count(*) AS n FROM mail_log ${where ? `${where} AND` : 'WHERE'} id >= ?`).get(...args, id) as { n: number }).n
  return { cursor: encodeCursor(db, { list: 'mailLog', filter: { status } }, { direction: 'before', id, position: newer }), position: newer }
}
