import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { chromium, type Browser, type Page } from '@playwright/test'
import { startWebServer } from '../src/main/web/server.ts'
import { draftBatches, fillMailLog, freshEngine, mailLogCursorAt, sampleMessage, submitBatches } from './fill.ts'
import { check, median, onCleanup, progress, round, timed } from './measure.ts'

// The console as an admin meets it: the built renderer in Chromium through the
// web adapter, on a data directory with 100,000 queued messages and a million
// mail log rows. Times are taken from Node (page load) or inside the page
// (clicks, API calls), never from Playwright's own waiting.

const ROOT = join(import.meta.dirname, '..')
export const WEB_DIR = join(ROOT, 'dist', 'web')
export const CHROMIUM = '/usr/bin/chromium'
const QUEUED = 100_000
const MAILLOG_ROWS = 1_000_000
const DASHBOARD_LOADS = 5
const NEXT_RUNS = 20
const WARMUP = 3
const PAGE_LIMIT = 50
// Deep enough to stand for "at depth 1M", with room left for every Next click.
const DEEP_ROWS_LEFT = (WARMUP + NEXT_RUNS + 10) * PAGE_LIMIT
const WAIT_MS = 30_000
const BUILD_TIMEOUT_MS = 5 * 60_000

type Figures = Record<string, unknown>

function newestMtime(dir: string, depth = 4): number {
  let newest = 0
  if (depth < 0 || !existsSync(dir)) return newest
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path, depth - 1) : statSync(path).mtimeMs)
  }
  return newest
}

/** Builds the renderer when there is no build, or when its sources are newer than it; the figures are of today's code. */
export function ensureWebBuild(): { built: boolean; stale: boolean } {
  const index = join(WEB_DIR, 'index.html')
  const have = existsSync(index)
  const sources = Math.max(newestMtime(join(ROOT, 'src', 'renderer')), newestMtime(join(ROOT, 'src', 'shared')))
  if (have && statSync(index).mtimeMs >= sources) return { built: false, stale: false }
  progress(have ? 'ui: the renderer build is older than its sources; rebuilding it' : 'ui: building the renderer (dist/web)')
  // Build output goes to stderr so that --json keeps stdout to itself.
  const run = spawnSync('npx', ['vite', 'build', '--config', 'vite.web.config.ts'], { cwd: ROOT, stdio: ['ignore', 2, 2], timeout: BUILD_TIMEOUT_MS })
  if (run.status === 0 && existsSync(index)) return { built: true, stale: false }
  if (!existsSync(index)) throw new Error(`the renderer build failed (exit ${run.status ?? run.signal}) and dist/web has no index.html`)
  progress('ui: the rebuild failed; measuring the previous build')
  return { built: false, stale: true }
}

export async function launch(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
  onCleanup(() => browser.close())
  return browser
}

/** A page in its own browser context: no HTTP cache, no session storage from an earlier load. */
export async function freshPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  const page = await context.newPage()
  page.on('pageerror', (err) => progress(`ui: page error: ${err.message}`))
  return page
}

/**
 * Resolves with the page's own clock when the dashboard is populated: the
 * Queue card's total reads `total`, and the Mail Queue and Mail Log sections
 * list their most recent rows.
 */
async function dashboardPopulated(page: Page, total: string): Promise<number> {
  const handle = await page.waitForFunction(
    (expected) => {
      const totalText = [...document.querySelectorAll('section[aria-labelledby="glance-queue"] .count')]
        .find((c) => c.querySelector('dt')?.textContent?.trim() === 'total')
        ?.querySelector('dd')
        ?.textContent?.trim()
      const rows = (caption: string) =>
        [...document.querySelectorAll('table')].find((t) => t.querySelector('caption')?.textContent === caption)?.querySelectorAll('tbody tr').length ?? 0
      const ready = totalText === expected && rows('Most recent Mail Queue entries') > 0 && rows('Most recent Mail Log entries') > 0
      return ready ? performance.now() : false
    },
    total,
    { polling: 'raf', timeout: WAIT_MS },
  )
  return (await handle.jsonValue()) as number
}

interface Load {
  ms: number
  inPageMs: number
  /** When each request the page made was sent and answered, in the page's clock: where the time went. */
  requests: Record<string, [sent: number, answered: number]>
}

