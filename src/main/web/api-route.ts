import type { IncomingMessage, ServerResponse } from 'node:http'
import { isApiMethod, parseRequest } from '../../shared/api.ts'
import { API_PREFIX } from '../../shared/wire.ts'
import { SYSTEM_HEADER } from '../../shared/systems.ts'
import type { SystemsHub } from '../systems/hub.ts'
import type { WebAuth } from './auth.ts'
import { sendJson } from './respond.ts'

// POST /api/<method>: the request as JSON, parsed with the method's schema as
// the desktop app's IPC does, then the engine's Result as the answer.

const MAX_BODY = 1024 * 1024

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) throw new Error('request body too large')
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Answers one API call for the system its header names (none: this computer's); `pathname` starts with API_PREFIX. */
export async function routeApiCall(hub: Pick<SystemsHub, 'call'>, auth: WebAuth, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
  const method = pathname.slice(API_PREFIX.length)
  if (req.method !== 'POST') return sendJson(res, 405, { ok: false, error: { code: 'invalid_request', message: 'Use POST.' } })
  const refused = auth.callWithoutToken(req)
  if (refused) return sendJson(res, refused.status, refused.body)
  if (!isApiMethod(method)) return sendJson(res, 404, { ok: false, error: { code: 'not_found', message: `No such method: ${method}` } })
  let raw: unknown
  try {
    const body = await readBody(req)
    raw = body.trim() === '' ? undefined : JSON.parse(body)
  } catch (err) {
    return sendJson(res, 400, { ok: false, error: { code: 'invalid_request', message: `The request is not valid JSON: ${(err as Error).message}` } })
  }
  const parsed = parseRequest(method, raw)
  if (!parsed.ok) return sendJson(res, 400, parsed)
  const system = req.headers[SYSTEM_HEADER]
  const result = await hub.call(method, parsed.data, typeof system === 'string' && system !== '' ? system : undefined)
  return sendJson(res, result.ok ? 200 : statusFor(result.error.code), result)
}

export function statusFor(code: string): number {
  switch (code) {
    case 'invalid_request':
      return 400
    case 'forbidden':
      return 403
    case 'not_found':
      return 404
    case 'conflict':
      return 409
    default:
      return 500
  }
}
