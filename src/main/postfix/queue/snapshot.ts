import { closeSync, existsSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite'
import type { Page, QueueEntry, QueueFilter, QueueState } from '../../../shared/types.ts'
import { containsPattern, decodeCursor, keysetPage, StaleCursorError, STALE_CURSOR, type CursorScope, type PageQuery } from '../../core/logs/paging.ts'
import { statementCache } from '../../core/storage/statements.ts'
import { Fill, genOf, idOf, seqOf } from './fill.ts'
import type { QueuedMessage } from './postqueue-json.ts'
import { explainReason } from './reason.ts'

// The Mail Queue of a Postfix server as the console pages it: what the last
// `postqueue -j` said, in a local SQLite table this module alone writes, so
// the list pages with the embedded queue's keyset cursors, filters and Page.
// Each reading is a generation; the one before the newest complete one is
// kept so a window paging through it keeps its place while a new one is read.

export const SNAPSHOT_FILE = 'postfix-queue.sqlite'

/** Reads the queue, handing over messages as they come; resolves when the whole queue was read. */
export type QueueReader = (onMessages: (messages: QueuedMessage[]) => void, signal: AbortSignal) => Promise<void>

/** A reading was replaced by a newer one (an action changed the queue meanwhile): ask the newer one. */
export class SupersededError extends Error {
  override name = 'SupersededError'
}

/** A snapshot this recent answers a first page without reading the queue again. */
export const FRESH_MS = 2_000
const PRUNE_CHUNK = 10_000
/** Shown per row, as the embedded queue shows its pending recipients. */
const RECIPIENTS_SHOWN = 20

interface Row {
  id: number
  queue_id: string
  state: QueueState
  arrival_at: number
  size: number
  sender: string
  recipients: string
  recipient_count: number
  reason: string | null
}

const SELECT = 'SELECT id, queue_id, state, arrival_at, size, sender, recipients, recipient_count, reason FROM pf_queue m'

export function toEntry(r: Row): QueueEntry {
  const recipients = r.recipients === '' ? [] : r.recipients.split('\n')
  return {
    queueId: r.queue_id,
    size: r.size,
    arrivalAt: r.arrival_at,
    sender: r.sender,
    // showq does not read the headers; postcat does, for one message.
    subject: '',
    recipients: recipients.slice(0, RECIPIENTS_SHOWN),
    recipientCount: r.recipient_count,
    state: r.state,
    attempts: 0,
    nextAttemptAt: null,
    reason: r.reason,
    explanation: explainReason(r.reason),
    isTest: false,
  }
}

/** The SQL conditions of the Mail Queue's filter on `pf_queue m`, as the embedded queue's filterWhere reads them. */
function filterWhere(filter: QueueFilter, now: number): { where: string[]; params: SQLInputValue[] } {
  const where: string[] = []
  const params: SQLInputValue[] = []
  if (filter.state) {
    where.push('m.state = ?')
    params.push(filter.state)
  }
  const text = filter.text?.trim()
  if (text) {
    const like = containsPattern(text)
    where.push("(m.queue_id LIKE ? ESCAPE '\\' OR m.sender LIKE ? ESCAPE '\\' OR m.recipients LIKE ? ESCAPE '\\' OR m.reason LIKE ? ESCAPE '\\')")
    params.push(like, like, like, like)
  }
  const domain = filter.domain?.trim().toLowerCase()
  if (domain) {
    where.push('EXISTS (SELECT 1 FROM pf_queue_domains d WHERE d.id = m.id AND d.domain = ?)')
    params.push(domain)
  }
  const sender = filter.sender?.trim()
  if (sender) {
    where.push("m.sender LIKE ? ESCAPE '\\'")
    params.push(containsPattern(sender))
  }
  if (filter.olderThanMinutes) {
    where.push('m.arrival_at < ?')
    params.push(now - filter.olderThanMinutes * 60_000)
  }
  return { where, params }
}

function scopeOf(filter: QueueFilter): CursorScope {
  return {
    list: 'queue',
    filter: { state: filter.state, text: filter.text?.trim(), domain: filter.domain?.trim().toLowerCase(), sender: filter.sender?.trim(), olderThanMinutes: filter.olderThanMinutes?.toString() },
  }
}

function domainOf(address: string): string | null {
  const at = address.lastIndexOf('@')
  return at === -1 ? null : address.slice(at + 1).toLowerCase()
}

export class QueueSnapshot {
  private readonly db: DatabaseSync
  private readonly stmt: (sql: string) => StatementSync
  private readonly read: QueueReader
  private readonly now: () => number
  private readonly fills = new Map<number, Fill>()
  private filling: Fill | null = null
  private latest: Fill | null = null
  private nextGen = 1
  private pruning = false
  private closed = false

  constructor(dataDir: string, read: QueueReader, now: () => number = Date.now) {
    const path = join(dataDir, SNAPSHOT_FILE)
    // The queue's senders and recipients are the admin's business only.
    if (!existsSync(path)) closeSync(openSync(path, 'wx', 0o600))
    this.db = new DatabaseSync(path)
    this.read = read
    this.now = now
    // A cache of what Postfix says: losing it to a crash costs one reading of the queue, so no fsync.
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA busy_timeout = 5000')
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS pf_queue (
        id INTEGER PRIMARY KEY, queue_id TEXT NOT NULL, state TEXT NOT NULL, arrival_at INTEGER NOT NULL, size INTEGER NOT NULL,
        sender TEXT NOT NULL, recipients TEXT NOT NULL, recipient_count INTEGER NOT NULL, reason TEXT);
      CREATE INDEX IF NOT EXISTS pf_queue_queue_id ON pf_queue (queue_id);
      CREATE TABLE IF NOT EXISTS pf_queue_domains (id INTEGER NOT NULL, domain TEXT NOT NULL, PRIMARY KEY (id, domain)) WITHOUT ROWID;
      DELETE FROM pf_queue; DELETE FROM pf_queue_domains;`)
    this.stmt = statementCache(this.db)
  }

  /** Reads the queue again now; a reading under way is dropped (the queue changed since it began). */
  refresh(): Fill {
    if (this.closed) throw new Error('The Mail Queue snapshot is closed.')
    const old = this.filling
    if (old) {
      old.controller.abort()
      old.finish(new SupersededError('The queue changed while it was read.'), this.now())
    }
    const fill = new Fill(this.nextGen++, this.now())
    this.fills.set(fill.gen, fill)
    this.filling = fill
    this.read((messages) => this.insert(fill, messages), fill.controller.signal).then(
      () => this.ended(fill, null),
      (err: unknown) => this.ended(fill, err instanceof Error ? err : new Error(String(err))),
    )
    return fill
  }

  private ended(fill: Fill, error: Error | null): void {
    if (fill.aborted || this.closed) return
    fill.finish(error, this.now())
    if (this.filling === fill) this.filling = null
    if (!error) this.latest = fill
    this.prune()
  }

  private insert(fill: Fill, messages: QueuedMessage[]): void {
    if (fill.aborted || this.closed || messages.length === 0) return
    const row = this.stmt('INSERT INTO pf_queue (id, queue_id, state, arrival_at, size, sender, recipients, recipient_count, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
    const dom = this.stmt('INSERT OR IGNORE INTO pf_queue_domains (id, domain) VALUES (?, ?)')
    this.db.exec('BEGIN')
    try {
      for (const m of messages) {
        const id = idOf(fill.gen, fill.rows++)
        const reason = m.recipients.find((r) => r.reason !== null)?.reason ?? null
        row.run(id, m.queueId, m.state, m.arrivalAt, m.size, m.sender, m.recipients.map((r) => r.address).join('\n'), m.recipients.length, reason)
        fill.byState[m.state]++
        const domains = new Set<string>()
        for (const r of m.recipients) {
          const d = domainOf(r.address)
          if (d) domains.add(d)
        }
        for (const d of domains) {
          dom.run(id, d)
          fill.byDomain.set(d, (fill.byDomain.get(d) ?? 0) + 1)
        }
      }
      this.db.exec('COMMIT')
    } catch (err) {
      this.db.exec('ROLLBACK')
      throw err
    }
    fill.wake()
  }

  /** The reading a first page is answered from: the one under way, a complete one read just now, or a new one. */
  private current(): Fill {
    if (this.filling) return this.filling
    const latest = this.latest
    if (latest?.finishedAt != null && this.now() - latest.finishedAt < FRESH_MS) return latest
    return this.refresh()
  }

  /** A complete reading begun after now (the queue as it is, for a count or an action on a filter). */
  async complete(): Promise<Fill> {
    for (let tries = 0; ; tries++) {
      const fill = this.refresh()
      try {
        await fill.until(Number.MAX_SAFE_INTEGER)
        return fill
      } catch (err) {
        if (!(err instanceof SupersededError) || tries >= 3) throw err
      }
    }
  }

  /** A Mail Queue page; without a cursor, from a fresh reading as soon as its first rows are in. */
  async list(query: PageQuery & QueueFilter): Promise<Page<QueueEntry>> {
    const scope = scopeOf(query)
    const cursor = decodeCursor(this.db, scope, query.cursor)
    for (let tries = 0; ; tries++) {
      let fill: Fill
      let waited: Promise<void>
      if (cursor) {
        const found = this.fills.get(genOf(cursor.id))
        if (!found || found.error) throw new StaleCursorError(STALE_CURSOR)
        fill = found
        // Unfiltered, the rows after the cursor's are the next ones read: a page and one more (is there a next page?).
        waited = query.state || isFiltered(query) ? fill.until(Number.MAX_SAFE_INTEGER) : fill.until(seqOf(cursor.id) + query.limit + 2)
      } else {
        fill = this.current()
        // A filter other than State may skip any row: its first page waits for the whole reading.
        waited = isFiltered(query) ? fill.until(Number.MAX_SAFE_INTEGER) : fill.until(query.limit + 1, query.state)
      }
      try {
        await waited
        return this.page(fill, query, scope)
      } catch (err) {
        if (err instanceof SupersededError && !cursor && tries < 3) continue
        if (err instanceof SupersededError) throw new StaleCursorError(STALE_CURSOR)
        throw err
      }
    }
  }

  private page(fill: Fill, query: PageQuery & QueueFilter, scope: CursorScope): Page<QueueEntry> {
    const { where, params } = filterWhere(query, this.now())
    const [low, high] = fill.range
    const onlyState = !query.text?.trim() && !query.domain?.trim() && !query.sender?.trim() && !query.olderThanMinutes
    const page = keysetPage<Row, QueueEntry>(
      {
        db: this.db,
        scope,
        select: SELECT,
        idColumn: 'm.id',
        where: ['m.id >= ?', 'm.id < ?', ...where],
        params: [low, high, ...params],
        map: toEntry,
        idOf: (r) => r.id,
        countFrom: 'pf_queue m',
        ...(onlyState ? { total: () => (query.state ? fill.byState[query.state] : fill.rows) } : {}),
      },
      query,
    )
    // While the reading goes on, the total is what is in so far.
    return fill.done ? page : { ...page, totalExact: false }
  }

  /** How many messages of a complete reading the filter selects. */
  countMatching(fill: Fill, filter: QueueFilter): number {
    const { where, params } = filterWhere(filter, this.now())
    const [low, high] = fill.range
    return (this.db.prepare(`SELECT count(*) AS n FROM pf_queue m WHERE m.id >= ? AND m.id < ?${where.map((w) => ` AND ${w}`).join('')}`).get(low, high, ...params) as { n: number }).n
  }

  /** The queue ids a filter selects in a complete reading, with their states. */
  matching(fill: Fill, filter: QueueFilter): { queueId: string; state: QueueState }[] {
    const { where, params } = filterWhere(filter, this.now())
    const [low, high] = fill.range
    const rows = this.db
      .prepare(`SELECT queue_id, state FROM pf_queue m WHERE m.id >= ? AND m.id < ?${where.map((w) => ` AND ${w}`).join('')} ORDER BY m.id DESC`)
      .all(low, high, ...params) as { queue_id: string; state: QueueState }[]
    return rows.map((r) => ({ queueId: r.queue_id, state: r.state }))
  }

  /** One message as the newest reading that has it says, or null. */
  find(queueId: string): QueueEntry | null {
    const fill = this.filling ?? this.latest
    const candidates = [fill, this.latest].filter((f): f is Fill => f !== null)
    for (const f of candidates) {
      const [low, high] = f.range
      const row = this.stmt(`${SELECT} WHERE m.queue_id = ? AND m.id >= ? AND m.id < ?`).get(queueId, low, high) as Row | undefined
      if (row) return toEntry(row)
    }
    return null
  }

  /** Pending recipients with their reasons, from the newest reading that has the message. */
  recipientsOf(queueId: string): string[] {
    const f = this.filling ?? this.latest
    if (!f) return []
    const [low, high] = f.range
    const row = this.stmt('SELECT recipients FROM pf_queue WHERE queue_id = ? AND id >= ? AND id < ?').get(queueId, low, high) as { recipients: string } | undefined
    return row && row.recipients !== '' ? row.recipients.split('\n') : []
  }

  /** The recipient domains with the most messages in the newest complete reading (at most 20). */
  topDomains(): { domain: string; count: number }[] {
    if (!this.latest) return []
    return [...this.latest.byDomain.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, 20)
      .map(([domain, count]) => ({ domain, count }))
  }

  /** The newest complete reading, or null before the first. */
  get newest(): Fill | null {
    return this.latest
  }

  /**
   * Drops the readings no window can page any more (all but the newest complete
   * one, the one before it and one under way), a chunk at a time with the event
   * loop free between chunks.
   */
  private prune(): void {
    if (this.pruning) return
    const keep = [...this.fills.values()].filter((f) => f.done && !f.aborted).sort((a, b) => b.gen - a.gen).slice(0, 2)
    if (this.filling) keep.push(this.filling)
    const drop = [...this.fills.values()].filter((f) => !keep.includes(f) && (f.finishedAt !== null || f.aborted))
    if (drop.length === 0) return
    for (const f of drop) this.fills.delete(f.gen)
    this.pruning = true
    const ranges = drop.map((f) => f.range)
    const step = () => {
      if (this.closed) return
      let left = false
      for (const [low, high] of ranges) {
        const gone = this.stmt('DELETE FROM pf_queue WHERE id IN (SELECT id FROM pf_queue WHERE id >= ? AND id < ? LIMIT ?)').run(low, high, PRUNE_CHUNK).changes
        this.stmt('DELETE FROM pf_queue_domains WHERE id IN (SELECT id FROM pf_queue_domains WHERE id >= ? AND id < ? LIMIT ?)').run(low, high, PRUNE_CHUNK)
        if (Number(gone) === PRUNE_CHUNK) left = true
        else {
          const rest = this.stmt('SELECT 1 FROM pf_queue_domains WHERE id >= ? AND id < ? LIMIT 1').get(low, high)
          if (rest) left = true
        }
      }
      if (left) setImmediate(step)
      else {
        this.pruning = false
        this.prune()
      }
    }
    setImmediate(step)
  }

  close(): void {
    if (this.closed) return
    this.filling?.controller.abort()
    this.closed = true
    this.db.close()
  }
}

function isFiltered(q: QueueFilter): boolean {
  return Boolean(q.text?.trim() || q.domain?.trim() || q.sender?.trim() || q.olderThanMinutes)
}