async function dashboardLoad(browser: Browser, url: string, total: string): Promise<Load> {
  const page = await freshPage(browser)
  try {
    const start = performance.now()
    // 'commit': the clock runs until the data is on screen, not until the load event.
    await page.goto(url, { waitUntil: 'commit', timeout: WAIT_MS })
    const inPageMs = await dashboardPopulated(page, total)
    const ms = performance.now() - start
    const requests = await page.evaluate(() => {
      const out: Record<string, [number, number]> = {}
      for (const e of performance.getEntriesByType('resource') as PerformanceResourceTiming[]) {
        const name = new URL(e.name).pathname.replace(/^.*\//, '')
        if (!out[name]) out[name] = [Math.round(e.startTime), Math.round(e.responseEnd)]
      }
      return out
    })
    return { ms, inPageMs, requests }
  } finally {
    await page.context().close()
  }
}

/**
 * Clicks the pager's Next `warmup + runs` times inside the page and returns
 * the ms from each measured click to the position text ("51–100 of …")
 * changing, the moment the new page is rendered.
 */
export async function nextClicks(page: Page, runs: number, warmup: number): Promise<{ samples: number[]; fetches: number[]; before: string; after: string }> {
  return page.evaluate(
    async ({ runs, warmup, waitMs }) => {
      const position = () => document.querySelector('.pager-position')?.textContent ?? ''
      const nextButton = () => [...document.querySelectorAll<HTMLButtonElement>('.pager button')].find((b) => b.textContent?.trim() === 'Next')
      const before = position()
      const samples: number[] = []
      const fetches: number[] = []
      for (let i = 0; i < warmup + runs; i++) {
        performance.clearResourceTimings()
        const was = position()
        const button = nextButton()
        if (!button || button.disabled) throw new Error(`Next is not available at "${was}"`)
        const changed = new Promise<number>((resolve, reject) => {
          const observer = new MutationObserver(() => {
            if (position() !== was) {
              observer.disconnect()
              clearTimeout(timer)
              resolve(performance.now())
            }
          })
          const timer = setTimeout(() => {
            observer.disconnect()
            reject(new Error(`the position stayed "${was}" for ${waitMs} ms after Next`))
          }, waitMs)
          observer.observe(document.body, { subtree: true, childList: true, characterData: true })
        })
        const start = performance.now()
        button.click()
        const end = await changed
        // The share of the click spent on the request, from the browser's resource timing.
        const request = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).filter((e) => e.name.endsWith('/api/mailLog.list')).pop()
        if (i >= warmup) {
          samples.push(end - start)
          fetches.push(request ? request.responseEnd - request.startTime : Number.NaN)
        }
      }
      return { samples, fetches, before, after: position() }
    },
    { runs, warmup, waitMs: WAIT_MS },
  )
}

/** The request the Mail Log page makes for a page, sent from the page itself; ms per round trip. */
export async function apiRoundTrips(page: Page, token: string, cursor: string, runs: number, warmup: number): Promise<{ samples: number[]; position: number; rows: number }> {
  return page.evaluate(
    async ({ token, cursor, runs, warmup, limit }) => {
      const samples: number[] = []
      let position = -1
      let rows = -1
      for (let i = 0; i < warmup + runs; i++) {
        const start = performance.now()
        const response = await fetch('/api/mailLog.list', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-smtp-console-token': token },
          body: JSON.stringify({ cursor, limit }),
        })
        const body = (await response.json()) as { ok: boolean; data?: { position: number; items: unknown[] }; error?: { message: string } }
        const end = performance.now()
        if (!body.ok || !body.data) throw new Error(`mailLog.list failed: ${body.error?.message ?? response.status}`)
        position = body.data.position
        rows = body.data.items.length
        if (i >= warmup) samples.push(end - start)
      }
      return { samples, position, rows }
    },
    { token, cursor, runs, warmup, limit: PAGE_LIMIT },
  )
}

/**
 * A Mail Log page opened at a deep cursor: the page's own first request is
 * handed the cursor once, then the interception is removed, so every click
 * after is the UI's own.
 */
export async function mailLogAt(browser: Browser, url: string, deep: { cursor: string; position: number }): Promise<Page> {
  const deepPage = await freshPage(browser)
  let handedOver = false
  await deepPage.route('**/api/mailLog.list', async (route) => {
    const body = JSON.parse(route.request().postData() ?? 'null') as { cursor?: string | null; limit?: number } | null
    if (!handedOver && body && body.limit === PAGE_LIMIT && !body.cursor) {
      handedOver = true
      await route.continue({ postData: JSON.stringify({ ...body, cursor: deep.cursor }) })
    } else await route.continue()
  })
  await deepPage.goto(`${url}#/mail-log`, { waitUntil: 'commit', timeout: WAIT_MS })
  const deepFirst = new Intl.NumberFormat('en-US').format(deep.position + 1)
  await deepPage.locator('.pager-position', { hasText: `${deepFirst}–` }).waitFor({ timeout: WAIT_MS })
  await deepPage.unrouteAll({ behavior: 'wait' })
  check(handedOver, 'the Mail Log page opened at the deep cursor')
  return deepPage
}

const ms = (values: number[]) => values.map((v) => round(v, 1))

