import type { ServerResponse } from 'node:http'
import type { Result } from '../../shared/api.ts'

// How the web adapter answers: a Result as JSON (what the page's API client
// reads), or one line of plain text for what a browser asked outside the API.

export function sendJson(res: ServerResponse, status: number, body: Result<unknown>): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}
