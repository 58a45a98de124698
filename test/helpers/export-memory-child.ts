import { openEngine } from '../../src/main/core/engine/engine.ts'

// Fills a mail log with `rows` rows, then streams its CSV export and reports,
// as one JSON line, the bytes and lines it produced and how far RSS and the
// JS heap rose above where they were when the export began. Run alone in its
// own process so nothing else's memory is counted.

const [dataDir, rowsArg] = process.argv.slice(2)
const rows = Number(rowsArg)
const engine = await openEngine({ dataDir: dataDir!, startWorker: false, dnsServers: ['127.0.0.1:9'] })
// The export reads the log alone: without the triggers that keep the index, counts and report rollups, a million rows fill in seconds.
for (const { name } of engine.db.prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'mail_log'").all() as { name: string }[]) {
  engine.db.exec(`DROP TRIGGER ${name}`)
}
engine.db.exec('BEGIN')
engine.db
  .prepare(
    `INSERT INTO mail_log (at, queue_id, sender, recipient, status, relay, delay_ms, dsn, reply, size, tls, cause)
     WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
     SELECT 1900000000000 + i * 1000, printf('%012X', i), 'alerts@example.test', 'user' || (i % 5000) || '@example.com',
       CASE WHEN i % 10 = 0 THEN 'deferred' ELSE 'sent' END, 'relay.example.test[192.0.2.10]:587', 80 + i % 5000,
       CASE WHEN i % 10 = 0 THEN '4.7.1' ELSE '2.0.0' END,
       CASE WHEN i % 10 = 0 THEN '451 4.7.1 Greylisted, try again in 300 seconds' ELSE '250 2.0.0 Ok: queued as ' || printf('%010X', i * 97) END,
       900 + i % 20000, 'TLSv1.3', CASE WHEN i % 10 = 0 THEN 'greylisted' END
     FROM seq`,
  )
  .run(rows)
engine.db.exec('COMMIT')

// The checkpointer's thread starts with the first write that needs it (here, perhaps, the log indexer's during
// the export) and stays: part of the engine's resting memory, not the export's, so it is started before measuring.
engine.checkpointer.start()
await engine.checkpointer.caughtUp()
globalThis.gc?.()
const base = process.memoryUsage()
let peakRss = base.rss
// The heap the export keeps (measured after a collection every 20 pages), not the garbage it leaves for the collector.
let peakHeap = base.heapUsed
let bytes = 0
let lines = 0
let chunks = 0
let first = ''
const exp = engine.exportCsv({ log: 'mailLog' })
for await (const chunk of exp.chunks) {
  if (chunks++ === 0) first = chunk
  bytes += Buffer.byteLength(chunk)
  for (let i = chunk.indexOf('\n'); i !== -1; i = chunk.indexOf('\n', i + 1)) lines++
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
  if (chunks % 20 === 0) {
    globalThis.gc?.()
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)
  }
}
await engine.close()
process.stdout.write(
  `${JSON.stringify({ bytes, lines, chunks, rows: exp.rows, header: first.split('\r\n')[0], rssGrowth: peakRss - base.rss, heapGrowth: peakHeap - base.heapUsed })}\n`,
)