export async function benchUi(): Promise<Figures> {
  if (!existsSync(CHROMIUM)) {
    progress(`ui: ${CHROMIUM} is not installed (Debian package chromium): the console in a browser is not measured`)
    return { dashboard_ready_ms: null, maillog_next_roundtrip_ms: null }
  }
  const build = ensureWebBuild()

  const engine = await freshEngine('ui')
  const { raw, messageId } = await sampleMessage()
  progress(`ui: queueing ${QUEUED} messages and filling the mail log with ${MAILLOG_ROWS} rows`)
  const batches = draftBatches(QUEUED, raw, messageId)
  const enqueue = timed(() => submitBatches(engine, batches))
  batches.length = 0
  const fill = timed(() => fillMailLog(engine.db, MAILLOG_ROWS))
  check(engine.queueView.count() === QUEUED, `the queue holds ${QUEUED} messages`)
  const logRows = engine.mailLog.count()
  // Every submit logs a `received` row per recipient, on top of the filled month.
  check(logRows >= MAILLOG_ROWS, `the mail log holds at least ${MAILLOG_ROWS} rows`)

  const server = await startWebServer(engine, { staticDir: WEB_DIR })
  onCleanup(() => server.close())
  const browser = await launch()
  const total = new Intl.NumberFormat('en-US').format(QUEUED)

  progress(`ui: dashboard, ${DASHBOARD_LOADS} loads in fresh browser contexts after one unmeasured`)
  const warm = await dashboardLoad(browser, server.url, total)
  const loads: Load[] = []
  for (let i = 0; i < DASHBOARD_LOADS; i++) loads.push(await dashboardLoad(browser, server.url, total))
  const dashboardMs = median(loads.map((l) => l.ms))

  progress(`ui: Mail Log, Next at the top (${NEXT_RUNS} clicks)`)
  const page = await freshPage(browser)
  await page.goto(server.url, { waitUntil: 'commit', timeout: WAIT_MS })
  await dashboardPopulated(page, total)
  await page.getByRole('navigation', { name: 'SMTP Dashboard' }).getByRole('link', { name: 'Mail Log', exact: true }).click({ timeout: WAIT_MS })
  const firstPosition = `1–${PAGE_LIMIT} of ${new Intl.NumberFormat('en-US').format(logRows)}`
  await page.locator('.pager-position', { hasText: firstPosition }).waitFor({ timeout: WAIT_MS })
  const top = await nextClicks(page, NEXT_RUNS, WARMUP)

  progress(`ui: Mail Log at depth ${MAILLOG_ROWS.toLocaleString('en-US')}, the page's API call (${NEXT_RUNS} round trips)`)
  const deep = mailLogCursorAt(engine.db, DEEP_ROWS_LEFT)
  const api = await apiRoundTrips(page, server.token, deep.cursor, NEXT_RUNS, WARMUP)
  check(api.position === deep.position && api.rows === PAGE_LIMIT, `the deep page starts at position ${deep.position} with ${PAGE_LIMIT} rows`)

  // The renderer has no way to open the Mail Log at a cursor, and nobody clicks
  // Next 20,000 times: the page's own first request is handed the deep cursor
  // once, and every click after that is the UI's own, unintercepted.
  progress(`ui: Mail Log at depth, Next in the UI (${NEXT_RUNS} clicks)`)
  const deepPage = await mailLogAt(browser, server.url, deep)
  const deepUi = await nextClicks(deepPage, NEXT_RUNS, WARMUP)
  await deepPage.context().close()
  await page.context().close()

  const topMs = median(top.samples)
  const apiMs = median(api.samples)
  const deepUiMs = median(deepUi.samples)
  return {
    dashboard_ready_ms: round(dashboardMs, 0),
    dashboard_detail: {
      statistic: `median of ${DASHBOARD_LOADS} loads, each in a fresh browser context (cold HTTP cache), after one unmeasured`,
      loads_ms: ms(loads.map((l) => l.ms)),
      in_page_ms: ms(loads.map((l) => l.inPageMs)),
      last_load_requests_sent_answered_ms: loads[loads.length - 1]?.requests,
      unmeasured_first_ms: round(warm.ms, 0),
      queued: QUEUED,
      mail_log_rows: logRows,
      enqueue_ms: round(enqueue.ms, 0),
      maillog_fill_ms: round(fill.ms, 0),
      renderer_build: build.stale ? 'stale (rebuild failed)' : build.built ? 'rebuilt for this run' : 'current',
    },
    maillog_next_roundtrip_ms: round(Math.max(topMs, apiMs, deepUiMs), 1),
    maillog_next_detail: {
      statistic: `max of the medians of ${NEXT_RUNS} (after ${WARMUP} unmeasured)`,
      ui_next_top_ms: round(topMs, 1),
      ui_next_top_request_ms: round(median(top.fetches), 1),
      ui_next_top_from: top.before,
      ui_next_top_to: top.after,
      api_deep_ms: round(apiMs, 1),
      api_deep_position: api.position,
      ui_next_deep_ms: round(deepUiMs, 1),
      ui_next_deep_request_ms: round(median(deepUi.fetches), 1),
      ui_next_deep_from: deepUi.before,
      ui_next_deep_to: deepUi.after,
      ui_next_top_samples_ms: ms(top.samples),
      api_deep_samples_ms: ms(api.samples),
      ui_next_deep_samples_ms: ms(deepUi.samples),
    },
  }
}
