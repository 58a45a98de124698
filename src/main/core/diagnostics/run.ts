import { Resolver } from 'node:dns/promises'
import { CHECK_IDS, type Check, type CheckId, type CheckVerdict, type DiagnosticsReport } from '../../../shared/diagnostics.ts'
import { isRoutable, type SettingsFields } from '../../../shared/settings.ts'

// The Troubleshooting runner: check groups run side by side, each check is
// reported as it finishes, and the whole run is bounded, so a silent server
// or a resolver that never answers cannot hold the page. Nothing here sends
// a message: the groups only connect, ask and say RSET/QUIT.

/** The whole run's bound: checks not finished by then are reported as not checked. */
export const RUN_BOUND_MS = 20_000
/** After the bound, how long groups get to report what they were doing when stopped. */
const STOP_GRACE_MS = 500

/** The address this system is seen from, as a relay or an MX named it in its EHLO reply. */
export interface OutgoingAddress {
  address: string
  /** Who saw it: "relay mail.example.com:587" or "MX mx1.example.net". */
  seenBy: string
  /** False for loopback, private, link-local and shared addresses: a relay inside the network sees those, the Internet does not. */
  routable: boolean
}

/** What every check group is given. */
export interface DiagnosticsContext {
  /** The settings checked: the Edit Settings form's values, or the saved ones. */
  readonly settings: SettingsFields
  /** The relay's Password (the form's, else the saved one), read only when a check needs it; null when none. */
  password(): Promise<string | null>
  /** A fresh access token for an OAuth 2.0 Sign-in method, from its token endpoint; throws what the endpoint said. */
  oauthToken(): Promise<string>
  /** The domain a test message would go to, when the admin named one (or the domain of the address named). */
  readonly recipientDomain: string | null
  /** The address named instead of a domain; null when a domain (or nothing) was given. */
  readonly recipientAddress: string | null
  /** The engine's resolver: SMTP_CONSOLE_DNS_SERVERS (or the engine's dnsServers option), else the system's. */
  readonly resolver: Resolver
  /** The port direct delivery uses (25, or SMTP_CONSOLE_DIRECT_PORT). */
  readonly directPort: number
  /** Aborted when the run's bound is reached: stop and report. */
  readonly signal: AbortSignal
  /** When the run's bound is reached, in ms since the epoch (Date.now()). */
  readonly deadline: number
  /**
   * The outgoing address once a relay or MX named it; null when the groups that connect have finished
   * (or the bound is reached) without one. Await it only from a group that does not connect itself.
   */
  readonly outgoing: Promise<OutgoingAddress | null>
  /** Reported by a group that learned the outgoing address (the first one counts). */
  noteOutgoing(address: OutgoingAddress): void
}

/** A group of checks: the checks it reports (each exactly once, id → title), yielded as each finishes. */
export interface CheckGroup {
  readonly checks: Readonly<Partial<Record<CheckId, string>>>
  /** Whether this group connects to a relay or an MX and may learn the outgoing address. */
  readonly learnsOutgoing?: boolean
  run(ctx: DiagnosticsContext): AsyncIterable<Check>
}

export interface RunInput {
  settings: SettingsFields
  password: () => Promise<string | null>
  oauthToken?: (() => Promise<string>) | undefined
  /** A domain, or an address (its domain is then the recipient domain). */
  recipientDomain?: string | undefined
  dnsServers: string[] | null
  directPort: number
}

export interface RunOptions {
  groups: readonly CheckGroup[]
  /** Called with each check as it finishes (the diagnostics.progress event). */
  onCheck?: (check: Check) => void
  /** A fault of the console inside a group (a bug, not a finding): for the event log. */
  onError?: (err: unknown, checks: readonly CheckId[]) => void
  /** For tests: a shorter bound than RUN_BOUND_MS. */
  boundMs?: number
}

/** A resolver for the checks: the engine's DNS servers, short timeouts so no check waits past its own. */
export function checkResolver(dnsServers: string[] | null): Resolver {
  const resolver = new Resolver({ timeout: 2000, tries: 2 })
  if (dnsServers && dnsServers.length) resolver.setServers(dnsServers)
  return resolver
}

