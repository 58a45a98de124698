import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { SystemsHub } from '../systems/hub.ts'

// GET /api/export/<id>: a Mail Log or Logs CSV as a download, streamed page by
// page with the socket's backpressure. The id is the one-time link the
// token-checked `logs.exportCsv` call answered (core/log-export.ts,
// PendingDownloads): a browser cannot send the token header when it follows a
// link, and an address with the token in it would stay in its download history.

export async function serveExport(hub: Pick<SystemsHub, 'takeDownload'>, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
  const text = (status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  }
  if (req.method !== 'GET') return text(405, 'Use GET.')
  const exp = /^[A-Za-z0-9_-]{22}$/.test(id) ? await hub.takeDownload(id) : null
  if (!exp) return text(404, 'This download link was used already or is out of date: press Export CSV again.')
  res.writeHead(200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${exp.filename}"`,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  })
  try {
    await pipeline(Readable.from(exp.chunks, { objectMode: false }), res)
  } catch {
    // The browser went away, or reading failed: the response is cut short, never ended as if whole.
    res.destroy()
  }
}
