import { existsSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import type { CoreEngine } from '../src/main/core/engine/engine.ts'
import { indexSome, notIndexed } from '../src/main/core/logs/log-search.ts'
import { startWebServer } from '../src/main/web/server.ts'
import { closeEngine, fillMailLog, freshEngine, mailLogCursorAt, type MailLogStatusFilter } from './fill.ts'
import { check, median, medianMs, onCleanup, progress, round, timed } from './measure.ts'
import { apiRoundTrips, CHROMIUM, ensureWebBuild, freshPage, launch, mailLogAt, nextClicks, WEB_DIR } from './ui.ts'

// The Mail Log at incident scale (`--only=logs10m`): what writing a log row
// costs with the search index kept on insert and with the background indexer,
// in the same run; then ten million rows, filled and indexed in bulk once,
// paged, searched, and paged with Next in Chromium at depth.

type Figures = Record<string, unknown>

/** `SMTP_CONSOLE_BENCH_LOG_ROWS` runs the big part at another size (the machine may be too small or too slow for 10M). */
const BIG_ROWS = Number(process.env.SMTP_CONSOLE_BENCH_LOG_ROWS ?? 10_000_000)
const BURST_ROWS = 200_000
const BURST_ROUNDS = 2
const PAGE_RUNS = 25
const SEARCH_RUNS = 9
/** The rows above the indexer's mark while searching: one indexer turn's worth, as on a busy console. */
const TAIL_ROWS = 2_000
const NEXT_RUNS = 20
const WARMUP = 3
const PAGE_LIMIT = 50

/** Rows shaped as Delete Queue writes them (one `deleted` row per pending recipient), appended in one transaction. */
const DELETED_ROWS = `
INSERT INTO mail_log (at, queue_id, sender, recipient, status, delay_ms, size, reply)
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < :rows)
SELECT :at, printf('%012X', (:from + i) * 2654435761 % 281474976710656), 'alerts@example.test',
  'user' || ((:from + i) % 5000) || '@d' || ((:from + i) % 100) || '.example.test', 'deleted', 3600000 + i, 1200,
  'Deleted from the queue by the administrator (Delete Queue).'
FROM seq`

function appendDeleted(engine: CoreEngine, rows: number, from: number): number {
  return timed(() => {
    engine.db.exec('BEGIN IMMEDIATE')
    engine.db.prepare(DELETED_ROWS).run({ rows, at: Date.now(), from })
    engine.db.exec('COMMIT')
  }).ms
}

/** The trigger the index had before it was filled in the background: every insert indexed at once. */
const INSERT_TRIGGER = `
CREATE TEMP TRIGGER bench_index_on_insert AFTER INSERT ON main.mail_log BEGIN
  INSERT INTO mail_log_fts (rowid, queue_id, sender, recipient, reply, status) VALUES (NEW.id, NEW.queue_id, NEW.sender, NEW.recipient, NEW.reply, NEW.status);
END`

async function insertCost(): Promise<Figures> {
  const without: number[] = []
  const withTrigger: number[] = []
  const catchUp: { ms: number; turns: number; maxTurnMs: number }[] = []
  for (let round_ = 0; round_ < BURST_ROUNDS; round_++) {
    // Alternating which goes first, so the page cache or a neighbour's burst does not favour one side.
    const order = round_ % 2 === 0 ? ['background', 'trigger'] : ['trigger', 'background']
    for (const side of order) {
      const engine = await freshEngine(`insert-${side}`)
      engine.logIndexer.stop()
      if (side === 'trigger') {
        engine.db.exec(INSERT_TRIGGER)
        progress(`insert cost: ${BURST_ROWS} Delete-Queue rows, index kept by an insert trigger`)
        withTrigger.push(appendDeleted(engine, BURST_ROWS, 0))
        check(notIndexed(engine.db, 'mail_log') === BURST_ROWS, 'the trigger filled the index, the mark did not move')
      } else {
        progress(`insert cost: ${BURST_ROWS} Delete-Queue rows, index filled in the background`)
        without.push(appendDeleted(engine, BURST_ROWS, 0))
        // The deferred cost: the indexer's turns that catch up with the burst.
        let turns = 0
        let maxTurnMs = 0
        const start = performance.now()
        for (;;) {
          const turn = timed(() => engine.logIndexer.turn())
          if (turn.value === 0) break
          turns++
          maxTurnMs = Math.max(maxTurnMs, turn.ms)
        }
        catchUp.push({ ms: round(performance.now() - start, 0), turns, maxTurnMs: round(maxTurnMs, 1) })
        check(notIndexed(engine.db, 'mail_log') === 0, 'the indexer caught up with the burst')
      }
      await closeEngine(engine)
    }
  }
  const best = (v: number[]) => Math.min(...v)
  return {
    maillog_insert_200k_background_index_ms: round(best(without), 0),
    maillog_insert_200k_trigger_index_ms: round(best(withTrigger), 0),
    maillog_insert_trigger_vs_background_ratio: round(best(withTrigger) / best(without), 2),
    maillog_insert_detail: {
      statistic: `best of ${BURST_ROUNDS} interleaved rounds, each on a fresh data directory`,
      rows: BURST_ROWS,
      background_ms: without.map((v) => round(v, 0)),
      trigger_ms: withTrigger.map((v) => round(v, 0)),
      indexer_catch_up: catchUp,
    },
  }
}

async function bigLog(): Promise<Figures> {
  const label = BIG_ROWS >= 1_000_000 ? `${BIG_ROWS / 1_000_000}M` : String(BIG_ROWS)
  const engine = await freshEngine('maillog-big')
  engine.logIndexer.stop()
  progress(`mail log ${label}: filling ${BIG_ROWS} rows in one transaction`)
  const fill = timed(() => fillMailLog(engine.db, BIG_ROWS))
  progress(`mail log ${label}: filled in ${round(fill.ms / 1000, 1)} s; indexing every row in one transaction`)
  const index = timed(() => indexSome(engine.db, 'mail_log', BIG_ROWS + 1))
  check(index.value === BIG_ROWS && notIndexed(engine.db, 'mail_log') === 0, `the index holds all ${BIG_ROWS} rows`)
  progress(`mail log ${label}: indexed in ${round(index.ms / 1000, 1)} s`)

  const pageAt = (status: MailLogStatusFilter | undefined, deep: boolean) => {
    const at = deep ? mailLogCursorAt(engine.db, 60, status) : { cursor: null, position: 0 }
    const query = { limit: PAGE_LIMIT, cursor: at.cursor, ...(status ? { status } : {}) }
    const page = engine.mailLog.list(query)
    check(page.items.length === PAGE_LIMIT && page.position === at.position, `mail log page at position ${at.position}`)
    return { ms: round(medianMs(() => engine.mailLog.list(query), PAGE_RUNS), 3), position: at.position }
  }
  progress(`mail log ${label}: pages, first and at depth, with and without Status`)
  const pages = {
    first: pageAt(undefined, false),
    deep: pageAt(undefined, true),
    deferred_first: pageAt('deferred', false),
    deferred_deep: pageAt('deferred', true),
    expired_first: pageAt('expired', false),
    expired_deep: pageAt('expired', true),
  }

  // Rows logged since the indexer's last turn: every search reads them with LIKE besides the index.
  appendDeleted(engine, TAIL_ROWS, BIG_ROWS)
  check(notIndexed(engine.db, 'mail_log') === TAIL_ROWS, `${TAIL_ROWS} rows wait for the indexer`)
  progress(`mail log ${label}: searches (${TAIL_ROWS} rows not indexed yet)`)
  const searches: Record<string, { text: string; status?: string; ms: number; total: number; exact: boolean }> = {}
  const search = (key: string, text: string, status?: 'bounced' | 'deferred') => {
    const query = { limit: PAGE_LIMIT, text, ...(status ? { status } : {}) }
    const page = engine.mailLog.list(query)
    const ms = round(medianMs(() => engine.mailLog.list(query), SEARCH_RUNS, 2), 3)
    searches[key] = { text, ...(status ? { status } : {}), ms, total: page.total, exact: page.totalExact }
  }
  search('address', 'user4999@')
  search('address_domain_end', '4999@example.co.uk')
  search('reply_middle', 'Recipient address rejected')
  // The middle of a queue id logged half way down the log, as an admin pastes part of one.
  const midId = (engine.db.prepare('SELECT queue_id FROM mail_log WHERE id = ?').get(Math.floor(BIG_ROWS / 2)) as { queue_id: string }).queue_id
  search('queue_id_middle', midId.slice(3, 10))
  search('address_with_status', 'user4999@', 'deferred')
  search('common_with_rare_status', 'example.org', 'bounced')
  const searchMs = Math.max(...Object.values(searches).map((s) => s.ms))
  // Made only of trigrams a quarter of the rows hold (this fill's relay ids are zero-padded, "queued as 000…"),
  // with a few dozen matches among the oldest rows: the index walks both lists to their ends. Reported apart.
  search('only_common_trigrams', '0000001')

  const figures: Figures = {
    [`maillog_fill_${label.toLowerCase()}_ms`]: round(fill.ms, 0),
    [`maillog_index_${label.toLowerCase()}_ms`]: round(index.ms, 0),
    maillog_page_ms_at_10m: round(Math.max(...Object.values(pages).map((p) => p.ms)), 3),
    maillog_search_text_ms_at_10m: searchMs,
    maillog_search_only_common_trigrams_ms_at_10m: searches.only_common_trigrams!.ms,
    maillog_10m_detail: { rows: BIG_ROWS, page_runs: PAGE_RUNS, search_runs: SEARCH_RUNS, not_indexed_while_searching: TAIL_ROWS, pages, searches },
  }
  Object.assign(figures, await nextAtDepth(engine, label))
  await closeEngine(engine)
  return figures
}

/** Next on the Mail Log in Chromium at the bottom of the big log, as bench/ui.ts measures it at 1.1M. */
async function nextAtDepth(engine: CoreEngine, label: string): Promise<Figures> {
  if (!existsSync(CHROMIUM)) {
    progress(`mail log ${label}: ${CHROMIUM} is not installed: Next in the UI not measured`)
    return { maillog_next_roundtrip_ms_at_10m: null }
  }
  const build = ensureWebBuild()
  const server = await startWebServer(engine, { staticDir: WEB_DIR })
  onCleanup(() => server.close())
  const browser = await launch()
  const deep = mailLogCursorAt(engine.db, (WARMUP + NEXT_RUNS + 10) * PAGE_LIMIT)
  progress(`mail log ${label}: the page's API call at position ${deep.position} (${NEXT_RUNS} round trips)`)
  const page = await freshPage(browser)
  await page.goto(`${server.url}#/mail-log`, { waitUntil: 'commit', timeout: 30_000 })
  await page.locator('.pager-position', { hasText: '1–' }).waitFor({ timeout: 30_000 })
  const api = await apiRoundTrips(page, server.token, deep.cursor, NEXT_RUNS, WARMUP)
  progress(`mail log ${label}: Next in the UI at depth (${NEXT_RUNS} clicks)`)
  const deepPage = await mailLogAt(browser, server.url, deep)
  const clicks = await nextClicks(deepPage, NEXT_RUNS, WARMUP)
  await deepPage.context().close()
  await page.context().close()
  await server.close()
  const uiMs = median(clicks.samples)
  return {
    maillog_next_roundtrip_ms_at_10m: round(Math.max(uiMs, median(api.samples)), 1),
    maillog_next_10m_detail: {
      statistic: `max of the medians of ${NEXT_RUNS} (after ${WARMUP} unmeasured): the UI click and the page's own API call`,
      ui_next_deep_ms: round(uiMs, 1),
      ui_next_deep_request_ms: round(median(clicks.fetches), 1),
      ui_next_deep_from: clicks.before,
      ui_next_deep_to: clicks.after,
      api_deep_ms: round(median(api.samples), 1),
      api_deep_position: api.position,
      renderer_build: build.stale ? 'stale (rebuild failed)' : build.built ? 'rebuilt for this run' : 'current',
    },
  }
}

export async function benchLogSearch(): Promise<Figures> {
  return { ...(await insertCost()), ...(await bigLog()) }
}
