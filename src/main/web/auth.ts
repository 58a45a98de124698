import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Result } from '../../shared/api.ts'
import { TOKEN_HEADER, TOKEN_PARAM } from '../../shared/wire.ts'

// Who may drive the console over HTTP: requests for its own Host, from its own
// Origin (or none), carrying the per-run token printed in its address.

/** A refusal: the status and the Result the page shows. */
export interface Refusal {
  status: number
  body: Result<never>
}

const WRONG_TOKEN: Refusal = {
  status: 401,
  body: { ok: false, error: { code: 'forbidden', message: 'Missing or wrong token: open the URL the console printed.' } },
}

export class WebAuth {
  readonly token: string
  private readonly hosts = new Set<string>()
  private port = 0

  constructor(token?: string) {
    this.token = token ?? randomBytes(24).toString('base64url')
  }

  /** The names a browser reaches the console by, once its port is known. */
  listeningOn(port: number): void {
    this.port = port
    this.hosts.clear()
    this.hosts.add(`127.0.0.1:${port}`).add(`localhost:${port}`)
  }

  /** Refuses a request for another Host or from another Origin; null lets it through to the token check. */
  foreignRequest(req: IncomingMessage): Refusal | null {
    // Only our own names: a page that rebinds its DNS name to 127.0.0.1 arrives with its own Host.
    const host = req.headers.host ?? ''
    if (!this.hosts.has(host)) {
      return { status: 421, body: { ok: false, error: { code: 'forbidden', message: `Requests for ${host || 'no host'} are refused; use http://127.0.0.1:${this.port}/.` } } }
    }
    // A page from another origin must not drive the console, even with the token.
    const origin = req.headers.origin
    if (origin && origin !== `http://${host}`) {
      return { status: 403, body: { ok: false, error: { code: 'forbidden', message: 'Requests from other origins are refused.' } } }
    }
    return null
  }

  /** An API call's token, from its header. */
  callWithoutToken(req: IncomingMessage): Refusal | null {
    return this.matches(req.headers[TOKEN_HEADER] as string | undefined) ? null : WRONG_TOKEN
  }

  /** The event stream's token, from the address: EventSource cannot send headers. */
  streamWithoutToken(url: URL): Refusal | null {
    return this.matches(url.searchParams.get(TOKEN_PARAM)) ? null : WRONG_TOKEN
  }

  private matches(given: string | null | undefined): boolean {
    if (!given) return false
    const a = Buffer.from(given)
    const b = Buffer.from(this.token)
    return a.length === b.length && timingSafeEqual(a, b)
  }
}