/** Whether the Internet could see this address; it lives beside the settings, whose Public address it checks too. */
export { isRoutable }

/** A finished check, timed from `started`. */
export function check(id: CheckId, title: string, verdict: CheckVerdict, summary: string, started: number, extra: Pick<Check, 'detail' | 'fix' | 'field'> = {}): Check {
  const c: Check = { id, title, verdict, summary, ms: Math.max(0, Date.now() - started) }
  if (extra.detail) c.detail = extra.detail
  if (extra.fix) c.fix = extra.fix
  if (extra.field) c.field = extra.field
  return c
}

function idsOf(group: CheckGroup): CheckId[] {
  return CHECK_IDS.filter((id) => group.checks[id] !== undefined)
}

/** Runs the groups side by side and answers every check of every group, in CHECK_IDS order. */
export async function runDiagnostics(input: RunInput, options: RunOptions): Promise<DiagnosticsReport> {
  const startedAt = Date.now()
  const boundMs = options.boundMs ?? RUN_BOUND_MS
  const stop = new AbortController()
  const results = new Map<CheckId, Check>()
  let open = true
  const finish = (c: Check) => {
    if (!open || results.has(c.id)) return
    results.set(c.id, c)
    options.onCheck?.(c)
  }

  let settleOutgoing: (a: OutgoingAddress | null) => void = () => undefined
  const outgoing = new Promise<OutgoingAddress | null>((resolve) => (settleOutgoing = resolve))
  const recipient = input.recipientDomain?.trim() || null
  const ctx: DiagnosticsContext = {
    settings: input.settings,
    password: input.password,
    oauthToken: input.oauthToken ?? (() => Promise.reject(new Error('No OAuth 2.0 token source was given to the checks.'))),
    recipientDomain: recipient ? recipient.slice(recipient.lastIndexOf('@') + 1).toLowerCase() : null,
    recipientAddress: recipient?.includes('@') ? recipient : null,
    resolver: checkResolver(input.dnsServers),
    directPort: input.directPort,
    signal: stop.signal,
    deadline: startedAt + boundMs,
    outgoing,
    noteOutgoing: (a) => settleOutgoing(a),
  }

  const ended = new Set<CheckGroup>()
  const runGroup = async (group: CheckGroup) => {
    const ids = idsOf(group)
    try {
      for await (const c of group.run(ctx)) if (ids.includes(c.id)) finish(c)
    } catch (err) {
      options.onError?.(err, ids)
      for (const id of ids) {
        finish(check(id, group.checks[id]!, 'fail', `The check stopped on a fault of the console: ${(err as Error).message ?? String(err)}. See Logs.`, startedAt))
      }
    }
    // A group that ends because the bound stopped it has not ended on its own.
    if (!stop.signal.aborted) ended.add(group)
  }
  const runs = options.groups.map((g) => runGroup(g))
  // The DNS checks wait for the address the connecting groups learn; once they are done, there is none to wait for.
  void Promise.all(options.groups.filter((g) => g.learnsOutgoing).map((g) => runs[options.groups.indexOf(g)])).then(() => settleOutgoing(null))

  let boundTimer: NodeJS.Timeout | undefined
  let graceTimer: NodeJS.Timeout | undefined
  const bound = new Promise<void>((resolve) => {
    boundTimer = setTimeout(() => {
      stop.abort()
      settleOutgoing(null)
      graceTimer = setTimeout(resolve, STOP_GRACE_MS)
    }, boundMs)
  })
  await Promise.race([Promise.all(runs), bound])
  clearTimeout(boundTimer)
  clearTimeout(graceTimer)
  if (!stop.signal.aborted) stop.abort()

  const seconds = Math.round(boundMs / 1000)
  for (const g of options.groups) {
    for (const id of idsOf(g)) {
      const summary = ended.has(g)
        ? 'Not checked: the check ended without a result (a fault of the console).'
        : `Not checked: the checks stopped after ${seconds} s in all, before this one finished.`
      finish(check(id, g.checks[id]!, 'skip', summary, startedAt))
    }
  }
  open = false
  const checks = CHECK_IDS.filter((id) => results.has(id)).map((id) => results.get(id)!)
  return { startedAt, checks }
}
