// The Troubleshooting checks' contract: what each check found, in one sentence,
// and the setting that fixes it. The ids are part of the contract: the window,
// the tests and any script that runs the checks key on them.

export const CHECK_IDS = [
  'relay.tcp',
  'relay.banner',
  'relay.tls',
  'relay.certificate',
  'relay.auth',
  'relay.sender',
  'direct.mx',
  'direct.port25',
  'direct.starttls',
  'dns.hostname',
  'dns.ptr',
  'dns.helo',
  'dns.spf',
  'dns.dmarc',
  'dns.mx',
  'dns.dkim',
  'dns.blocklist',
] as const
export type CheckId = (typeof CHECK_IDS)[number]

export const CHECK_VERDICTS = ['pass', 'warn', 'fail', 'skip'] as const
export type CheckVerdict = (typeof CHECK_VERDICTS)[number]

export interface Check {
  id: CheckId
  /** What is checked, in the admin's words ("Relay reachable"). */
  title: string
  verdict: CheckVerdict
  /** What was found, one sentence. */
  summary: string
  /** The facts behind it (the reply, the record, the chain), when there are any. */
  detail?: string
  /** What to do about a warn or a fail, one sentence. */
  fix?: string
  /** The setting to change (a key of the settings), opened by "Fix" in Edit Settings. */
  field?: string
  /** How long the check took. */
  ms: number
}

export interface DiagnosticsReport {
  startedAt: number
  checks: Check[]
}
