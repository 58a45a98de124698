import { parseRequest, type ApiMethod, type ApiParsedRequest, type ApiResponse, type Result } from '../../shared/api.ts'

// One IPC handler per API method, built the same way for all: check who is
// asking, parse the request with the method's schema, call the engine, and
// turn anything unexpected into an error value (Electron would otherwise pass
// only the message of a thrown error, and the renderer could not tell codes apart).

/** `system` is the one the window shows (its address's ?system=); none is this computer's. */
export type IpcHandler<Event> = (event: Event, raw: unknown, system?: unknown) => Promise<Result<unknown>>

/** What the handlers call: the systems hub, which routes each call to the system named. */
export interface CallsSystems {
  call<M extends ApiMethod>(method: M, request: ApiParsedRequest<M>, system?: string): Promise<Result<ApiResponse<M>>>
}

/** A system id from the page, or undefined for this computer's engine. */
export function systemArg(system: unknown): string | undefined {
  return typeof system === 'string' && system !== '' ? system : undefined
}

export type ResultObserver = <M extends ApiMethod>(method: M, result: Result<ApiResponse<M>>) => void

export function makeHandler<M extends ApiMethod, Event>(
  engine: CallsSystems,
  method: M,
  isTrusted: (event: Event) => boolean,
  observe?: ResultObserver,
): IpcHandler<Event> {
  return async (event, raw, system) => {
    try {
      if (!isTrusted(event)) {
        return {
          ok: false,
          error: { code: 'forbidden', message: `The call to ${method} did not come from the console's window and was refused.` },
        }
      }
      const parsed = parseRequest(method, raw)
      if (!parsed.ok) return parsed
      const result = await engine.call(method, parsed.data, systemArg(system))
      notify(observe, method, result)
      return result
    } catch (error) {
      return { ok: false, error: { code: 'internal', message: describe(error) } }
    }
  }
}

// An observer is a side line (a notification); its failure must not turn a done call into an error.
function notify<M extends ApiMethod>(observe: ResultObserver | undefined, method: M, result: Result<ApiResponse<M>>): void {
  try {
    observe?.(method, result)
  } catch (error) {
    console.error(`Observer of ${method} failed:`, error)
  }
}

function describe(error: unknown): string {
  if (error instanceof Error && error.message) return error.message
  return `Unexpected failure: ${String(error)}`
}
